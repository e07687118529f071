"""Marketplace search: full text over products, ranked by relevance, then usage and quality.

The index is an in-process SQLite FTS5 table (``sqlite3`` from the standard library) built from the
registry's products; it is rebuilt or updated whenever the registry changes. It indexes, per product, the
name and title, the description (purpose, usage, limitations), the tags, and every schema property name and
description of its output contracts. Relevance is FTS5's BM25 with column weights (name ≫ tags >
description > schema); products whose relevance is equal (to two decimals) are ordered by usage, then by
quality. Facets (domain, tag, status, owner team, certification) are counted over the matched set.

The user's text is never spliced into SQL: it is split into words, each word becomes a quoted FTS5 prefix
term, and the resulting expression is passed as a bound parameter to ``MATCH``. Every word must match; when
that finds nothing the words are tried again with OR, so a query with one unknown word still finds
something.

Optional semantic search (:mod:`quanta.api.semantic`) can re-rank the full-text candidates; without the
optional extra the order is the full-text one.
"""

from __future__ import annotations

import re
import sqlite3
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Literal

SortKey = Literal["relevance", "usage", "quality", "freshness", "name"]
FACETS: tuple[str, ...] = ("domain", "tag", "status", "owner", "certification")

_WORD = re.compile(r"[\w]+", re.UNICODE)
# BM25 column weights, in the column order of the FTS table below.
_WEIGHTS = (10.0, 6.0, 4.0, 2.0, 1.0)


@dataclass(frozen=True, slots=True)
class SearchDocument:
    """What the index knows of one product.

    Args:
        key: the product's id, ``"<domain>.<product>"``.
        domain: the domain (namespace) name.
        name: the product name, unique within its domain.
        title: a human title (ODPS ``name``/``title``), may equal ``name``.
        description: purpose, usage and limitations text.
        tags: ODPS tags.
        schema_text: schema property names and descriptions of the output contracts, space separated.
        owner: owner team name.
        status: ODPS status (``active``, ``draft``, ``deprecated``, ...) or ``paused``.
        certification: ``OK``, ``NOT COMPLIANT`` or ``""`` when not certified yet.
        usage: consumes and queries counted for the product (a count).
        quality: share of passed checks in the last build, 0.0 to 1.0.
        freshness: Unix time of the last published snapshot in seconds, 0 when never published.
    """

    key: str
    domain: str
    name: str
    title: str = ""
    description: str = ""
    tags: tuple[str, ...] = ()
    schema_text: str = ""
    owner: str = ""
    status: str = ""
    certification: str = ""
    usage: int = 0
    quality: float = 0.0
    freshness: float = 0.0


@dataclass(frozen=True, slots=True)
class SearchHit:
    """One product found, with its relevance (higher is better; 0 when there was no text query)."""

    key: str
    relevance: float


@dataclass(slots=True)
class SearchPage:
    """One page of results.

    Attributes:
        total: how many products matched (before pagination).
        hits: the products of this page, best first.
        facets: for each facet name, ``{value: count}`` over all matched products.
    """

    total: int
    hits: list[SearchHit] = field(default_factory=list)
    facets: dict[str, dict[str, int]] = field(default_factory=dict)


def fts_expression(text: str, *, any_word: bool = False) -> str | None:
    """Turn free text into a safe FTS5 expression of quoted prefix terms.

    Args:
        text: what the user typed.
        any_word: join the terms with OR instead of AND.

    Returns:
        The expression, or ``None`` when the text holds no word.

    Example:
        >>> fts_expression('delay "carrier')
        '"delay"* "carrier"*'
        >>> fts_expression("a OR b", any_word=True)
        '"a"* OR "or"* OR "b"*'
    """
    words = [w.lower() for w in _WORD.findall(text)]
    if not words:
        return None
    terms = ['"' + w.replace('"', '""') + '"*' for w in words]
    return (" OR " if any_word else " ").join(terms)


