"""celpy's CEL parser loaded from Quanta's per-user cache parses exactly as the one celpy builds itself,
and a broken or unwritable cache never stops a policy from compiling."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from celpy.celparser import CELParser

from quanta.governance import cel_parser
from quanta.governance.cel import CelProgram, to_cel
from tests.governance.test_cel import DOC, EXPRESSIONS, outcome


@pytest.fixture()
def fresh_parser(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """No parser in celpy, the cache in ``tmp_path/cache``; the process's parser is restored afterwards."""
    saved = CELParser.CEL_PARSER
    monkeypatch.setenv("QUANTA_CACHE_DIR", str(tmp_path / "cache"))
    CELParser.CEL_PARSER = None
    yield tmp_path / "cache"
    CELParser.CEL_PARSER = saved


def parse_all() -> list[tuple[object, tuple[int, int, int]]]:
    """Every test expression parsed by the current parser: the tree and the root's positions.

    Trees compare rule names as text and tokens by type and text (``lark.Tree.__eq__``): a parser
    loaded from Lark's cache names rules with ``str``, a freshly built one with ``Token('RULE', ...)``.
    """
    parser = CELParser()
    shapes = []
    for text in EXPRESSIONS:
        tree = parser.parse(text)
        shapes.append((tree, (tree.meta.line, tree.meta.column, tree.meta.end_column)))
    return shapes


def evaluate_all() -> list[object]:
    """Every test expression compiled with the current parser and evaluated on the test document."""
    variables = {"d": to_cel(DOC)}
    return [outcome(CelProgram(text), variables) for text in EXPRESSIONS]


def test_cached_parser_parses_like_celpys_own(fresh_parser: Path) -> None:
    cel_parser.install()
    built = parse_all()
    files = list(fresh_parser.glob("cel-parser-*.lark"))
    assert len(files) == 1 and files[0].stat().st_size > 0
    assert not list(fresh_parser.glob(".*"))  # no stray files beside it

    CELParser.CEL_PARSER = None
    cel_parser.install()  # now loaded from the file
    loaded, loaded_values = parse_all(), evaluate_all()

    CELParser.CEL_PARSER = None
    CELParser()  # celpy builds its own, without Quanta
    assert built == loaded == parse_all()
    assert loaded_values == evaluate_all()


def test_programs_evaluate_with_the_cached_parser(fresh_parser: Path) -> None:
    cel_parser.install()
    CELParser.CEL_PARSER = None
    cel_parser.install()
    program = CelProgram("product.status == 'active' && size(product.tags) > 1")
    assert program.evaluate({"product": to_cel({"status": "active", "tags": ["a", "b"]})}) is True
    assert program.evaluate({"product": to_cel({"status": "draft", "tags": ["a", "b"]})}) is False


def test_a_broken_cache_file_is_repaired(fresh_parser: Path) -> None:
    cel_parser.install()
    expected_trees, expected_values = parse_all(), evaluate_all()
    (target,) = fresh_parser.glob("cel-parser-*.lark")
    target.write_bytes(b"not a lark cache\n")

    CELParser.CEL_PARSER = None
    cel_parser.install()  # removed as unreadable, built again and saved
    assert evaluate_all() == expected_values
    assert target.stat().st_size > 100

    CELParser.CEL_PARSER = None
    cel_parser.install()
    assert parse_all() == expected_trees


def test_an_unwritable_cache_folder_builds_without_a_cache(
    tmp_path: Path, fresh_parser: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    monkeypatch.setenv("QUANTA_CACHE_DIR", str(blocker / "cache"))  # cannot be created under a file
    cel_parser.install()
    assert CELParser.CEL_PARSER is not None
    CelProgram("1 + 1 == 2")
    assert len(parse_all()) == len(EXPRESSIONS)


def test_cache_folder_follows_the_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("QUANTA_CACHE_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert cel_parser.cache_dir() == tmp_path / "xdg" / "quanta"
    monkeypatch.setenv("QUANTA_CACHE_DIR", str(tmp_path / "mine"))
    assert cel_parser.cache_dir() == tmp_path / "mine"


def test_cache_off_builds_the_parser_without_a_file(
    fresh_parser: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("QUANTA_CACHE_DIR", "off")
    assert cel_parser.cache_dir() is None
    cel_parser.install()
    assert CELParser.CEL_PARSER is not None
    assert [tree for tree, _ in parse_all()] and not list(tmp_path.rglob("*.lark"))
