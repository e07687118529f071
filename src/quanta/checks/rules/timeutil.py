"""Time helpers for the SLA rules: ISO-ish units to seconds, and values to aware UTC datetimes."""

from __future__ import annotations

import datetime as dt
from typing import Any

#: SLA units (ODCS: "units use the ISO standard"; free text is tolerated) -> seconds. ``m`` is minutes;
#: months are ``mo``/``month``/``months`` (30.436875 days), years 365.2425 days.
UNIT_SECONDS: dict[str, float] = {}
for _names, _seconds in (
    (("s", "sec", "secs", "second", "seconds"), 1.0),
    (("m", "min", "mins", "minute", "minutes"), 60.0),
    (("h", "hr", "hrs", "hour", "hours"), 3600.0),
    (("d", "day", "days"), 86400.0),
    (("w", "wk", "week", "weeks"), 7 * 86400.0),
    (("mo", "mon", "month", "months"), 30.436875 * 86400.0),
    (("y", "yr", "yrs", "year", "years"), 365.2425 * 86400.0),
):
    for _name in _names:
        UNIT_SECONDS[_name] = _seconds


def unit_seconds(unit: str | None) -> float | None:
    """Seconds in one ``unit`` (case-insensitive), or ``None`` for an unknown unit.

    Example:
        >>> unit_seconds("days")
        86400.0
    """
    if unit is None:
        return None
    return UNIT_SECONDS.get(str(unit).strip().lower())


def to_utc(value: Any) -> dt.datetime | None:
    """A date, datetime or ISO string as an aware UTC datetime (naive values are taken as UTC).

    Example:
        >>> to_utc("2013-12-31")
        datetime.datetime(2013, 12, 31, 0, 0, tzinfo=datetime.timezone.utc)
    """
    if value is None:
        return None
    if isinstance(value, str):
        text = value.strip().replace("Z", "+00:00")
        if len(text) >= 5 and text[-5] in "+-" and text[-4:].isdigit() and ":" not in text[-5:]:
            text = text[:-2] + ":" + text[-2:]
        try:
            value = dt.datetime.fromisoformat(text)
        except ValueError:
            return None
    if isinstance(value, dt.datetime):
        return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)
    if isinstance(value, dt.date):
        return dt.datetime(value.year, value.month, value.day, tzinfo=dt.UTC)
    return None
