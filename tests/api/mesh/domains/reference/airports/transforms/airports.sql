SELECT * FROM raw_airports
