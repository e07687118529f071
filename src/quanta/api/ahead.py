"""Produce a streamed response's chunks ahead, in a thread of their own, while the server sends earlier ones.

Starlette runs a synchronous body iterator one ``next()`` at a time in its thread pool and sends each
chunk before it asks for the next one, so the server alternates: DuckDB reads, masks and encodes a batch,
then the event loop sends it and waits for the socket to drain, then the next batch is read. Reading and
sending never overlap, and a port is served in the sum of the two times.

:func:`produced_ahead` turns such an iterator into an asynchronous one fed by a producer thread that keeps
at most ``depth`` chunks produced and not yet sent (the one being sent included): with the default of 2,
the next batch is read while the previous one goes out, memory stays bounded by ``depth`` chunks, and a
client that goes away (or an error while sending) stops the producer, which then closes the iterator (its
``finally`` blocks run: sandboxes released, usage recorded) in the producer thread.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import AsyncIterator, Generator
from typing import TypeVar

__all__ = ["DEPTH", "produced_ahead"]

T = TypeVar("T")

#: Chunks produced and not yet sent, the one being sent included (each is one record batch, a few MB).
DEPTH = 2

_END = object()


async def produced_ahead(chunks: Generator[T, None, None], depth: int = DEPTH) -> AsyncIterator[T]:
    """Yield the items of ``chunks``, produced by a thread at most ``depth`` items ahead of the consumer.

    Must be iterated in a running asyncio event loop (uvicorn's). The producer thread is started on the
    first iteration. An exception raised by ``chunks`` is raised here, in its order among the items.

    Args:
        chunks: a generator of response chunks (closed by the producer when done or stopped).
        depth: how many items may have been produced and not yet finished with by the consumer, the
            one it holds included (at least 1; 1 means no overlap).

    Returns:
        An asynchronous iterator over the same items, in order.

    Raises:
        ValueError: ``depth`` is smaller than 1.
    """
    if depth < 1:
        raise ValueError(f"depth must be at least 1, not {depth}")
    loop = asyncio.get_running_loop()
    ready: asyncio.Queue[tuple[object, BaseException | None]] = asyncio.Queue()
    room = threading.Semaphore(depth)
    stop = threading.Event()

    def hand_over(item: object, error: BaseException | None = None) -> None:
        with contextlib.suppress(RuntimeError):  # the event loop has closed: nobody is waiting any more
            loop.call_soon_threadsafe(ready.put_nowait, (item, error))

    def produce() -> None:
        try:
            while True:
                room.acquire()
                if stop.is_set():
                    return
                item = next(chunks, _END)
                hand_over(item)
                if item is _END:
                    return
        except BaseException as error:  # handed to the consumer, which raises it
            hand_over(_END, error)
        finally:
            chunks.close()

    threading.Thread(target=produce, name="quanta-stream", daemon=True).start()
    try:
        while True:
            item, error = await ready.get()
            if error is not None:
                raise error
            if item is _END:
                return
            yield item  # type: ignore[misc]
            room.release()  # the item has been sent: the producer may make one more
    finally:
        stop.set()
        room.release()  # wake a producer waiting for room, so that it sees the stop
