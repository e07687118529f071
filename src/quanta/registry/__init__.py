"""The record: products, runs, snapshots, check results, lineage, agreements and audit (SQLAlchemy)."""
