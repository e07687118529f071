"""Usage counting: every consume (data download, sample) and query, per product, port, principal and day.

Counts feed the producer dashboard, ``observe/metrics`` and search ranking (usage is a tie-breaker).
"""

from __future__ import annotations

import threading
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime


@dataclass
class UsageCounter:
    """Thread-safe counters keyed by (product, port, principal, kind, UTC day).

    ``kind`` is ``consume`` (rows read through the data endpoint or a sample) or ``query``.
    """

    _counts: Counter = field(default_factory=Counter)
    _rows: Counter = field(default_factory=Counter)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, product: str, port: str, principal: str, kind: str, rows: int = 0) -> None:
        """Count one use of ``product``/``port`` by ``principal`` that returned ``rows`` rows."""
        day = datetime.now(UTC).date().isoformat()
        key = (product, port, principal, kind, day)
        with self._lock:
            self._counts[key] += 1
            self._rows[key] += rows

    def total(self, product: str) -> int:
        """All uses of ``product``."""
        with self._lock:
            return sum(n for k, n in self._counts.items() if k[0] == product)

    def totals(self) -> dict[str, int]:
        """Uses per product."""
        result: Counter = Counter()
        with self._lock:
            for key, n in self._counts.items():
                result[key[0]] += n
        return dict(result)

    def stats(self, product: str | None = None) -> list[dict[str, object]]:
        """Rows of ``{product, port, principal, kind, day, count, rows}``, sorted by day then product."""
        with self._lock:
            items = [
                {
                    "product": k[0],
                    "port": k[1],
                    "principal": k[2],
                    "kind": k[3],
                    "day": k[4],
                    "count": n,
                    "rows": self._rows[k],
                }
                for k, n in self._counts.items()
                if product is None or k[0] == product
            ]
        return sorted(items, key=lambda r: (r["day"], r["product"], r["port"], r["principal"], r["kind"]))

    def per_day(self, product: str | None = None) -> list[tuple[str, int]]:
        """(day, uses) pairs, oldest first, for charts."""
        days: Counter = Counter()
        for row in self.stats(product):
            days[row["day"]] += row["count"]
        return sorted(days.items())
