"""Marketplace search benchmark: seed 10,000 products, time searches, report p50 / p95 in milliseconds.

Run: ``.venv/bin/python benchmarks/marketplace.py [--products 10000] [--queries 400]``

The products are generated from a fixed vocabulary with a fixed seed (domains, names, descriptions, tags
and 8-20 schema properties each), so runs are comparable. Each query is a one to three word phrase drawn
from the same vocabulary, with facets on a quarter of them, timed through
:meth:`quanta.api.search.SearchIndex.search` exactly as ``GET /api/v1/products`` calls it.
Target: p95 under 50 ms.
"""

from __future__ import annotations

import argparse
import random
import statistics
import time

WORDS = (  # noqa: SIM905 - a sentence reads better than 60 quoted words
    "flight delay airport carrier weather wind precipitation route punctuality aircraft fleet passenger "
    "booking revenue cost fuel crew schedule gate runway departure arrival cancellation hourly daily "
    "monthly customer invoice payment order shipment inventory warehouse supplier product price discount "
    "region country city station sensor temperature pressure humidity flood risk asset building exposure"
).split()
DOMAINS = [f"domain{i:02d}" for i in range(40)]
SYLLABLES = ["ka", "lo", "mi", "nu", "pe", "ra", "si", "to", "vu", "xe", "ba", "de", "fi", "go", "hu", "ja"]


def vocabulary(size: int, rng: random.Random) -> tuple[list[str], list[float]]:
    """The business words plus ``size`` made-up words, with Zipf weights (a few words are very common)."""
    made_up = {"".join(rng.choices(SYLLABLES, k=rng.randint(2, 4))) for _ in range(size * 2)}
    words = WORDS + sorted(made_up)[:size]
    return words, [1 / (rank + 1) for rank in range(len(words))]


def seed(count: int, rng: random.Random, words: list[str], weights: list[float]):
    """Generate ``count`` search documents from ``words`` drawn with ``weights``."""
    from quanta.api.search import SearchDocument

    def pick(k: int) -> list[str]:
        return rng.choices(words, weights, k=k)

    documents = []
    for i in range(count):
        domain = rng.choice(DOMAINS)
        name = "_".join(pick(2)) + f"_{i}"
        description = " ".join(pick(rng.randint(12, 40)))
        schema = " ".join(f"{'_'.join(pick(2))} {' '.join(pick(6))}" for _ in range(rng.randint(8, 20)))
        documents.append(
            SearchDocument(
                key=f"{domain}.{name}",
                domain=domain,
                name=name,
                title=name.replace("_", " "),
                description=description,
                tags=tuple(pick(3)),
                schema_text=schema,
                owner=f"team{rng.randint(0, 60)}",
                status=rng.choice(["active", "active", "active", "draft", "deprecated"]),
                certification=rng.choice(["OK", "NOT COMPLIANT"]),
                usage=rng.randint(0, 5000),
                quality=rng.random(),
                freshness=time.time() - rng.randint(0, 10**7),
            )
        )
    return documents


def main() -> None:
    """Seed, run the queries, print the figures."""
    from quanta.api.search import SearchIndex

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--products", type=int, default=10_000)
    parser.add_argument("--queries", type=int, default=400)
    parser.add_argument(
        "--vocabulary",
        type=int,
        default=5000,
        help="made-up words besides the 60 business words; 0 = every query matches most products",
    )
    args = parser.parse_args()
    rng = random.Random(42)
    words, weights = vocabulary(args.vocabulary, rng)
    documents = seed(args.products, rng, words, weights)
    index = SearchIndex()
    started = time.perf_counter()
    index.replace(documents)
    indexing = time.perf_counter() - started
    timings = []
    for _ in range(args.queries):
        text = " ".join(rng.choices(words, weights, k=rng.randint(1, 3)))
        filters = {"domain": [rng.choice(DOMAINS)]} if rng.random() < 0.25 else None
        started = time.perf_counter()
        page = index.search(text, filters=filters, limit=20)
        timings.append((time.perf_counter() - started) * 1000)
        assert page.total >= 0
    timings.sort()
    p50 = statistics.median(timings)
    p95 = timings[int(len(timings) * 0.95) - 1]
    print(f"products indexed: {args.products} ({len(words)} distinct words) in {indexing:.2f} s")
    print(f"search over {args.queries} queries: p50 {p50:.1f} ms, p95 {p95:.1f} ms (target p95 < 50 ms)")


if __name__ == "__main__":
    main()
