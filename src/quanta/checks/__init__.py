"""Contract tests: a contract's schema, quality rules, relationships and SLAs compiled to fused SQL."""
