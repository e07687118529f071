-- climate.daily_precipitation.daily_precipitation: one row per airport and local calendar day.
-- Input port `airport_weather` is the published hourly port climate.airport_weather.airport_weather;
-- its year/month/day columns are the local (America/New_York) date of the observation.
SELECT
    origin,
    make_date("year", "month", "day")                      AS local_date,
    CAST(count(*) AS INTEGER)                              AS hours_observed,
    CAST(count(*) FILTER (WHERE precip > 0) AS INTEGER)    AS hours_with_precip,
    sum(precip)                                            AS total_precip_in,
    max(precip)                                            AS max_hourly_precip_in
FROM airport_weather
GROUP BY origin, "year", "month", "day"
