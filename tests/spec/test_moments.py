"""One reading of ISO 8601 dates for contracts, lifecycle SLAs, agreements and the CLI."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from quanta.spec.sunset import parse_moment


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2030-01-01", datetime(2030, 1, 1, tzinfo=UTC)),
        ("2030-01-01T04:00:00.000Z", datetime(2030, 1, 1, 4, tzinfo=UTC)),
        ("2030-01-01T04:00:00+02:00", datetime(2030, 1, 1, 2, tzinfo=UTC)),
        ("2030-01-01 04:00", datetime(2030, 1, 1, 4, tzinfo=UTC)),  # no zone: UTC
        ("  2030-06-30  ", datetime(2030, 6, 30, tzinfo=UTC)),
        (date(2030, 1, 2), datetime(2030, 1, 2, tzinfo=UTC)),  # an unquoted YAML date
        (datetime(2030, 1, 2, 3, tzinfo=timezone(timedelta(hours=-5))), datetime(2030, 1, 2, 8, tzinfo=UTC)),
    ],
)
def test_dates_and_times_become_aware_utc(value, expected) -> None:
    moment = parse_moment(value)
    assert moment == expected and moment.tzinfo is UTC


@pytest.mark.parametrize("value", [None, "", "next year", "2030-13-01", "31/12/2030", 2030])
def test_what_is_not_iso_8601_is_none(value) -> None:
    assert parse_moment(value) is None
