SELECT origin, avg(dep_delay) AS avg_delay FROM flights GROUP BY origin
