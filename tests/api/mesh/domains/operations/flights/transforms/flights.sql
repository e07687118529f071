SELECT f.flight_id, f.origin, f.dep_delay, f.crew_email
FROM raw_flights AS f
JOIN airports AS a ON a.faa = f.origin
