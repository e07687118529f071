"""The safe loader: positions, lossless data, and a clear error (never a traceback or a hang) for every
hostile input the issue lists. Strict mode rejects copy-paste damage; lenient mode repairs it with a
warning."""

from __future__ import annotations

from pathlib import Path

import pytest

from quanta.errors import SpecError
from quanta.spec import load_contract
from quanta.spec.loader import dump_yaml, load_yaml
from tests.spec.conftest import FIXTURES


def _error(text: str | bytes, **kwargs) -> SpecError:
    with pytest.raises(SpecError) as caught:
        load_yaml(text, filename="c.odcs.yaml", **kwargs)
    assert caught.value.diagnostics, "a load error carries diagnostics"
    assert all(d.file == "c.odcs.yaml" for d in caught.value.diagnostics)
    return caught.value


def test_dates_stay_strings_and_key_order_is_kept() -> None:
    loaded = load_yaml("b: 2014-08-02\na: 2030-01-01T04:00:00.000Z\nc: [1, 1.5, true, null, '007']\n")
    assert loaded.data == {
        "b": "2014-08-02",
        "a": "2030-01-01T04:00:00.000Z",
        "c": [1, 1.5, True, None, "007"],
    }
    assert list(loaded.data) == ["b", "a", "c"]


def test_positions_of_every_path() -> None:
    loaded = load_yaml(
        "a: 1\nschema:\n  - name: t\n    properties:\n      - name: x\n        logicalType: string\n"
    )
    assert loaded.position(("schema", 0, "properties", 0)) == (5, 9)
    assert loaded.position(("schema", 0, "properties", 0, "logicalType")) == (6, 9)
    assert loaded.position(("schema", 0, "properties", 0, "missing")) == (5, 9)  # nearest ancestor
    assert loaded.position(("a",)) == (1, 1)


def test_load_save_load_is_lossless() -> None:
    contract = load_contract(FIXTURES / "valid-contract.odcs.yaml")
    again = load_yaml(contract.to_yaml())
    assert again.data == contract.data
    assert list(again.data) == list(contract.data)


def test_duplicate_key() -> None:
    error = _error("id: a\nkind: DataContract\nid: b\n")
    assert error.diagnostics[0].code == "yaml.duplicate-key"
    assert (error.diagnostics[0].line, error.diagnostics[0].column) == (3, 1)
    assert "first at line 1" in error.diagnostics[0].message


def test_alias_bomb_is_capped() -> None:
    levels = ["a: &a [x, x, x, x, x, x, x, x, x, x]"]
    for i, name in enumerate("bcdefgh"):
        prev = "abcdefgh"[i]
        levels.append(f"{name}: &{name} [" + ", ".join([f"*{prev}"] * 10) + "]")
    error = _error("\n".join(levels) + "\n")
    assert error.diagnostics[0].code == "yaml.alias-limit"


def test_size_limit() -> None:
    error = _error("a: " + "x" * 200 + "\n", max_bytes=100)
    assert error.diagnostics[0].code == "yaml.too-large"


def test_size_limit_of_a_file(tmp_path: Path) -> None:
    big = tmp_path / "big.odcs.yaml"
    big.write_text("a: " + "x" * 2000 + "\n")
    with pytest.raises(SpecError) as caught:
        load_yaml(big, max_bytes=1000)
    assert caught.value.diagnostics[0].code == "yaml.too-large"


@pytest.mark.parametrize("flow", [True, False])
def test_nesting_deeper_than_200(flow: bool) -> None:
    if flow:
        text = "a: " + "[" * 250 + "]" * 250 + "\n"
    else:
        text = "".join("  " * i + f"k{i}:\n" for i in range(250)) + "  " * 250 + "v: 1\n"
    error = _error(text)
    assert error.diagnostics[0].code == "yaml.too-deep"


def test_nesting_of_200_is_accepted() -> None:
    text = "a: " + "[" * 199 + "]" * 199 + "\n"  # the root mapping is the first level
    assert load_yaml(text).data["a"]


def test_non_utf8_bytes() -> None:
    error = _error(b"id: caf\xe9\nkind: DataContract\n")
    assert error.diagnostics[0].code == "yaml.encoding"
    assert (error.diagnostics[0].line, error.diagnostics[0].column) == (1, 8)


@pytest.mark.parametrize("text", ["- a\n- b\n", "just text\n", "42\n"])
def test_top_level_must_be_a_mapping(text: str) -> None:
    assert _error(text).diagnostics[0].code == "yaml.not-a-mapping"


