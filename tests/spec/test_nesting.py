"""Linear-time validation of deep and wide contracts, proven equal to the naive strict validator.

The official ODCS v3.1.0 schema makes a naive Draft 2019-09 run grow about 3× per nesting level. Quanta's
Python engine validates each nested property once (deferred recursion, see
``quanta.spec.schema_validation``); the compiled engine (jsonschema-rs) is linear by construction. Here
the amount of work is counted, not timed (timings are in ``benchmarks/lint.py``), and random documents
prove that the verdict equals the naive validator's.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jsonschema import Draft201909Validator

from quanta.spec import load_contract, validate
from quanta.spec.catalog import load_schema
from quanta.spec.loader import dump_yaml
from quanta.spec.schema_validation import SchemaValidator

SCHEMA = load_schema("DataContract", "v3.1.0")


def nested(depth: int) -> dict[str, Any]:
    """A property holding an object nested ``depth`` levels deep (a JSON event payload)."""
    leaf: dict[str, Any] = {"name": "value", "logicalType": "string", "required": True}
    for level in range(depth):
        leaf = {
            "name": f"level{level}",
            "logicalType": "object",
            "properties": [leaf, {"name": f"n{level}", "logicalType": "integer"}],
        }
    return leaf


def contract(properties: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "apiVersion": "v3.1.0",
        "kind": "DataContract",
        "id": "events",
        "version": "1.0.0",
        "status": "active",
        "schema": [{"name": "events", "physicalType": "topic", "properties": properties}],
    }


@pytest.mark.timeout(120)
@pytest.mark.parametrize("depth", [1, 5, 10, 20])
def test_work_grows_linearly_with_depth(depth: int) -> None:
    data = contract([nested(depth)])
    python = SchemaValidator(SCHEMA, use_compiled=False)
    assert python.violations(data) == []
    # one validation for the document, one per nested property (2 per level + the leaf): linear
    assert python.last_node_validations == 1 + 1 + 2 * depth
    compiled = SchemaValidator(SCHEMA)
    assert compiled.is_valid(data)


@pytest.mark.timeout(120)
def test_error_at_the_bottom_of_ten_levels_is_found_at_its_path() -> None:
    data = contract([nested(10)])
    node = data["schema"][0]["properties"][0]
    path: list[str | int] = ["schema", 0, "properties", 0]
    for _ in range(10):
        node = node["properties"][0]
        path += ["properties", 0]
    node["logicalType"] = "text"
    text = dump_yaml(data)
    document = load_contract(text)
    [error] = [d for d in validate(document) if d.severity == "error"]
    assert error.code == "odcs.schema"
    assert error.path.endswith("properties[0].properties[0].logicalType")
    assert error.path.count("properties[0]") == 11
    line = text.splitlines()[error.line - 1]
    assert line[error.column - 1 :] == "logicalType: text"


@pytest.mark.timeout(120)
def test_five_hundred_properties() -> None:
    props = [{"name": f"c{i}", "logicalType": "string", "required": i % 2 == 0} for i in range(500)]
    python = SchemaValidator(SCHEMA, use_compiled=False)
    assert python.violations(contract(props)) == []
    assert python.last_node_validations == 501
    props[321]["bogus"] = True
    [violation] = python.violations(contract(props))
    assert violation.path == ("schema", 0, "properties", 321, "bogus")


# Random documents: nested property trees with random damage. The naive validator is exponential in
# depth, so the trees stay shallow here; the deferral makes no difference between shallow and deep.
LOGICAL = st.sampled_from(["string", "integer", "object", "array", "number", "date", "bogus"])


@st.composite
def properties(draw, depth: int = 3) -> dict[str, Any]:
    prop: dict[str, Any] = {"name": draw(st.sampled_from(["a", "b", "c"])), "logicalType": draw(LOGICAL)}
    if draw(st.booleans()):
        del prop["name"]  # missing required name
    if draw(st.integers(0, 5)) == 0:
        prop["unknownField"] = 1
    if draw(st.integers(0, 5)) == 0:
        prop["required"] = "yes"  # wrong type
    if prop["logicalType"] == "string" and draw(st.booleans()):
        prop["logicalTypeOptions"] = draw(st.sampled_from([{"maxLength": 3}, {"maximum": 3}]))
    if depth > 0 and draw(st.booleans()):
        prop["properties"] = [draw(properties(depth - 1)) for _ in range(draw(st.integers(0, 2)))]
    if depth > 0 and draw(st.integers(0, 3)) == 0:
        prop["items"] = draw(properties(depth - 1))
    if draw(st.integers(0, 4)) == 0:
        prop["quality"] = [
            draw(
                st.sampled_from(
                    [
                        {"metric": "nullValues", "mustBe": 0},
                        {"metric": "nullValues"},
                        {"rule": "nullCheck"},
                        {"metric": "rowCount", "mustBe": 1, "mustBeLessThan": 2},
                    ]
                )
            )
        ]
    return prop


NAIVE = Draft201909Validator(SCHEMA)
PYTHON = SchemaValidator(SCHEMA, use_compiled=False)
COMPILED = SchemaValidator(SCHEMA)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(properties(), min_size=1, max_size=3))
def test_verdict_equals_the_naive_strict_validator(props: list[dict[str, Any]]) -> None:
    data = contract(props)
    expected = NAIVE.is_valid(copy.deepcopy(data))
    assert (not PYTHON.violations(data)) is expected
    assert COMPILED.is_valid(data) is expected
    assert (not COMPILED.violations(data)) is expected
