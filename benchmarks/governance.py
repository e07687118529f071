"""Benchmark: the built-in policy pack evaluated over a generated mesh of 200 products.

Run from the repository root::

    .venv/bin/python benchmarks/governance.py [--products 200] [--repeat 3]

It writes the mesh of ``tests/governance/factory.py`` (20 domains, one output port each, a third of the
products with a PII property) to a temporary folder, loads it once (reported apart: YAML parsing is
not policy evaluation), then certifies every product with the built-in pack and reports the best of
``--repeat`` runs. Target (issue 7): evaluation under 2 s for 200 products.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from quanta.governance import certify, find_products, load_policies
from tests.governance.factory import write_scaled_mesh


def main() -> None:
    """Generate the mesh, certify every product, print the timings."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--products", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        root = write_scaled_mesh(Path(folder), products=args.products)
        started = time.perf_counter()
        policies = load_policies(root)
        products = find_products(root)
        loaded = time.perf_counter() - started
        best, best_cpu, verdicts, failing = float("inf"), float("inf"), 0, 0
        for _ in range(args.repeat):
            started, cpu = time.perf_counter(), time.process_time()
            certifications = [
                certify(policies, p.product, p.contracts, domain=p.domain_info) for p in products
            ]
            best = min(best, time.perf_counter() - started)
            best_cpu = min(best_cpu, time.process_time() - cpu)
            verdicts = sum(len(c.verdicts) for c in certifications)
            failing = sum(c.status != "OK" for c in certifications)
    print(
        f"products: {len(products)}  policies: {len(policies.all())}  verdicts: {verdicts}  "
        f"not compliant: {failing}"
    )
    print(f"load (YAML, {len(products)} descriptors + contracts, policies): {loaded:.2f} s")
    print(
        f"evaluate built-in pack: {best:.2f} s wall, {best_cpu:.2f} s CPU "
        f"({best / len(products) * 1000:.1f} ms per product, best of {args.repeat})"
    )


if __name__ == "__main__":
    main()
