"""Benchmark: the platform's per-product cost of publishing and recording, and publish throughput.

Run from the repository root::

    .venv/bin/python benchmarks/store.py [--products 200] [--rows 2000000] [--registry sqlite|URL]

It measures, in a temporary folder:

- **record**: ``register_product`` + ``start_run`` + ``finish_run`` (one snapshot, 20 check results,
  5 lineage edges, outbox events) per product on a SQLite registry file (or the given URL) — the
  registry's share of the build overhead (issue 4 targets under 50 ms of overhead per product);
- **publish (small)**: one Delta commit of a 1,000-row table per product (what a small product costs);
- **publish (large)**: one Delta commit of ``--rows`` rows streamed from record batches, in rows/s;
- **reconcile**: start-up reconciliation after a clean build, and a full one over every table.
"""

from __future__ import annotations

import argparse
import hashlib
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import pyarrow as pa

from quanta import storage
from quanta.registry import (
    CheckRecord,
    ContractRecord,
    EdgeRecord,
    PortInfo,
    ProductRecord,
    SnapshotRecord,
    open_registry,
    reconcile,
)


def _product(domain: str, name: str, uri: str) -> ProductRecord:
    text = f"apiVersion: v1.0.0\nkind: DataProduct\nid: {domain}-{name}\nversion: 1.0.0\n"
    contract = f"id: {domain}.{name}.{name}\nversion: 1.0.0\n"
    return ProductRecord(
        domain,
        name,
        text,
        hashlib.sha256(text.encode()).hexdigest(),
        odps_id=f"{domain}-{name}",
        owner_team="team",
        descriptor_version="1.0.0",
        ports=[PortInfo(name, "1.0.0", f"{domain}.{name}.{name}", "1.0.0", uri)],
        contracts=[
            ContractRecord(
                f"{domain}.{name}.{name}", "1.0.0", contract, hashlib.sha256(contract.encode()).hexdigest()
            )
        ],
    )


def _checks() -> list[CheckRecord]:
    return [
        CheckRecord(
            "passed" if i % 5 else "failed",
            port="p",
            rule_id=f"r{i}",
            rule_name=f"rule {i}",
            kind="nullValues",
            element=f"t.c{i}",
            severity="warning",
            metric_value=float(i),
            operator="mustBe",
            threshold=0,
            unit="rows",
            duration_ms=1.0,
        )
        for i in range(20)
    ]


def main() -> None:
    """Run the measurements and print one line per figure."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--products", type=int, default=200)
    parser.add_argument("--rows", type=int, default=2_000_000)
    parser.add_argument("--registry", default="sqlite")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder) / "tables"
        url = f"sqlite:///{folder}/registry.db" if args.registry == "sqlite" else args.registry
        small = pa.table({"id": pa.array(range(1000), pa.int64()), "name": [f"n{i}" for i in range(1000)]})
        record_s, publish_s, record_cpu = [], [], []
        with open_registry(url) as registry:
            build = registry.start_build(trigger="benchmark")
            for i in range(args.products):
                domain, name = f"d{i % 20}", f"p{i}"
                uri = storage.table_uri(root, domain, name, name)
                started, cpu = time.perf_counter(), time.process_time()
                registry.register_product(_product(domain, name, uri))
                run = registry.start_run(build, domain, name, fingerprint=f"f{i}")
                middle, middle_cpu = time.perf_counter(), time.process_time()
                published = storage.publish(small, uri, run_id=run, contract_version="1.0.0")
                after, after_cpu = time.perf_counter(), time.process_time()
                registry.finish_run(
                    run,
                    "warned",
                    steps={"transform": 0.1},
                    checks=_checks(),
                    snapshots=[SnapshotRecord.from_published(name, published, contract_version="1.0.0")],
                    lineage=[
                        EdgeRecord("product", f"source.s{j}", f"{domain}.{name}.{name}") for j in range(5)
                    ],
                )
                record_s.append((middle - started) + (time.perf_counter() - after))
                record_cpu.append((middle_cpu - cpu) + (time.process_time() - after_cpu))
                publish_s.append(after - middle)
            registry.finish_build(build, "warned")
            started = time.perf_counter()
            assert not reconcile(registry, root).changed
            quick_s = time.perf_counter() - started
            started = time.perf_counter()
            assert not reconcile(registry, root, full=True).changed
            reconcile_s = time.perf_counter() - started
        batch = 65_536
        schema = pa.schema([("id", pa.int64()), ("value", pa.float64()), ("tag", pa.string())])

        def batches():
            for start in range(0, args.rows, batch):
                n = min(batch, args.rows - start)
                yield pa.record_batch(
                    [pa.array(range(start, start + n), pa.int64()), pa.array([1.5] * n), pa.array(["x"] * n)],
                    schema,
                )

        uri = storage.table_uri(root, "big", "big", "big")
        started = time.perf_counter()
        big = storage.publish(pa.RecordBatchReader.from_batches(schema, batches()), uri, run_id="bench")
        big_s = time.perf_counter() - started
    print(
        f"record   per product: median {statistics.median(record_s) * 1000:.1f} ms, "
        f"p95 {sorted(record_s)[int(len(record_s) * 0.95)] * 1000:.1f} ms "
        f"({args.products} products, {url.split(':')[0]}); CPU median {statistics.median(record_cpu) * 1000:.1f} ms"
    )
    print(f"publish  1,000 rows:  median {statistics.median(publish_s) * 1000:.1f} ms per commit")
    print(f"publish  {big.row_count:,} rows: {big_s:.2f} s, {big.row_count / big_s:,.0f} rows/s")
    print(f"reconcile after a clean build: {quick_s * 1000:.1f} ms")
    per_table = reconcile_s / args.products * 1000
    print(f"reconcile full, {args.products} tables: {reconcile_s:.2f} s ({per_table:.1f} ms per table)")


if __name__ == "__main__":
    main()
