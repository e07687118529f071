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

Optional semantic search (:mod:`quanta.api.semantic`, the ``quanta[semantic]`` extra): the index then also
keeps a sentence embedding of each product (its title and name, description, tags and schema property
names; computed when the product is indexed, stored as a ``BLOB`` next to the full-text row). A query is
embedded too, and search is hybrid: the products whose cosine similarity is among the 50 best and at
least :data:`SEMANTIC_FLOOR` (and half the best one) join the full-text matches, so ``rain`` finds daily
precipitation, and every candidate is ranked by ``0.5 × BM25 / best BM25 + 0.5 × similarity`` (reported as
its relevance, 0 to 1), with the same usage and quality tie-breakers. Without the extra, or with it turned
off, the ranking is the full-text one.
"""

from __future__ import annotations

import re
import sqlite3
import threading
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from quanta.api.semantic import Embedder

SortKey = Literal["relevance", "usage", "quality", "freshness", "name"]
FACETS: tuple[str, ...] = ("domain", "tag", "status", "owner", "certification")

_TAG_SEP = "\x1f"
_WORD = re.compile(r"[\w]+", re.UNICODE)
# BM25 column weights, in the column order of the FTS table below.
_WEIGHTS = (10.0, 6.0, 4.0, 2.0, 1.0)
#: Smallest cosine similarity for a product to be found by meaning alone (no word in common).
SEMANTIC_FLOOR = 0.2
#: How many of the nearest products by meaning are considered per query.
SEMANTIC_CANDIDATES = 50
#: Weight of the semantic similarity in the hybrid relevance (the normalised BM25 has the rest).
SEMANTIC_WEIGHT = 0.5
# The description and the property names each count up to this many characters in an embedding: an
# average of token vectors gains little from more, and embedding time grows with the text.
_MEANING_CHARS = 600


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
    properties: tuple[str, ...] = ()

    def meaning(self) -> str:
        """The text whose embedding stands for the product in semantic search.

        Title and name, description, tags and schema property names (``properties``, or the words of
        ``schema_text`` when none are given), with underscores read as spaces; the description and the
        names are cut at 600 characters each.
        """
        names = " ".join(dict.fromkeys(p.replace("_", " ") for p in self.properties))
        names = names or self.schema_text.replace("_", " ")
        return (
            f"{self.title or self.name} {self.name.replace('_', ' ')}. {self.description[:_MEANING_CHARS]} "
            f"{' '.join(self.tags)}. {names[:_MEANING_CHARS]}"
        )


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

    def __init__(self, embedder: Embedder | None = None) -> None:
        self.embedder = embedder
        self._lock = threading.Lock()
        self._global: dict[str, Counter[str]] | None = None
        self._all_rows: list[tuple] | None = None
        self._vectors: tuple[Any, Any] | None = None
        self._embedded: dict[str, bytes] = {}
        self._db = sqlite3.connect(":memory:", check_same_thread=False)
        self._db.executescript(
            """
            CREATE TABLE doc (
                id INTEGER PRIMARY KEY, key TEXT UNIQUE, domain TEXT, name TEXT, owner TEXT, status TEXT,
                certification TEXT, usage INTEGER, quality REAL, freshness REAL, tags TEXT, vec BLOB);
            CREATE TABLE doc_tag (id INTEGER, tag TEXT);
            CREATE INDEX doc_tag_id ON doc_tag(id);
            CREATE INDEX doc_tag_tag ON doc_tag(tag);
            CREATE VIRTUAL TABLE doc_fts USING fts5(
                name, tags, title, description, schema_text,
                tokenize = 'unicode61 remove_diacritics 2');
            """
        )

    def __len__(self) -> int:
        with self._lock:
            return self._db.execute("SELECT count(*) FROM doc").fetchone()[0]

    @property
    def semantic(self) -> bool:
        """Whether the index ranks by meaning too (an embedding model is loaded)."""
        return self.embedder is not None

    def replace(self, documents: Iterable[SearchDocument]) -> None:
        """Drop everything and index ``documents`` (one transaction)."""
        documents = list(documents)
        vectors = self._embed(documents)
        with self._lock, self._db:
            self._global = self._all_rows = None
            self._db.execute("DELETE FROM doc")
            self._db.execute("DELETE FROM doc_tag")
            self._db.execute("DELETE FROM doc_fts")
            for document, vector in zip(documents, vectors, strict=True):
                self._insert(document, vector)

    def upsert(self, document: SearchDocument) -> None:
        """Add ``document`` or replace the entry with the same key."""
        (vector,) = self._embed([document], keep=True)
        with self._lock, self._db:
            self._delete(document.key)
            self._insert(document, vector)

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
            # One pass over the full-text index: matching ids and their BM25 go to a temporary table,
            # from which the total, the page and every facet are computed.
            self._db.execute(
                "CREATE TEMP TABLE IF NOT EXISTS hit (id INTEGER PRIMARY KEY, rank REAL, key TEXT, name TEXT, "
                "domain TEXT, status TEXT, owner TEXT, certification TEXT, usage INTEGER, quality REAL, "
                "freshness REAL, tags TEXT)"
            )
            for any_word in (False, True):
                expression = fts_expression(text, any_word=any_word)
                source, params = self._source(expression, filters or {})
                relevance = _RANK if expression else "0.0"
                self._db.execute("DELETE FROM hit")
                self._db.execute(
                    f"INSERT INTO hit SELECT d.id, {relevance}, d.key, d.name, d.domain, d.status, d.owner, "
                    f"d.certification, d.usage, d.quality, d.freshness, d.tags {source}",
                    params,
                )
                total = self._db.execute("SELECT count(*) FROM hit").fetchone()[0]
                if total or expression is None:
                    break
            if expression is not None and self.embedder is not None:
                total = self._blend(text, filters or {})
            order = _ORDER[sort if expression else _no_text_sort(sort)]
            rows = self._db.execute(
                f"SELECT d.key, d.rank FROM hit d ORDER BY {order} LIMIT ? OFFSET ?",
                [limit, offset],
            ).fetchall()
            filtered = any(v for v in (filters or {}).values())
            facets = self._facets(total, filtered) if total else {name: {} for name in FACETS}
        hits = [SearchHit(key=key, relevance=round(-score, 4) if score else 0.0) for key, score in rows]
        return SearchPage(total=total, hits=hits, facets=facets)

    # -- internals -------------------------------------------------------------------------------

    def _embed(self, documents: list[SearchDocument], *, keep: bool = False) -> list[bytes | None]:
        """Each document's embedding as ``float32`` bytes (``None`` without a model).

        Embeddings are remembered by text, so rebuilding the index after a registry event embeds only
        the products whose text changed; without ``keep`` the memory is pruned to ``documents``.
        """
        if self.embedder is None:
            return [None] * len(documents)
        texts = [d.meaning() for d in documents]
        with self._lock:
            known = dict(self._embedded)
        missing = list(dict.fromkeys(t for t in texts if t not in known))
        for text, row in zip(missing, self.embedder.embed(missing), strict=True):
            known[text] = row.tobytes()
        with self._lock:
            self._embedded = known if keep else {t: known[t] for t in texts}
        return [known[t] for t in texts]

    def _matrix(self) -> tuple[Any, Any]:
        """Row ids and the matrix of their embeddings (one row each), cached until the index changes."""
        import numpy as np

        if self._vectors is None:
            rows = self._db.execute("SELECT id, vec FROM doc WHERE vec IS NOT NULL").fetchall()
            ids = np.array([row[0] for row in rows], dtype=np.int64)
            matrix = (
                np.frombuffer(b"".join(row[1] for row in rows), dtype=np.float32).reshape(len(rows), -1)
                if rows
                else np.zeros((0, 1), dtype=np.float32)
            )
            self._vectors = (ids, matrix)
        return self._vectors

    def _blend(self, text: str, filters: dict[str, Sequence[str]]) -> int:
        """Add the products nearest to ``text`` by meaning to ``hit`` and give every hit its hybrid rank.

        Called with the lock held, after the full-text pass filled ``hit``; returns the new total.
        """
        import numpy as np

        assert self.embedder is not None
        ids, matrix = self._matrix()
        near: list[tuple[int, float]] = []
        if len(ids):
            # einsum's own loop, not BLAS: OpenBLAS would spread 10,000 x 256 over threads, which costs
            # ten times more wall time than it saves on a busy 2-core machine.
            similarity = np.einsum("ij,j->i", matrix, self.embedder.embed([text])[0])
            count = min(SEMANTIC_CANDIDATES, len(ids))
            top = np.argpartition(-similarity, count - 1)[:count]
            floor = max(SEMANTIC_FLOOR, 0.5 * float(similarity[top].max()))
            near = [(int(ids[i]), float(similarity[i])) for i in top if similarity[i] >= floor]
        best = self._db.execute("SELECT min(rank) FROM hit").fetchone()[0]
        if best is not None and best < 0:  # BM25 is negative, lower is better: scale to 0..1 and weigh
            self._db.execute("UPDATE hit SET rank = ? * rank / ?", (-(1.0 - SEMANTIC_WEIGHT), best))
        else:
            self._db.execute("UPDATE hit SET rank = 0.0")
        if near:
            source, params = self._source(None, filters)
            joiner = " AND " if " WHERE " in source else " WHERE "
            marks = ", ".join("?" for _ in near)
            self._db.execute(
                "INSERT OR IGNORE INTO hit SELECT d.id, 0.0, d.key, d.name, d.domain, d.status, d.owner, "
                f"d.certification, d.usage, d.quality, d.freshness, d.tags {source}{joiner}d.id IN ({marks})",
                [*params, *(row for row, _ in near)],
            )
            self._db.executemany(
                "UPDATE hit SET rank = rank - ? WHERE id = ?",
                [(SEMANTIC_WEIGHT * similarity, row) for row, similarity in near],
            )
        return self._db.execute("SELECT count(*) FROM hit").fetchone()[0]

    def _insert(self, d: SearchDocument, vector: bytes | None = None) -> None:
        self._global = self._all_rows = self._vectors = None
        cursor = self._db.execute(
            "INSERT INTO doc (key, domain, name, owner, status, certification, usage, quality, freshness, tags, "
            "vec) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                d.key,
                d.domain,
                d.name,
                d.owner,
                d.status,
                d.certification,
                d.usage,
                d.quality,
                d.freshness,
                _TAG_SEP.join(dict.fromkeys(d.tags)),
                vector,
            ),
        )
        row = cursor.lastrowid
        self._db.executemany("INSERT INTO doc_tag VALUES (?, ?)", [(row, t) for t in dict.fromkeys(d.tags)])
        names = f"{d.name} {d.domain} {d.name.replace('_', ' ')}"
        self._db.execute(
            "INSERT INTO doc_fts (rowid, name, tags, title, description, schema_text) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            (row, names, " ".join(d.tags), d.title, d.description, d.schema_text.replace("_", " ")),
        )

    def _delete(self, key: str) -> None:
        self._global = self._all_rows = self._vectors = None
        found = self._db.execute("SELECT id FROM doc WHERE key = ?", (key,)).fetchone()
        if found is None:
            return
        self._db.execute("DELETE FROM doc WHERE id = ?", found)
        self._db.execute("DELETE FROM doc_tag WHERE id = ?", found)
        self._db.execute("DELETE FROM doc_fts WHERE rowid = ?", found)

    def _source(self, expression: str | None, filters: dict[str, Sequence[str]]) -> tuple[str, list[object]]:
        """The FROM/WHERE part shared by the count, page and facet queries, with its parameters."""
        clauses: list[str] = []
        params: list[object] = []
        if expression is not None:
            clauses.append("doc_fts MATCH ?")
            params.append(expression)
        for facet, values in filters.items():
            values = [v for v in values if v]
            if not values or facet not in FACETS:
                continue
            marks = ", ".join("?" for _ in values)
            if facet == "tag":
                clauses.append(f"d.id IN (SELECT id FROM doc_tag WHERE tag IN ({marks}))")
            else:
                clauses.append(f"d.{facet} IN ({marks})")
            params.extend(values)
        joined = "FROM doc_fts JOIN doc d ON d.id = doc_fts.rowid" if expression is not None else "FROM doc d"
        where = (" WHERE " + " AND ".join(clauses)) if clauses else ""
        return joined + where, params

    def _facets(self, total: int, filtered: bool) -> dict[str, dict[str, int]]:
        """Facet counts over the matches in the temporary ``hit`` table.

        When a query without filters matches most products, the counts are the index-wide counts minus
        those of the few products that did not match (exact, and much cheaper than counting the matches).
        """
        if not filtered and total > len(self._facet_rows()) // 2:
            rows = self._db.execute(
                "SELECT domain, status, owner, certification, tags FROM doc WHERE id NOT IN (SELECT id FROM hit)"
            )
            counters = {name: Counter(counter) for name, counter in self._global_facets().items()}
            counters_missing = _count(rows)
            for name, counter in counters.items():
                counter.subtract(counters_missing[name])
        else:
            counters = _count(self._db.execute("SELECT domain, status, owner, certification, tags FROM hit"))
        return {
            name: {
                value: n
                for value, n in sorted(counter.items(), key=lambda kv: (-kv[1], kv[0]))
                if value and n > 0
            }
            for name, counter in counters.items()
        }

    def _facet_rows(self) -> list[tuple]:
        if self._all_rows is None:
            self._all_rows = self._db.execute(
                "SELECT domain, status, owner, certification, tags FROM doc"
            ).fetchall()
        return self._all_rows

    def _global_facets(self) -> dict[str, Counter[str]]:
        if self._global is None:
            self._global = _count(self._facet_rows())
        return self._global


def _count(rows) -> dict[str, Counter[str]]:
    """Count facet values of ``(domain, status, owner, certification, tags)`` rows."""
    counters: dict[str, Counter[str]] = {name: Counter() for name in FACETS}
    for domain, status, owner, certification, tags in rows:
        counters["domain"][domain] += 1
        counters["status"][status] += 1
        counters["owner"][owner] += 1
        counters["certification"][certification] += 1
        if tags:
            counters["tag"].update(tags.split(_TAG_SEP))
    return counters


def _no_text_sort(sort: SortKey) -> SortKey:
    """Without a text query, "relevance" means the most used, then the best quality."""
    return "usage" if sort == "relevance" else sort


_RANK = "bm25(doc_fts, " + ", ".join(str(w) for w in _WEIGHTS) + ")"
# ORDER BY clauses per sort key over the ``hit`` table (constants, never user text). BM25 is
# lower-is-better.
_ORDER: dict[str, str] = {
    "relevance": "round(d.rank, 2), d.usage DESC, d.quality DESC, d.key",
    "usage": "d.usage DESC, d.quality DESC, d.key",
    "quality": "d.quality DESC, d.usage DESC, d.key",
    "freshness": "d.freshness DESC, d.key",
    "name": "d.name, d.key",
}
