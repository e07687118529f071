-- operations.weather_delays.weather_delays: departure delays by origin airport and by the
-- precipitation measured at that airport in the hour of scheduled departure.
-- Input ports: `flights` (operations.flights.flights) and `airport_weather`
-- (climate.airport_weather.airport_weather), joined on (origin, time_hour). Bands, in inches per
-- hour: none (0), light (< 0.1), moderate (0.1 to < 0.3), heavy (>= 0.3); flights without a weather
-- reading for their hour are kept in the band "unknown".
WITH banded AS (
    SELECT
        f.origin,
        f.cancelled,
        f.dep_delay,
        CASE
            WHEN w.precip IS NULL THEN 'unknown'
            WHEN w.precip = 0 THEN 'none'
            WHEN w.precip < 0.1 THEN 'light'
            WHEN w.precip < 0.3 THEN 'moderate'
            ELSE 'heavy'
        END AS precip_band
    FROM flights AS f
    LEFT JOIN airport_weather AS w ON w.origin = f.origin AND w.time_hour = f.time_hour
)
SELECT
    origin,
    precip_band,
    CAST(CASE precip_band
        WHEN 'none' THEN 1 WHEN 'light' THEN 2 WHEN 'moderate' THEN 3 WHEN 'heavy' THEN 4 ELSE 5
    END AS INTEGER)                                            AS band_order,
    CAST(count(*) AS INTEGER)                                  AS flights,
    CAST(count(*) FILTER (WHERE cancelled) AS INTEGER)         AS cancelled,
    avg(dep_delay)                                             AS avg_dep_delay_min,
    count(*) FILTER (WHERE dep_delay > 15) / NULLIF(count(dep_delay), 0) AS share_dep_delayed_15
FROM banded
GROUP BY origin, precip_band
