"""Usage counts on PostgreSQL when several server processes count the first use of a day at once.

Each counter has an engine of its own, as each ``quanta serve`` process does, so nothing in Python
serialises them: only the database does. Reading the row ``FOR UPDATE`` locks nothing while the row does
not exist yet, so a read-then-insert lets two counters both insert and one fail on the primary key; an
atomic ``INSERT ... ON CONFLICT DO UPDATE`` counts both.
"""

from __future__ import annotations

import threading

import pytest

from quanta.api.usage import UsageCounter
from quanta.registry.db import create_engine
from quanta.registry.migrate import upgrade

pytestmark = pytest.mark.postgres

COUNTERS = 4
ROUNDS = 25


def test_concurrent_first_uses_are_all_counted(postgres_url):
    upgrade(create_engine(postgres_url))
    counters = [UsageCounter(engine=create_engine(postgres_url)) for _ in range(COUNTERS)]
    errors: list[BaseException] = []
    together = threading.Barrier(COUNTERS)

    def count(counter: UsageCounter) -> None:
        for n in range(ROUNDS):
            together.wait(60)  # every counter records the same new key at the same moment
            try:
                counter.record("sales.orders", "orders", f"principal{n}", "consume", 10)
            except BaseException as error:
                errors.append(error)

    threads = [threading.Thread(target=count, args=(c,)) for c in counters]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    for counter in counters:
        counter.engine.dispose()
    assert errors == []
    reader = UsageCounter(engine=create_engine(postgres_url))
    stats = reader.stats("sales.orders")
    assert sorted(r["principal"] for r in stats) == sorted(f"principal{n}" for n in range(ROUNDS))
    assert {r["count"] for r in stats} == {COUNTERS}
    assert {r["rows"] for r in stats} == {10 * COUNTERS}
    assert reader.total("sales.orders") == COUNTERS * ROUNDS
    reader.engine.dispose()