class SearchIndex:
    """An in-memory FTS5 index of products; safe to use from several threads.

    Example:
        >>> index = SearchIndex()
        >>> index.replace([SearchDocument("ops.flights", "ops", "flights", description="Every departure")])
        >>> [h.key for h in index.search("depart").hits]
        ['ops.flights']
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._db = sqlite3.connect(":memory:", check_same_thread=False)
        self._db.executescript(
            """
            CREATE TABLE doc (
                key TEXT PRIMARY KEY, domain TEXT, name TEXT, owner TEXT, status TEXT,
                certification TEXT, usage INTEGER, quality REAL, freshness REAL);
            CREATE TABLE doc_tag (key TEXT, tag TEXT);
            CREATE INDEX doc_tag_key ON doc_tag(key);
            CREATE VIRTUAL TABLE doc_fts USING fts5(
                name, tags, title, description, schema_text, key UNINDEXED,
                tokenize = 'unicode61 remove_diacritics 2');
            """
        )

    def __len__(self) -> int:
        with self._lock:
            return self._db.execute("SELECT count(*) FROM doc").fetchone()[0]

    def replace(self, documents: Iterable[SearchDocument]) -> None:
        """Drop everything and index ``documents`` (one transaction)."""
        with self._lock, self._db:
            self._db.execute("DELETE FROM doc")
            self._db.execute("DELETE FROM doc_tag")
            self._db.execute("DELETE FROM doc_fts")
            for document in documents:
                self._insert(document)

    def upsert(self, document: SearchDocument) -> None:
        """Add ``document`` or replace the entry with the same key."""
        with self._lock, self._db:
            self._delete(document.key)
            self._insert(document)

    def remove(self, key: str) -> None:
        """Remove the product ``key`` (no error when it is not indexed)."""
        with self._lock, self._db:
            self._delete(key)

    def set_usage(self, key: str, usage: int) -> None:
        """Update the usage count of ``key`` (a tie-breaker and a sort key)."""
        with self._lock, self._db:
            self._db.execute("UPDATE doc SET usage = ? WHERE key = ?", (usage, key))

    def search(
        self,
        text: str = "",
        *,
        filters: dict[str, Sequence[str]] | None = None,
        sort: SortKey = "relevance",
        limit: int = 20,
        offset: int = 0,
    ) -> SearchPage:
        """Find products.

        Args:
            text: free text; empty lists every product.
            filters: facet name (one of :data:`FACETS`) → accepted values (OR within a facet, AND across).
            sort: ``relevance`` (BM25, then usage, then quality), ``usage``, ``quality``, ``freshness``
                (newest first) or ``name``.
            limit: page size (1 to 1000).
            offset: how many results to skip.

        Returns:
            The page, the total and the facet counts over all matches.
        """
        limit = max(1, min(int(limit), 1000))
        offset = max(0, int(offset))
        with self._lock:
            for any_word in (False, True):
                expression = fts_expression(text, any_word=any_word)
                rows = self._matches(expression, filters or {})
                if rows or expression is None:
                    break
            ordered = sorted(rows, key=_sort_key(sort if expression else _no_text_sort(sort)))
            page = [SearchHit(key=row[0], relevance=round(-row[1], 4)) for row in ordered]
            facets = self._facets([row[0] for row in rows])
        return SearchPage(total=len(page), hits=page[offset : offset + limit], facets=facets)

    # -- internals -------------------------------------------------------------------------------

    def _insert(self, d: SearchDocument) -> None:
        self._db.execute(
            "INSERT INTO doc VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (d.key, d.domain, d.name, d.owner, d.status, d.certification, d.usage, d.quality, d.freshness),
        )
        self._db.executemany("INSERT INTO doc_tag VALUES (?, ?)", [(d.key, t) for t in dict.fromkeys(d.tags)])
        names = f"{d.name} {d.domain} {d.name.replace('_', ' ')}"
        self._db.execute(
            "INSERT INTO doc_fts (name, tags, title, description, schema_text, key) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            (names, " ".join(d.tags), d.title, d.description, d.schema_text.replace("_", " "), d.key),
        )

    def _delete(self, key: str) -> None:
        self._db.execute("DELETE FROM doc WHERE key = ?", (key,))
        self._db.execute("DELETE FROM doc_tag WHERE key = ?", (key,))
        self._db.execute("DELETE FROM doc_fts WHERE key = ?", (key,))

    def _matches(self, expression: str | None, filters: dict[str, Sequence[str]]) -> list[tuple]:
        clauses: list[str] = []
        params: list[object] = []
        for facet, values in filters.items():
            values = [v for v in values if v]
            if not values:
                continue
            marks = ", ".join("?" for _ in values)
            if facet == "tag":
                clauses.append(f"d.key IN (SELECT key FROM doc_tag WHERE tag IN ({marks}))")
            elif facet in FACETS:
                clauses.append(f"d.{facet} IN ({marks})")
            else:
                continue
            params.extend(values)
        where = (" AND " + " AND ".join(clauses)) if clauses else ""
        columns = "d.key, {rank}, d.usage, d.quality, d.freshness, d.name"
        if expression is None:
            sql = f"SELECT {columns.format(rank='0.0')} FROM doc d WHERE 1 = 1{where}"
            return self._db.execute(sql, params).fetchall()
        rank = "bm25(doc_fts, " + ", ".join(str(w) for w in _WEIGHTS) + ")"
        sql = (
            f"SELECT {columns.format(rank=rank)} FROM doc_fts JOIN doc d ON d.key = doc_fts.key "
            f"WHERE doc_fts MATCH ?{where}"
        )
        return self._db.execute(sql, [expression, *params]).fetchall()

    def _facets(self, keys: list[str]) -> dict[str, dict[str, int]]:
        facets: dict[str, dict[str, int]] = {name: {} for name in FACETS}
        if not keys:
            return facets
        self._db.execute("CREATE TEMP TABLE IF NOT EXISTS hit (key TEXT PRIMARY KEY)")
        self._db.execute("DELETE FROM hit")
        self._db.executemany("INSERT OR IGNORE INTO hit VALUES (?)", [(k,) for k in keys])
        for name in ("domain", "status", "owner", "certification"):
            rows = self._db.execute(
                f"SELECT d.{name}, count(*) FROM doc d JOIN hit h ON h.key = d.key "
                f"WHERE d.{name} <> '' GROUP BY d.{name} ORDER BY count(*) DESC, d.{name}"
            ).fetchall()
            facets[name] = dict(rows)
        rows = self._db.execute(
            "SELECT t.tag, count(*) FROM doc_tag t JOIN hit h ON h.key = t.key "
            "GROUP BY t.tag ORDER BY count(*) DESC, t.tag"
        ).fetchall()
        facets["tag"] = dict(rows)
        return facets


def _no_text_sort(sort: SortKey) -> SortKey:
    """Without a text query, "relevance" means the most used, then the best quality."""
    return "usage" if sort == "relevance" else sort


def _sort_key(sort: SortKey):
    # Row layout: key, bm25 (lower is better), usage, quality, freshness, name.
    if sort == "relevance":
        return lambda r: (round(r[1], 2), -r[2], -r[3], r[0])
    if sort == "usage":
        return lambda r: (-r[2], -r[3], r[0])
    if sort == "quality":
        return lambda r: (-r[3], -r[2], r[0])
    if sort == "freshness":
        return lambda r: (-r[4], r[0])
    return lambda r: (r[5], r[0])