@pytest.mark.parametrize("text", ["", "   \n\n", "# only a comment\n", "---\n"])
def test_empty_file(text: str) -> None:
    assert _error(text).diagnostics[0].code == "yaml.empty"


def test_tabs_as_indentation() -> None:
    error = _error("schema:\n\t- name: x\n")
    assert error.diagnostics[0].code == "yaml.tab-indent"
    assert error.diagnostics[0].line == 2


@pytest.mark.parametrize(
    "text",
    [
        "a: !!python/object:os.system ls\n",
        "a: !!python/object/apply:os.system [ls]\n",
        "a: !!python/name:os.system\n",
        "a: !custom {x: 1}\n",
        "a: !!binary aGVsbG8=\n",
        "a: !!set {x, y}\n",
    ],
)
def test_language_tags_are_refused(text: str) -> None:
    error = _error(text)
    assert error.diagnostics[0].code == "yaml.unsafe-tag"
    assert error.diagnostics[0].path == "a"


def test_multiple_documents() -> None:
    assert _error("a: 1\n---\nb: 2\n").diagnostics[0].code == "yaml.multiple-documents"


def test_invalid_yaml_has_a_position() -> None:
    diagnostic = _error("a: [1, 2\nb: 3\n").diagnostics[0]
    assert diagnostic.code == "yaml.syntax"
    assert diagnostic.line is not None


def test_nbsp_indentation_strict_and_lenient() -> None:
    text = "schema:\n\u00a0\u00a0- name: x\n\u00a0\u00a0\u00a0\u00a0logicalType:\u00a0string\n"
    error = _error(text)
    assert {d.code for d in error.diagnostics} == {"yaml.nbsp-indent"}
    assert [d.line for d in error.diagnostics] == [2, 3]
    assert "replace it with a normal space" in error.diagnostics[0].message
    loaded = load_yaml(text, lenient=True)
    assert loaded.data == {"schema": [{"name": "x", "logicalType": "string"}]}
    assert [w.code for w in loaded.warnings] == ["yaml.nbsp-indent", "yaml.nbsp-indent"]
    assert all(w.severity == "warning" for w in loaded.warnings)


def test_typographic_quotes_strict_and_lenient() -> None:
    text = "description: ‘positive values under 500’\nname: “x”\n"
    error = _error(text)
    assert error.diagnostics[0].code == "yaml.typographic-quotes"
    assert error.diagnostics[0].path == "description"
    assert "straight quotes" in error.diagnostics[0].message
    loaded = load_yaml(text, lenient=True)
    assert loaded.data == {"description": "positive values under 500", "name": "x"}
    assert [w.path for w in loaded.warnings] == ["description", "name"]


def test_complex_keys_are_refused() -> None:
    assert _error("? [a, b]\n: c\n").diagnostics[0].code == "yaml.complex-key"


def test_merge_keys_and_aliases_are_expanded() -> None:
    loaded = load_yaml("base: &b {x: 1, y: 2}\nother:\n  <<: *b\n  y: 3\n")
    assert loaded.data["other"] == {"x": 1, "y": 3}


def test_load_contract_reads_a_path_given_as_text(tmp_path: Path) -> None:
    file = tmp_path / "c.odcs.yaml"
    file.write_text((FIXTURES / "valid-contract.odcs.yaml").read_text())
    by_str = load_contract(str(file))
    assert by_str.path == file
    assert by_str.id == "operations.flights.flights"
    assert by_str.schema_object("flights")["properties"][0]["name"] == "flight_id"


def test_dump_yaml_quotes_strings_that_look_like_other_types() -> None:
    data = {"a": "2014-08-02", "b": "true", "c": "1.0", "d": "null"}
    assert load_yaml(dump_yaml(data)).data == data


def test_block_scalars_are_text_that_keeps_its_style() -> None:
    text = "description: |\n  line one\n  line two\nrule: >-\n  has(product.team)\n  && true\n"
    loaded = load_yaml(text)
    assert loaded.data == {"description": "line one\nline two\n", "rule": "has(product.team) && true"}
    assert type(loaded.data["rule"]).__name__ == "FoldedScalarString"  # read by the policy linter
    assert (
        dump_yaml(loaded.data)
        == "description: |\n  line one\n  line two\nrule: >-\n  has(product.team) && true\n"
    )
    contract = load_contract(FIXTURES / "valid-contract.odcs.yaml")
    plain = contract.to_plain()
    assert all(type(v) is str for v in (plain["description"]["purpose"],))
