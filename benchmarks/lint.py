"""Benchmark of ``quanta lint``: contracts per second, and validation time of deep and wide contracts.

Reproduce the figures quoted in ``docs/standards.md`` and ``docs/performance.md`` with::

    .venv/bin/python benchmarks/lint.py            # 1,000 copies of the official ODCS full example
    .venv/bin/python benchmarks/lint.py --count 200 --jobs 1

It writes ``--count`` copies of the official ODCS v3.1.0 full example (about 10 KB each, distinct ids)
under ``benchmarks/.data/lint/`` (git-ignored), lints them with :func:`quanta.spec.lint_paths`, and then
times the validation of a contract whose properties nest 10 levels deep and of one with 500 properties,
with the naive Python ``jsonschema`` run shown for comparison at a few depths.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # for tests.spec fixtures when run from a checkout

FULL_EXAMPLE = ROOT / "tests" / "spec" / "fixtures" / "odcs-full-example.odcs.yaml"
DATA = ROOT / "benchmarks" / ".data" / "lint"


def write_corpus(count: int) -> Path:
    """Write ``count`` copies of the full example, each with its own id, and return the folder."""
    text = FULL_EXAMPLE.read_text(encoding="utf-8")
    original_id = "53581432-6c55-4ba2-a65f-72344a91553a"
    assert original_id in text
    if DATA.exists():
        shutil.rmtree(DATA)
    DATA.mkdir(parents=True)
    for i in range(count):
        (DATA / f"contract-{i:05d}.odcs.yaml").write_text(text.replace(original_id, f"bench-{i:05d}"))
    return DATA


def bench_corpus(count: int, jobs: int) -> None:
    from quanta.spec import lint_paths

    folder = write_corpus(count)
    cpu_before = _cpu_seconds()
    started = time.perf_counter()
    results = lint_paths([folder], jobs=jobs)
    elapsed = time.perf_counter() - started
    cpu = _cpu_seconds() - cpu_before
    invalid = sum(1 for r in results if not r.valid)
    print(
        f"lint {len(results)} contracts ({FULL_EXAMPLE.stat().st_size / 1024:.1f} KB each), jobs={jobs}: "
        f"{elapsed:.2f} s wall = {len(results) / elapsed:.0f} contracts/s ({invalid} invalid); "
        f"{cpu:.2f} CPU-seconds in all processes = {cpu / len(results) * 1000:.1f} ms per contract"
    )


def _cpu_seconds() -> float:
    """CPU time (user + system) of this process and of its finished worker processes."""
    import resource

    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def bench_shapes() -> None:
    from jsonschema import Draft201909Validator

    from quanta.spec import load_contract, validate
    from quanta.spec.catalog import load_schema
    from quanta.spec.loader import dump_yaml
    from quanta.spec.schema_validation import SchemaValidator
    from tests.spec.test_nesting import contract, nested

    schema = load_schema("DataContract", "v3.1.0")
    deep = dump_yaml(contract([nested(10)]))
    wide = dump_yaml(contract([{"name": f"c{i}", "logicalType": "string"} for i in range(500)]))
    for label, text in (("10 nested levels", deep), ("500 properties", wide)):
        started = time.perf_counter()
        diagnostics = validate(load_contract(text))
        total = time.perf_counter() - started
        python = SchemaValidator(schema, use_compiled=False)
        data = load_contract(text).data
        started = time.perf_counter()
        python.violations(data)
        python_only = time.perf_counter() - started
        print(
            f"{label}: load + validate {total * 1000:.0f} ms ({len(diagnostics)} diagnostics); "
            f"Python-engine diagnostics pass alone {python_only * 1000:.0f} ms"
        )
    naive = Draft201909Validator(schema)
    for depth in (2, 4, 6):
        data = contract([nested(depth)])
        started = time.perf_counter()
        naive.is_valid(data)
        print(f"naive jsonschema, {depth} nested levels: {(time.perf_counter() - started) * 1000:.0f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--count", type=int, default=1000, help="contracts to lint (default 1000)")
    parser.add_argument(
        "--jobs", type=int, default=os.cpu_count() or 1, help="worker processes (default: CPUs)"
    )
    args = parser.parse_args()
    print(f"machine: {os.cpu_count()} CPU(s), load average {os.getloadavg()[0]:.2f}")
    bench_corpus(args.count, args.jobs)
    bench_shapes()


if __name__ == "__main__":
    main()
