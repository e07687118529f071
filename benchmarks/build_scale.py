"""Benchmark: the platform's overhead per product on a mesh of many small products.

Usage::

    .venv/bin/python benchmarks/build_scale.py [--domains 20] [--per-domain 10] [--jobs 2]

Generates a mesh of ``domains × per-domain`` products (200 by default) over tiny CSV sources: in each
domain a source-aligned product, a chain of five products, and fan-ins that read two to four products,
one of them in the previous domain. Builds it cold through the real CLI and reports the overhead per
product: (wall time − time inside the engine) / products (target: under 50 ms), then the no-op rebuild.
With ``--jobs 1`` (the default) the engine times add up exactly; with more jobs they overlap and are
divided by the number of jobs.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.build import run_build, summary

from tests.mesh.factory import add_product, add_source, new_mesh


def generate(root: Path, domains: int, per_domain: int) -> int:
    """Write the mesh; return the number of products."""
    new_mesh(root, "scale")
    count = 0
    for d in range(domains):
        domain = f"d{d:02d}"
        add_source(root, f"{domain}_raw", rows=20)
        add_product(root, domain, "p00", source=f"{domain}_raw")
        count += 1
        for i in range(1, per_domain):
            name = f"p{i:02d}"
            if i <= 5:  # a chain
                reads = [(f"in{i - 1}", f"{domain}.p{i - 1:02d}.p{i - 1:02d}", "1.0.0")]
            else:  # a fan-in of the chain, and of the previous domain's head
                reads = [(f"in{j}", f"{domain}.p{j:02d}.p{j:02d}", "1.0.0") for j in range(i - 5, i - 2)]
                if d > 0:
                    reads.append(("prev", f"d{d - 1:02d}.p00.p00", "1.0.0"))
            add_product(root, domain, name, reads=reads)
            count += 1
    return count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--domains", type=int, default=20)
    parser.add_argument("--per-domain", type=int, default=10)
    parser.add_argument("--jobs", type=int, default=1, help="1 (default) measures the overhead exactly")
    options = parser.parse_args()

    root = Path(tempfile.mkdtemp(prefix="quanta-scale-")) / "mesh"
    products = generate(root, options.domains, options.per_domain)
    wall, document = run_build(root, "--jobs", str(options.jobs))
    engine = sum(p["engineSeconds"] for p in document["products"])
    jobs = options.jobs
    # With N jobs the engine time of parallel products overlaps; count it as spread over the jobs.
    overhead = wall - engine / jobs
    inside = document["seconds"]
    print(
        f"{products} products, cold build {wall:.2f} s, CPU {document['cpuSeconds']:.2f} s "
        f"({summary(document)}; --jobs {jobs})"
    )
    print(
        f"engine time {engine:.2f} s (summed); overhead {overhead:.2f} s = "
        f"{1000 * overhead / products:.1f} ms per product  target < 50 ms"
    )
    print(
        f"  of which inside the build (no interpreter start-up, imports, mesh loading): "
        f"{1000 * (inside - engine / jobs) / products:.1f} ms per product"
    )
    cpu = document["cpuSeconds"]
    engine_cpu = sum(p["engineCpuSeconds"] for p in document["products"])
    print(
        f"CPU {cpu:.2f} s, outside the engine {cpu - engine_cpu:.2f} s = "
        f"{1000 * (cpu - engine_cpu) / products:.1f} ms of CPU per product (mesh loading included)"
    )
    noop, document = run_build(root, "--jobs", str(jobs))
    print(
        f"no-op rebuild {noop:.2f} s = {1000 * noop / products:.1f} ms per product, "
        f"CPU {document['cpuSeconds']:.2f} s ({summary(document)})"
    )


if __name__ == "__main__":
    main()
