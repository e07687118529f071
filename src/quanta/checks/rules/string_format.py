"""``logicalTypeOptions.format``: values that do not have the declared format.

Source: ODCS v3.1.0 ``logicalTypeOptions``: string formats (``email``, ``uuid``, ``uri``, ``hostname``,
``ipv4``, ``ipv6``), date/timestamp formats written as JDK ``DateTimeFormatter`` patterns
(``yyyy-MM-dd``, ``yyyy-MM-dd'T'HH:mm:ss.SSSZ``) and integer formats written as Rust integer types
(``i8`` ... ``u64``). String and date formats become a whole-value regular expression (so the check runs
the same on every engine); integer formats become range bounds. On a column whose actual type is already
a date or timestamp the format holds by construction and no row is counted. ``password``, ``byte`` and
``binary`` describe content that cannot be checked and count nothing.

Example:
    >>> format_regex("yyyy-MM-dd")
    '^\\\\d{4}\\\\-\\\\d{2}\\\\-\\\\d{2}$'
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from quanta.checks.rules.base import as_text, count_where, regex_match

if TYPE_CHECKING:  # pragma: no cover
    from sqlglot import exp

    from quanta.checks.plan import Check
    from quanta.checks.rules.base import Binding

MODE = "aggregate"

#: Named string formats and the regular expression a value must match as a whole.
STRING_FORMATS: dict[str, str] = {
    "email": r"^[^@\s]+@[^@\s]+\.[^@\s]+$",
    "uuid": r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$",
    "uri": r"^[A-Za-z][A-Za-z0-9+.\-]*:[^\s]*$",
    "hostname": r"^[A-Za-z0-9]([A-Za-z0-9\-]{0,61}[A-Za-z0-9])?"
    r"(\.[A-Za-z0-9]([A-Za-z0-9\-]{0,61}[A-Za-z0-9])?)*$",
    "ipv4": r"^((25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])\.){3}"
    r"(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])$",
    "ipv6": r"^[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*$",
}
#: Formats that describe content that cannot be checked.
UNCHECKABLE = frozenset({"password", "byte", "binary"})
_INT_FORMAT = re.compile(r"^([iu])(8|16|32|64|128)$")
_TOKEN = re.compile(r"'[^']*'|([A-Za-z])\1*|.")
_DATE_TOKENS = {
    "y": lambda n: r"\d{2}" if n == 2 else r"\d{4}",
    "u": lambda n: r"\d{2}" if n == 2 else r"\d{4}",
    "M": lambda n: r"\d{1,2}" if n == 1 else (r"\d{2}" if n == 2 else r"[A-Za-z]+"),
    "d": lambda n: r"\d{1,2}" if n == 1 else r"\d{2}",
    "H": lambda n: r"\d{1,2}" if n == 1 else r"\d{2}",
    "h": lambda n: r"\d{1,2}" if n == 1 else r"\d{2}",
    "m": lambda n: r"\d{1,2}" if n == 1 else r"\d{2}",
    "s": lambda n: r"\d{1,2}" if n == 1 else r"\d{2}",
    "S": lambda n: rf"\d{{{n}}}",
    "a": lambda n: r"(AM|PM|am|pm)",
    "E": lambda n: r"[A-Za-z]+",
    "X": lambda n: r"(Z|[+-]\d{2}(:?\d{2})?)",
    "x": lambda n: r"[+-]\d{2}(:?\d{2})?",
    "Z": lambda n: r"(Z|[+-]\d{2}:?\d{2})",
}


def format_regex(pattern: str) -> str:
    """Translate a JDK ``DateTimeFormatter`` pattern into an anchored regular expression.

    ``YYYY`` and ``DD`` (week-year and day-of-year in the JDK, but meant as year and day in the ODCS
    default ``YYYY-MM-DDTHH:mm:ss.SSSZ``) are read as ``yyyy`` and ``dd``; a bare ``T`` is a literal.
    """
    parts = ["^"]
    for match in _TOKEN.finditer(pattern):
        token = match.group(0)
        if token.startswith("'"):
            parts.append(re.escape(token[1:-1]))
            continue
        letter = token[0]
        letter = {"Y": "y", "D": "d"}.get(letter, letter)
        builder = _DATE_TOKENS.get(letter)
        parts.append(builder(len(token)) if builder else re.escape(token))
    parts.append("$")
    return "".join(parts)


def integer_bounds(fmt: str) -> tuple[int, int] | None:
    """The value range of a Rust integer type name (``i32`` -> ``(-2**31, 2**31 - 1)``), else ``None``."""
    match = _INT_FORMAT.match(fmt)
    if not match:
        return None
    bits = int(match.group(2))
    if match.group(1) == "u":
        return 0, 2**bits - 1
    return -(2 ** (bits - 1)), 2 ** (bits - 1) - 1


def predicate(check: Check, binding: Binding) -> exp.Expression:
    """The row condition of a violation: a non-null value not in the declared format."""
    from sqlglot import exp

    fmt = str(check.params["format"])
    column = binding.column(check.property)
    column_type = binding.column_type(check.property)
    if fmt in UNCHECKABLE or (
        column_type is not None and column_type.is_temporal and fmt not in STRING_FORMATS
    ):
        return exp.false()
    bounds = integer_bounds(fmt)
    if bounds is not None:
        low, high = bounds
        between = exp.Between(this=column.copy(), low=exp.convert(low), high=exp.convert(high))
        return exp.not_(between)  # NULL (never counted) for NULL values
    regex = STRING_FORMATS.get(fmt.lower()) or format_regex(fmt)
    text = as_text(column.copy(), column_type)
    return exp.not_(regex_match(text, regex))


def aggregate(check: Check, binding: Binding) -> exp.Expression:
    """The number of values not in the declared format."""
    return count_where(predicate(check, binding))
