"""Semantic search: the model bundled in the ``wordllama`` wheel, hybrid ranking, and the full-text fallback."""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from quanta.api.search import SearchDocument, SearchIndex
from tests.api.server import running
from tests.conftest import require

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "nycflights"
HAS_MODEL = importlib.util.find_spec("wordllama") is not None


def _embedder():
    from quanta.api.semantic import load_embedder

    require(HAS_MODEL, "the semantic extra (`uv sync` installs wordllama with the dev group)")
    embedder = load_embedder()
    assert embedder is not None, "wordllama is installed, so its bundled model must load"
    return embedder


def _documents() -> list[SearchDocument]:
    """The products of the example mesh, as the server indexes them."""
    from quanta.api.catalog import load_catalog
    from quanta.api.services import search_document

    return [search_document(p) for p in load_catalog(EXAMPLE).products.values()]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("rain", "climate.daily_precipitation"),
        ("planes", "fleet.aircraft"),
        ("storms", "climate.airport_weather"),
    ],
)
def test_a_query_without_a_word_in_common_finds_the_product_by_meaning(query, expected) -> None:
    documents = _documents()
    text = " ".join(d.meaning() + " " + d.schema_text for d in documents).lower()
    assert query not in text, "no lexical overlap: full-text search alone cannot find it"
    assert SearchIndex().search(query).total == 0
    index = SearchIndex(_embedder())
    index.replace(documents)
    page = index.search(query)
    assert page.hits[0].key == expected
    assert 0 < page.hits[0].relevance <= 1
    assert page.facets["domain"][expected.split(".")[0]] >= 1, "facets count the products found by meaning"


def test_hybrid_ranking_keeps_lexical_matches_first_and_honours_facets() -> None:
    index = SearchIndex(_embedder())
    index.replace(_documents())
    assert index.search("airports").hits[0].key == "reference.airports"
    assert index.search("carrier punctuality").hits[0].key == "operations.carrier_punctuality"
    filtered = index.search("rain", filters={"domain": ["operations"]})
    assert filtered.hits and {h.key.split(".")[0] for h in filtered.hits} == {"operations"}
    assert index.search("zzqx").total == 0, "nothing near enough by meaning is not a match"


def test_usage_and_quality_still_break_ties() -> None:
    twin = {"name": "daily", "description": "Daily precipitation per airport", "status": "active"}
    index = SearchIndex(_embedder())
    index.replace(
        [
            SearchDocument("a.daily", domain="a", usage=1, quality=0.9, **twin),
            SearchDocument("b.daily", domain="b", usage=7, quality=0.1, **twin),
            SearchDocument("c.daily", domain="c", usage=7, quality=0.8, **twin),
        ]
    )
    assert [h.key for h in index.search("rain").hits] == ["c.daily", "b.daily", "a.daily"]
    index.upsert(SearchDocument("d.daily", domain="d", usage=50, quality=1.0, **twin))
    assert index.search("rain").hits[0].key == "d.daily", "an upsert is embedded too"


def test_the_bundled_model_loads_with_no_network_cache_or_home(tmp_path: Path) -> None:
    require(HAS_MODEL, "the semantic extra (wordllama)")
    home = tmp_path / "home"
    home.mkdir()
    env = {
        **os.environ,
        "HOME": str(home),
        "HF_HOME": str(home / "hf"),
        "HF_HUB_OFFLINE": "1",
        "XDG_CACHE_HOME": str(home / "cache"),
        "NO_PROXY": "",
        "HTTPS_PROXY": "http://127.0.0.1:9",  # any download attempt would fail
        "HTTP_PROXY": "http://127.0.0.1:9",
    }
    script = (
        "from quanta.api.semantic import load_embedder\n"
        "e = load_embedder()\n"
        "print(e.name, e.dimensions, e.embed(['rain']).shape)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["wordllama/l2_supercat-256", "256", "(1,", "256)"]
    assert list(home.rglob("*")) == [], "nothing was downloaded or cached"


def test_without_the_package_search_falls_back_to_full_text() -> None:
    script = (
        "import sys\n"
        "sys.modules['wordllama'] = None  # as if the extra were not installed\n"
        "from quanta.api.semantic import load_embedder\n"
        "from quanta.api.search import SearchDocument, SearchIndex\n"
        "index = SearchIndex(load_embedder())\n"
        "index.replace([SearchDocument('c.p', 'c', 'p', description='Daily precipitation')])\n"
        "print(index.semantic, index.search('rain').total, index.search('precip').total)\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["False", "0", "1"]


@pytest.mark.parametrize("semantic", [True, False])
def test_the_marketplace_api_searches_by_meaning_unless_turned_off(tmp_path: Path, semantic: bool) -> None:
    if semantic:
        _embedder()
    from quanta.api import ServeSettings, create_app

    mesh = tmp_path / "mesh"
    shutil.copytree(EXAMPLE, mesh)
    settings = ServeSettings(mesh_root=mesh, anonymous_discovery=True, semantic=semantic)
    with running(create_app(settings)) as url:
        found = httpx.get(f"{url}/api/v1/products", params={"q": "rain"}, timeout=60)
    assert found.status_code == 200, found.text
    keys = [item["id"] for item in found.json()["items"]]
    if semantic:
        assert keys[0] == "climate.daily_precipitation", json.dumps(found.json())[:500]
    else:
        assert keys == [], "full-text only: no product has the word"


def test_a_rebuilt_index_embeds_the_products_whose_text_changed() -> None:
    index = SearchIndex(_embedder())
    index.replace([SearchDocument("a.x", "a", "x", description="Daily precipitation per airport")])
    assert [h.key for h in index.search("rain").hits] == ["a.x"]
    index.replace([SearchDocument("a.x", "a", "x", description="The aircraft registry")])
    assert index.search("rain").total == 0
    assert [h.key for h in index.search("planes").hits] == ["a.x"]
