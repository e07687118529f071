"""OpenLineage run events (START, COMPLETE, FAIL) with schema, data quality and column lineage facets."""
