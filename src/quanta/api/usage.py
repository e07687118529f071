"""Usage counting: every consume (data download, sample) and query, per product, port, principal and day.

Counts feed the producer dashboard, ``observe/metrics`` and search ranking (usage is a tie-breaker).
:class:`UsageCounter` keeps them in the registry's ``usage_counts`` table (revision ``0003_marketplace``)
when it is given the registry's engine, so they survive restarts and are shared by server processes; without
one (no registry) it counts in memory.
"""

from __future__ import annotations

import threading
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any


@dataclass
class UsageCounter:
    """Usage counters keyed by (product, port, principal, kind, UTC day); thread-safe.

    ``kind`` is ``consume`` (rows read through the data endpoint or a sample) or ``query``.

    Args:
        engine: the registry's SQLAlchemy engine, or ``None`` to count in memory only.
    """

    engine: Any = None
    _counts: Counter = field(default_factory=Counter)
    _rows: Counter = field(default_factory=Counter)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, product: str, port: str, principal: str, kind: str, rows: int = 0) -> None:
        """Count one use of ``product``/``port`` by ``principal`` that returned ``rows`` rows."""
        day = datetime.now(UTC).date().isoformat()
        key = (product, port, principal, kind, day)
        if self.engine is None:
            with self._lock:
                self._counts[key] += 1
                self._rows[key] += rows
            return
        self._upsert(key, rows)

    def _upsert(self, key: tuple[str, str, str, str, str], rows: int) -> None:
        """Add one use and ``rows`` rows to the row of ``key`` in one atomic statement.

        ``INSERT ... ON CONFLICT (primary key) DO UPDATE SET count = count + 1, rows = rows + excluded.rows``
        (PostgreSQL and SQLite, through SQLAlchemy's dialect inserts): the database itself decides between
        inserting and adding, so server processes counting the first use of a day at once cannot both
        insert (a read ``FOR UPDATE`` then an insert did, and one failed on the primary key, because a
        row that does not exist yet cannot be locked). A registry is one or the other
        (:func:`quanta.registry.db.resolve_url`).
        """
        from quanta.registry.db import conflict_insert
        from quanta.registry.models import UsageCount

        insert = conflict_insert(self.engine.dialect.name)
        table = UsageCount.__table__
        product, port, principal, kind, day = key
        statement = insert(table).values(
            product=product, port=port, principal=principal, kind=kind, day=day, count=1, rows=rows
        )
        statement = statement.on_conflict_do_update(
            index_elements=list(table.primary_key.columns),
            set_={"count": table.c.count + 1, "rows": table.c.rows + statement.excluded.rows},
        )
        # A write transaction from the start (BEGIN IMMEDIATE on SQLite), so a concurrent writer queues on
        # the busy timeout instead of failing; the lock keeps this process's threads from contending.
        engine = self.engine.execution_options(quanta_write=True)
        with self._lock, engine.begin() as connection:
            connection.execute(statement)

    def _items(self) -> list[tuple[tuple[str, str, str, str, str], int, int]]:
        if self.engine is None:
            with self._lock:
                return [(k, n, self._rows[k]) for k, n in self._counts.items()]
        from sqlalchemy import select
        from sqlalchemy.orm import Session

        from quanta.registry.models import UsageCount

        with Session(self.engine) as session:
            return [
                ((u.product, u.port, u.principal, u.kind, u.day), u.count, u.rows)
                for u in session.scalars(select(UsageCount))
            ]

    def total(self, product: str) -> int:
        """All uses of ``product``."""
        return sum(n for k, n, _ in self._items() if k[0] == product)

    def totals(self) -> dict[str, int]:
        """Uses per product."""
        result: Counter = Counter()
        for key, n, _ in self._items():
            result[key[0]] += n
        return dict(result)

    def stats(self, product: str | None = None) -> list[dict[str, object]]:
        """Rows of ``{product, port, principal, kind, day, count, rows}``, sorted by day then product."""
        items = [
            {
                "product": k[0],
                "port": k[1],
                "principal": k[2],
                "kind": k[3],
                "day": k[4],
                "count": n,
                "rows": r,
            }
            for k, n, r in self._items()
            if product is None or k[0] == product
        ]
        return sorted(items, key=lambda r: (r["day"], r["product"], r["port"], r["principal"], r["kind"]))

    def per_day(self, product: str | None = None) -> list[tuple[str, int]]:
        """(day, uses) pairs, oldest first, for charts."""
        days: Counter = Counter()
        for row in self.stats(product):
            days[row["day"]] += row["count"]
        return sorted(days.items())
