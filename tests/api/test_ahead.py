"""``produced_ahead``: a response's chunks come from a producer thread, in order, bounded, and stoppable.

Driven in a real asyncio event loop with plain generators (the data endpoint's encoder is one); the
served path over a real uvicorn server is covered in ``test_streaming.py``.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Generator

import pytest

from quanta.api.ahead import produced_ahead


class Source:
    """A generator of ``count`` numbered chunks that records what it produced and whether it was closed."""

    def __init__(self, count: int, fail_at: int | None = None) -> None:
        self.count = count
        self.fail_at = fail_at
        self.produced: list[int] = []
        self.threads: set[str] = set()
        self.made = [threading.Event() for _ in range(count)]
        self.closed = threading.Event()

    def chunks(self) -> Generator[bytes, None, None]:
        try:
            for number in range(self.count):
                if number == self.fail_at:
                    raise RuntimeError(f"chunk {number} failed")
                self.threads.add(threading.current_thread().name)
                self.produced.append(number)
                self.made[number].set()
                yield f"chunk {number}".encode()
        finally:
            self.closed.set()


async def _collect(source: Source, depth: int) -> list[bytes]:
    return [chunk async for chunk in produced_ahead(source.chunks(), depth)]


def test_every_chunk_arrives_in_order_from_the_producer_thread():
    source = Source(50)
    chunks = asyncio.run(_collect(source, 2))
    assert chunks == [f"chunk {n}".encode() for n in range(50)]
    assert source.threads == {"quanta-stream"}, "the chunks are produced outside the event loop's thread"
    assert source.closed.wait(10), "the generator is closed when it is exhausted"


def test_an_error_of_the_producer_is_raised_after_the_chunks_before_it():
    source = Source(10, fail_at=4)
    received: list[bytes] = []

    async def consume() -> None:
        async for chunk in produced_ahead(source.chunks(), 3):
            received.append(chunk)

    with pytest.raises(RuntimeError, match="chunk 4 failed"):
        asyncio.run(consume())
    assert received == [f"chunk {n}".encode() for n in range(4)]
    assert source.closed.is_set()


@pytest.mark.parametrize("depth", [1, 2, 4])
def test_a_consumer_that_stops_early_stops_and_closes_the_producer(depth):
    source = Source(1_000)

    async def take_one() -> bytes:
        ahead = produced_ahead(source.chunks(), depth)
        first = await anext(ahead)
        # While the first chunk is held (being sent), the producer makes the next ones up to ``depth``.
        assert await asyncio.to_thread(source.made[depth - 1].wait, 10)
        await ahead.aclose()  # the client went away
        return first

    assert asyncio.run(take_one()) == b"chunk 0"
    assert source.closed.wait(10), "the generator is closed (its finally blocks run) when the consumer stops"
    assert len(source.produced) <= depth + 1, "the producer never ran more than depth chunks ahead"


def test_depth_must_be_positive():
    async def start() -> None:
        await anext(produced_ahead(Source(1).chunks(), 0))

    with pytest.raises(ValueError, match="at least 1"):
        asyncio.run(start())
