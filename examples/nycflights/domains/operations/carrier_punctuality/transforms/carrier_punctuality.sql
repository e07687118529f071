-- operations.carrier_punctuality.carrier_punctuality: one row per local flight date, carrier and
-- origin airport. Input ports: `flights` (operations.flights.flights) and `airlines`
-- (reference.airlines.airlines). A flight is cancelled when it has no departure time; the delayed
-- share counts arrivals more than 15 minutes late among the flights with a recorded arrival delay
-- (the US DOT on-time definition), and is NULL when no flight of the group has one.
SELECT
    f.flight_date,
    f.carrier,
    a.name                                                     AS carrier_name,
    f.origin,
    CAST(count(*) AS INTEGER)                                  AS flights,
    CAST(count(*) FILTER (WHERE f.cancelled) AS INTEGER)       AS cancelled,
    avg(f.dep_delay)                                           AS avg_dep_delay_min,
    avg(f.arr_delay)                                           AS avg_arr_delay_min,
    count(*) FILTER (WHERE f.arr_delay > 15) / NULLIF(count(f.arr_delay), 0) AS share_delayed_15
FROM flights AS f
LEFT JOIN airlines AS a ON a.carrier = f.carrier
GROUP BY f.flight_date, f.carrier, a.name, f.origin
