-- operations.route_performance.route_performance: one row per route (origin, dest) flown in 2013.
-- Input ports: `flights` (operations.flights.flights) and `airports` (reference.airports.airports).
-- dest_name is NULL for the destinations missing from the FAA list (BQN, PSE, SJU, STT).
SELECT
    f.origin,
    o.name                                                     AS origin_name,
    f.dest,
    d.name                                                     AS dest_name,
    CAST(count(*) AS INTEGER)                                  AS flights,
    CAST(count(*) FILTER (WHERE f.cancelled) AS INTEGER)       AS cancelled,
    CAST(count(DISTINCT f.carrier) AS INTEGER)                 AS carriers,
    avg(f.distance)                                            AS avg_distance_miles,
    avg(f.air_time)                                            AS avg_air_time_min,
    avg(f.dep_delay)                                           AS avg_dep_delay_min,
    avg(f.arr_delay)                                           AS avg_arr_delay_min
FROM flights AS f
LEFT JOIN airports AS o ON o.faa = f.origin
LEFT JOIN airports AS d ON d.faa = f.dest
GROUP BY f.origin, o.name, f.dest, d.name
