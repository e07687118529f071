SELECT 1 AS flight_id
