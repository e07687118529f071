"""Search ranking on a small index: relevance first, then usage and quality; facets; safe queries."""

from __future__ import annotations

from quanta.api.search import SearchDocument, SearchIndex, fts_expression


def _index() -> SearchIndex:
    index = SearchIndex()
    index.replace(
        [
            SearchDocument(
                "ops.flights",
                "ops",
                "flights",
                description="Every departure with its delay",
                tags=("flights",),
                owner="ops-team",
                status="active",
                usage=5,
                quality=0.9,
            ),
            SearchDocument(
                "ops.delays",
                "ops",
                "delays",
                description="Delay per route",
                tags=("punctuality",),
                owner="ops-team",
                status="active",
                usage=1,
                quality=0.5,
            ),
            SearchDocument(
                "ref.airports",
                "ref",
                "airports",
                description="Airports by code",
                schema_text="faa airport code altitude",
                tags=("reference",),
                owner="ref-team",
                status="draft",
                usage=9,
                quality=1.0,
            ),
            SearchDocument(
                "ref.delay_codes",
                "ref",
                "delay_codes",
                description="Codes explaining a delay",
                owner="ref-team",
                status="active",
                usage=0,
                quality=0.1,
            ),
        ]
    )
    return index


def test_name_matches_rank_above_description_matches():
    hits = [h.key for h in _index().search("delays").hits]
    assert hits[0] == "ops.delays", "a word in the name weighs more than one in a description"


def test_equal_relevance_is_broken_by_usage_then_quality():
    index = SearchIndex()
    same = dict(description="hourly weather", owner="t", status="active")
    index.replace(
        [
            SearchDocument("a.one", "a", "one", usage=1, quality=0.9, **same),
            SearchDocument("a.two", "a", "two", usage=7, quality=0.1, **same),
            SearchDocument("a.three", "a", "three", usage=7, quality=0.8, **same),
        ]
    )
    assert [h.key for h in index.search("weather").hits] == ["a.three", "a.two", "a.one"]


def test_schema_property_names_are_searchable_with_prefixes():
    assert [h.key for h in _index().search("altit").hits] == ["ref.airports"]


def test_facets_filter_and_count():
    page = _index().search("", filters={"domain": ["ref"]}, sort="name")
    assert [h.key for h in page.hits] == ["ref.airports", "ref.delay_codes"]
    assert page.facets["owner"] == {"ref-team": 2}
    assert page.facets["status"] == {"active": 1, "draft": 1}
    tagged = _index().search("", filters={"tag": ["punctuality", "reference"]})
    assert {h.key for h in tagged.hits} == {"ops.delays", "ref.airports"}


def test_all_words_first_then_any_word():
    index = _index()
    assert [h.key for h in index.search("airports code").hits] == ["ref.airports"]
    assert index.search("airports zebra").total >= 1, "an unknown word does not empty the results"


def test_hostile_text_is_only_ever_a_term():
    index = _index()
    for text in ['" OR 1=1 --', "NEAR(a b)", "delay*)", "'; DROP TABLE doc; --", "^", ""]:
        index.search(text)
    assert len(index) == 4
    assert fts_expression("") is None


def test_sort_by_usage_and_pagination():
    page = _index().search("", sort="usage", limit=2, offset=1)
    assert page.total == 4
    assert [h.key for h in page.hits] == ["ops.flights", "ops.delays"]


def test_upsert_remove_and_usage_updates():
    index = _index()
    index.set_usage("ref.delay_codes", 100)
    assert index.search("", sort="usage").hits[0].key == "ref.delay_codes"
    index.remove("ref.delay_codes")
    assert "ref.delay_codes" not in {h.key for h in index.search("delay").hits}


def test_facets_of_a_query_matching_almost_everything_are_exact():
    index = SearchIndex()
    documents = [
        SearchDocument(
            f"d{i % 3}.p{i}",
            f"d{i % 3}",
            f"p{i}",
            description="weather" if i != 7 else "other",
            tags=("a", "b") if i % 2 else ("a",),
            owner=f"t{i % 2}",
            status="active",
        )
        for i in range(10)
    ]
    index.replace(documents)
    page = index.search("weather")
    matched = [d for d in documents if d.description == "weather"]
    assert page.total == 9
    assert page.facets["domain"] == {
        domain: sum(1 for d in matched if d.domain == domain) for domain in ("d0", "d1", "d2")
    }
    assert page.facets["tag"] == {"a": 9, "b": sum(1 for d in matched if "b" in d.tags)}
    assert page.facets["owner"] == {"t0": 5, "t1": 4}
