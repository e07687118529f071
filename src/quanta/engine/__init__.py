"""Engines behind one small protocol: DuckDB (embedded default) and Spark; sandboxed connections."""
