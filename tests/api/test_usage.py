"""Usage counts in a SQLite registry are not lost when other requests write at the same time.

Every authenticated request writes (the token's last use), so a usage count recorded when a stream ends
runs next to other writes: each count must start as a write transaction, or SQLite answers "database is
locked" to the one that read the row before another connection wrote.
"""

from __future__ import annotations

import threading

from quanta.api.usage import UsageCounter
from quanta.registry.db import create_engine
from quanta.registry.migrate import upgrade

COUNTS = 150


def test_counts_survive_concurrent_writes_to_the_registry(tmp_path):
    from sqlalchemy import text

    url = f"sqlite:///{tmp_path / 'registry.db'}"
    upgrade(create_engine(url))
    counter = UsageCounter(engine=create_engine(url))
    other = create_engine(url).execution_options(quanta_write=True)
    with other.begin() as connection:
        connection.execute(text("CREATE TABLE noise (n INTEGER)"))
    errors: list[BaseException] = []
    started = threading.Barrier(3)

    def count() -> None:
        started.wait()
        try:
            for _ in range(COUNTS):
                counter.record("sales.orders", "orders", "carl", "consume", 10)
        except BaseException as error:
            errors.append(error)

    def write_elsewhere() -> None:  # what each request's token check does
        started.wait()
        for n in range(COUNTS):
            with other.begin() as connection:
                connection.execute(text("INSERT INTO noise VALUES (:n)"), {"n": n})

    threads = [threading.Thread(target=count), threading.Thread(target=write_elsewhere)]
    for thread in threads:
        thread.start()
    started.wait()
    for thread in threads:
        thread.join(120)
    assert errors == []
    (row,) = counter.stats("sales.orders")
    assert (row["count"], row["rows"]) == (COUNTS, 10 * COUNTS)
