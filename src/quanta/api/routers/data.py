"""Data: stream a port's rows (``/api/v1/products/{id}/ports/{port}/data``) and run queries (``/api/v1/query``).

Both go only through the access service, which authorizes from the caller's agreements, masks restricted
columns, applies row filters and writes the audit log. Rows are sent as an Arrow IPC stream, CSV or
NDJSON, batch by batch.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, HTTPException, Query, status
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, Field

from quanta.api import consumption
from quanta.api.deps import CallerDep, ProductByIdDep, ServicesDep
from quanta.api.services import Conflict
from quanta.api.sunset import lifecycle_headers

router = APIRouter(prefix="/api/v1", tags=["data"])
Format = Literal["arrow", "csv", "ndjson"]
MEDIA = {"arrow": "application/vnd.apache.arrow.stream", "csv": "text/csv", "ndjson": "application/x-ndjson"}
BATCH_ROWS = 65_536


def _batches(table: Any) -> Iterator[Any]:
    yield from table.to_batches(max_chunksize=BATCH_ROWS)


class _Chunks:
    """A write-only file object collecting what the Arrow IPC writer writes, drained after each batch."""

    closed = False

    def __init__(self) -> None:
        self.parts: list[bytes] = []

    def write(self, data: bytes) -> int:
        self.parts.append(bytes(data))
        return len(data)

    def flush(self) -> None:
        pass

    def drain(self) -> bytes:
        data, self.parts = b"".join(self.parts), []
        return data


def _encode(table: Any, fmt: Format) -> Iterator[bytes]:
    """Encode an Arrow table batch by batch: an Arrow IPC stream, CSV with one header, or NDJSON."""
    import pyarrow as pa

    if fmt == "arrow":
        chunks = _Chunks()
        writer = pa.ipc.new_stream(pa.PythonFile(chunks, mode="w"), table.schema)
        yield chunks.drain()
        for batch in _batches(table):
            writer.write_batch(batch)
            yield chunks.drain()
        writer.close()
        yield chunks.drain()
    elif fmt == "csv":
        import pyarrow.csv as pacsv

        batches = list(_batches(table)) or [pa.RecordBatch.from_pylist([], schema=table.schema)]
        for index, batch in enumerate(batches):
            sink = pa.BufferOutputStream()
            pacsv.write_csv(
                pa.Table.from_batches([batch]), sink, pacsv.WriteOptions(include_header=index == 0)
            )
            yield sink.getvalue().to_pybytes()
    else:
        for batch in _batches(table):
            yield "".join(json.dumps(row, default=str) + "\n" for row in batch.to_pylist()).encode()


def stream_table(
    table: Any, fmt: Format, filename: str, headers: dict[str, str] | None = None
) -> StreamingResponse:
    """A streaming response of ``table`` in ``fmt``, with its row count in ``X-Row-Count``.

    Args:
        headers: more headers (e.g. ``Deprecation``/``Sunset``/``Link`` of :mod:`quanta.api.sunset`).
    """
    suffix = {"arrow": "arrows", "csv": "csv", "ndjson": "ndjson"}[fmt]
    return StreamingResponse(
        _encode(table, fmt),
        media_type=MEDIA[fmt],
        headers={
            "Content-Disposition": f'attachment; filename="{filename}.{suffix}"',
            "X-Row-Count": str(table.num_rows),
            **(headers or {}),
        },
    )


@router.get(
    "/products/{product_id}/ports/{port}/data",
    summary="Rows of a port, as the caller may see them",
    response_class=StreamingResponse,
    responses={200: {"content": {m: {} for m in MEDIA.values()}}},
)
def get_data(
    product: ProductByIdDep,
    port: str,
    services: ServicesDep,
    caller: CallerDep,
    format: Format = "arrow",
    limit: Annotated[int | None, Query(ge=1, le=100_000_000, description="At most this many rows.")] = None,
) -> StreamingResponse:
    """The latest published rows of the port, masked and filtered by the caller's agreement.

    A deprecated port's rows come with ``Deprecation``, ``Sunset`` and ``Link: rel="successor-version"``
    headers; a retired port is ``410 Gone``.
    """
    if product.port(port) is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"{product.key} has no output port {port!r}")
    if services.state(product)["paused"]:
        raise Conflict(f"{product.key} is paused by its owners; its data is not served until it is resumed")
    limit = min(limit or services.settings.max_rows, services.settings.max_rows)
    result = consumption.read_result(services, caller, f"{product.key}.{port}", limit)
    table = result.table
    services.count_use(product.key, port, caller, "consume", table.num_rows)
    headers = lifecycle_headers(result.deprecations)
    return stream_table(table, format, f"{product.key}.{port}", headers)


class QueryRequest(BaseModel):
    """One read-only SQL statement over ports named ``domain.product.port``."""

    sql: str = Field(min_length=1, max_length=100_000, description="DuckDB SQL; only SELECT queries.")
    format: Format = Field("ndjson", description="Result encoding.")
    limit: int | None = Field(None, ge=1, le=100_000_000, description="At most this many rows.")


@router.post(
    "/query",
    summary="Run a query through the enforced path",
    response_class=StreamingResponse,
    responses={200: {"content": {m: {} for m in MEDIA.values()}}},
)
def post_query(
    services: ServicesDep, caller: CallerDep, body: Annotated[QueryRequest, Body()]
) -> StreamingResponse:
    """The same guard, authorization, masking and audit as ``quanta query``.

    Reading a deprecated port adds ``Deprecation``/``Sunset``/``Link`` headers; a retired one is ``410``.
    """
    result = consumption.query(services, caller, body.sql)
    table = result.table
    limit = min(body.limit or services.settings.max_rows, services.settings.max_rows)
    if table.num_rows > limit:
        table = table.slice(0, limit)
    for name in result.ports:
        key, port = name.rsplit(".", 1)
        services.count_use(key, port, caller, "query", table.num_rows)
    return stream_table(table, body.format, "query", lifecycle_headers(result.deprecations))
