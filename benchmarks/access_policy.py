"""Benchmark: the policy step of an enforced query (parse + authorize + rewrite), per statement.

The policy step is what Quanta adds before any data is read: the sqlglot guard, the registry read of the
principal's active agreements, the Cedar decision (query and readPii per port) and the rewrite of the
statement onto sandbox relations. Target: under 5 ms per statement.

For reference it also times the whole enforced query (Delta read, masking in a sealed sandbox, the
statement in a second sealed sandbox, the audit write) on the small test mesh.

Run from the repository root::

    .venv/bin/python benchmarks/access_policy.py [--repeat 300]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

STATEMENTS = {
    "one port": "SELECT carrier, count(*) AS n FROM operations.flights.flights GROUP BY carrier",
    "two ports, join": (
        "SELECT f.carrier, d.avg_delay FROM operations.flights.flights f "
        "JOIN operations.flights.delays d USING (carrier) WHERE f.origin = 'JFK'"
    ),
    "CTE + subquery": (
        "WITH jfk AS (SELECT * FROM operations.flights.flights WHERE origin = 'JFK') "
        "SELECT carrier, (SELECT max(avg_delay) FROM operations.flights.delays) AS worst FROM jfk"
    ),
}


def _time(function, repeat: int) -> tuple[list[float], list[float]]:
    """Return (wall, CPU) milliseconds of ``repeat`` calls; CPU time is less sensitive to a busy machine."""
    function()
    wall, cpu = [], []
    for _ in range(repeat):
        start, start_cpu = time.perf_counter(), time.process_time()
        function()
        cpu.append((time.process_time() - start_cpu) * 1000)
        wall.append((time.perf_counter() - start) * 1000)
    return wall, cpu


def _row(name: str, samples: tuple[list[float], list[float]]) -> str:
    wall, cpu = samples
    ordered = sorted(wall)
    p95 = ordered[int(0.95 * (len(ordered) - 1))]
    return (
        f"{name:<38} wall median {statistics.median(wall):7.2f} ms  p95 {p95:7.2f} ms  "
        f"CPU median {statistics.median(cpu):6.2f} ms  (n={len(wall)})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=300, help="Statements timed per measurement.")
    args = parser.parse_args()

    from quanta.access.enforce import policy_step
    from quanta.access.guard import guard
    from quanta.access.service import AccessService
    from quanta.registry import open_registry
    from tests.access.meshes import write_mesh

    root = write_mesh(Path(tempfile.mkdtemp(prefix="quanta-bench-")) / "mesh")
    registry = open_registry(f"sqlite:///{root / '.quanta' / 'registry.db'}")
    service = AccessService(registry, root)
    for port in ("operations.flights.flights", "operations.flights.delays"):
        agreement = service.request("analytics", port, "benchmark", requested_by="ana")
        if agreement.state.value != "active":
            service.approve(agreement.id, "olga")
    bob = service.principal("bob")

    print("policy step = guard (sqlglot) + active agreements (registry) + Cedar + rewrite")
    for name, sql in STATEMENTS.items():
        print(
            _row(f"policy step: {name}", _time(lambda sql=sql: policy_step(service, bob, sql), args.repeat))
        )
    sql = STATEMENTS["two ports, join"]
    checked = guard(sql)
    ports = [service.catalog.port(name) for name in checked.port_names()]
    policies = service.agreement_policies(bob, ports)
    relations = {ref: f"__quanta_port_{i}" for i, ref in enumerate(checked.ports)}
    print("breakdown (two ports, join):")
    print(_row("  guard (parse + checks)", _time(lambda: guard(sql), args.repeat)))
    print(
        _row(
            "  active agreements (registry read)", _time(lambda: service.active_agreements(bob), args.repeat)
        )
    )
    print(
        _row(
            "  Cedar decision (2 ports x 2 actions)",
            _time(lambda: service.authorizer.decide(bob, ports, policies), args.repeat),
        )
    )
    print(_row("  rewrite", _time(lambda: checked.rewrite(relations), args.repeat)))
    print("whole enforced query (read Delta, mask, sandbox, audit write), for reference:")
    print(
        _row(
            "  query: one port",
            _time(lambda: service.query(bob, STATEMENTS["one port"]), max(20, args.repeat // 10)),
        )
    )
    registry.close()


if __name__ == "__main__":
    main()
