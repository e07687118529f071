"""Contract diff: one test per change class, one per example of the book's Table 5-1, and the bump rule."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from quanta.errors import SpecError
from quanta.spec import load_contract
from quanta.spec.diff import bump_of, bump_version, diff_contracts

EXAMPLE = (
    Path(__file__).resolve().parents[2]
    / "examples/nycflights/domains/operations/flights/contracts/flights.odcs.yaml"
)


def base() -> dict:
    """A small contract: one table with a key, an optional column, quality rules and SLAs."""
    return {
        "apiVersion": "v3.1.0",
        "kind": "DataContract",
        "id": "sales.customers.customers",
        "version": "1.0.1",
        "status": "active",
        "description": {"purpose": "Customers."},
        "team": {"name": "sales", "members": [{"username": "ole", "role": "dpo"}]},
        "schema": [
            {
                "name": "prospect",
                "description": "One row per prospect.",
                "quality": [{"metric": "rowCount", "mustBeGreaterThan": 100}],
                "properties": [
                    {"name": "id", "logicalType": "integer", "primaryKey": True, "required": True},
                    {
                        "name": "email",
                        "logicalType": "string",
                        "required": True,
                        "logicalTypeOptions": {"maxLength": 200},
                        "quality": [{"metric": "nullValues", "mustBeLessThan": 10, "unit": "percent"}],
                    },
                    {"name": "segment", "logicalType": "string", "description": "Marketing segment."},
                ],
            }
        ],
        "slaProperties": [
            {"property": "latency", "value": 4, "unit": "d"},
            {"property": "retention", "value": 3, "unit": "y"},
        ],
    }


def props(contract: dict) -> list:
    """The properties of the first schema object."""
    return contract["schema"][0]["properties"]


def changed(edit, version: str | None = None):
    """Diff ``base()`` against a copy edited by ``edit``; return the result."""
    old = base()
    new = copy.deepcopy(old)
    edit(new)
    if version:
        new["version"] = version
    return diff_contracts(old, new)


def only(result):
    assert len(result.changes) == 1, result.changes
    return result.changes[0]


# -- one test per class ---------------------------------------------------------------------------------
def test_no_change_requires_nothing():
    result = changed(lambda c: None)
    assert result.changes == [] and result.required == "none" and result.bump_ok


def test_patch_description_change():
    change = only(changed(lambda c: props(c)[2].update(description="The CRM segment.")))
    assert (change.level, change.path) == ("patch", "schema[0].properties[2].description")


def test_minor_optional_property_added():
    result = changed(lambda c: props(c).append({"name": "age", "logicalType": "integer"}))
    change = only(result)
    assert (change.level, change.kind, change.path) == ("minor", "added", "schema[0].properties[3]")


def test_major_property_removed():
    change = only(changed(lambda c: props(c).pop(2)))
    assert (change.level, change.kind, change.code) == ("major", "removed", "property.removed")
    assert change.path == "schema[0].properties[2]"


# -- the issue's list, each item ------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("edit", "level", "code"),
    [
        (
            lambda c: c["team"]["members"].append({"username": "karin", "role": "dpo"}),
            "patch",
            "metadata.changed",
        ),
        (lambda c: c.update(tags=["crm"]), "patch", "metadata.changed"),
        (lambda c: c.update(support=[{"channel": "#sales"}]), "patch", "metadata.changed"),
        (lambda c: c["schema"].append({"name": "customer", "properties": []}), "minor", "object.added"),
        (lambda c: c["schema"][0]["quality"][0].update(mustBeGreaterThan=500), "minor", "quality.changed"),
        (lambda c: props(c)[2].update(required=True), "minor", "property.required"),
        (lambda c: props(c)[2].update(transformLogic="lower(seg)"), "minor", "property.logic-changed"),
        (lambda c: c["schema"].pop(0), "major", "object.removed"),
        (lambda c: props(c)[2].update(name="segment_code"), "major", "property.removed"),
        (lambda c: props(c)[0].update(logicalType="string"), "major", "property.type-changed"),
        (lambda c: props(c)[1].update(required=False), "major", "property.required"),
        (lambda c: props(c)[1]["logicalTypeOptions"].update(maxLength=500), "major", "property.constraint"),
        (lambda c: c["schema"][0]["quality"][0].update(mustBeGreaterThan=10), "major", "quality.changed"),
        (lambda c: props(c)[2].update(primaryKey=True), "major", "property.primary-key"),
    ],
    ids=[
        "stakeholder",
        "tags",
        "support",
        "object-added",
        "rule-stricter",
        "optional-to-required",
        "logic-change",
        "object-removed",
        "property-renamed",
        "type-changed",
        "required-to-optional",
        "range-widened",
        "rule-loosened",
        "primary-key-changed",
    ],
)
def test_issue_classes(edit, level, code):
    result = changed(edit)
    assert result.required == level
    assert code in {c.code for c in result.changes if c.level == level}


def test_rename_with_stable_id_is_reported_as_renamed():
    old = base()
    old["schema"][0]["properties"][2]["id"] = "segment_prop"
    new = copy.deepcopy(old)
    new["schema"][0]["properties"][2]["name"] = "segment_code"
    change = only(diff_contracts(old, new))
    assert (change.kind, change.level, change.old, change.new) == (
        "renamed",
        "major",
        "segment",
        "segment_code",
    )


def test_sla_direction():
    stronger = only(changed(lambda c: c["slaProperties"][0].update(value=12, unit="h")))
    weaker = only(changed(lambda c: c["slaProperties"][1].update(value=1)))
    assert (stronger.level, weaker.level) == ("minor", "major")
    assert only(changed(lambda c: c["slaProperties"].pop(1))).level == "major"


def test_allowed_values_widened_and_narrowed():
    def rule(args):
        return lambda c: props(c)[2].update(
            quality=[{"metric": "invalidValues", "arguments": {"validValues": args}, "mustBe": 0}]
        )

    old = base()
    rule(["a", "b", "c"])(old)
    narrower, wider = copy.deepcopy(old), copy.deepcopy(old)
    narrower["schema"][0]["properties"][2]["quality"][0]["arguments"]["validValues"] = ["a", "b"]
    wider["schema"][0]["properties"][2]["quality"][0]["arguments"]["validValues"] = ["a", "b", "c", "d"]
    assert diff_contracts(old, narrower).required == "minor"
    assert diff_contracts(old, wider).required == "major"


def test_between_ranges_use_inclusive_bounds():
    def between(low, high):
        return {"metric": "rowCount", "mustBeBetween": [low, high]}

    old, new = base(), base()
    old["schema"][0]["quality"] = [between(10, 100)]
    new["schema"][0]["quality"] = [between(10, 50)]
    assert diff_contracts(old, new).required == "minor"
    new["schema"][0]["quality"] = [between(5, 50)]
    assert diff_contracts(old, new).required == "major"


# -- Table 5-1 (Implementing Data Mesh, ch. 5), one test per example cell -------------------------------
TABLE_5_1 = [
    # Data contract row
    ("patch", "updating metadata", lambda c: c.update(contractCreatedTs="2026-01-01T00:00:00Z")),
    ("patch", "changing description fields", lambda c: c["description"].update(usage="Score prospects.")),
    (
        "patch",
        "changing stakeholders",
        lambda c: c["team"]["members"].append({"username": "max", "role": "dpo"}),
    ),
    ("minor", "revising a data quality rule", lambda c: props(c)[1]["quality"][0].update(mustBeLessThan=5)),
    (
        "minor",
        "adding a new optional key",
        lambda c: props(c).append({"name": "age", "logicalType": "integer"}),
    ),
    (
        "minor",
        "adding a custom property",
        lambda c: c.update(customProperties=[{"property": "refRulesetName", "value": "x"}]),
    ),
    ("major", "changing the data type of a key", lambda c: props(c)[0].update(logicalType="string")),
    ("major", "changing the name of a key", lambda c: props(c)[0].update(name="prospect_id")),
    ("major", "removing a key", lambda c: props(c).pop(1)),
    # Table row
    ("minor", "adding a new column", lambda c: props(c).append({"name": "country", "required": True})),
    (
        "minor",
        "making a logic change to an existing column",
        lambda c: props(c)[2].update(transformLogic="upper(s)"),
    ),
    ("major", "changing a column's data type", lambda c: props(c)[2].update(physicalType="INTEGER")),
    ("major", "changing a column's name", lambda c: props(c)[2].update(name="segment_name")),
    ("major", "removing a column", lambda c: props(c).pop(2)),
    # The chapter's SemVer stories
    (
        "patch",
        "a new stakeholder: 1.0.1 → 1.0.2",
        lambda c: c["team"]["members"].append({"username": "karin"}),
    ),
    ("minor", "adding age to prospect: 1.0.2 → 1.1.0", lambda c: props(c).append({"name": "age"})),
    (
        "major",
        "merging prospect and customer: → 2.0.0",
        lambda c: c["schema"].__setitem__(0, {"name": "customer", "properties": []}),
    ),
]


@pytest.mark.parametrize(("level", "example", "edit"), TABLE_5_1, ids=[row[1] for row in TABLE_5_1])
def test_table_5_1(level, example, edit):
    result = changed(edit)
    assert result.required == level, [(c.level, c.message) for c in result.changes]
    assert bump_version("1.0.1", level) == result.suggested_version


def test_api_row_refined_for_output_ports():
    """Table 5-1's API row makes "a required parameter changed to optional" minor: a request input
    loosened. For a consumer of an output port the same edit removes a guarantee: major."""
    assert changed(lambda c: props(c)[1].update(required=False)).required == "major"


# -- the bump -------------------------------------------------------------------------------------------
def test_bump_enough_and_not_enough():
    removal = lambda c: props(c).pop(2)  # noqa: E731
    assert not changed(removal, "1.1.0").bump_ok
    assert changed(removal, "2.0.0").bump_ok
    assert changed(lambda c: props(c).append({"name": "age"}), "1.0.2").bump == "patch"
    assert not changed(lambda c: props(c).append({"name": "age"}), "1.0.2").bump_ok
    assert not changed(lambda c: c.update(tags=["x"]), "1.0.0").bump_ok  # a downgrade


def test_bump_helpers_and_invalid_versions():
    assert (bump_of("1.2.3", "1.2.3"), bump_of("1.2.3", "1.3.0"), bump_of("1.2.3", "1.2.2")) == (
        "none",
        "minor",
        "downgrade",
    )
    with pytest.raises(SpecError, match="SemVer"):
        changed(lambda c: None, "v2")


def test_real_example_against_an_edited_copy():
    old = load_contract(EXAMPLE)
    new = copy.deepcopy(old.to_plain())
    new["version"] = "2.0.0"
    last = len(new["schema"][0]["properties"]) - 1
    new["schema"][0]["properties"].pop()
    new["schema"][0]["properties"][1]["logicalType"] = "boolean"
    result = diff_contracts(old, new)
    assert result.required == "major" and result.bump_ok
    paths = [c.path for c in result.changes]
    assert paths == [f"schema[0].properties[{last}]", "schema[0].properties[1].logicalType"]
    data = result.to_dict()
    assert data["required"] == "major" and data["changes"][0]["level"] == "major"


# -- the threshold rule, checked on sampled metric values -------------------------------------------------------
OPERATORS = ["mustBe", "mustNotBe", "mustBeGreaterThan", "mustBeGreaterOrEqualTo", "mustBeLessThan",
             "mustBeLessOrEqualTo", "mustBeBetween", "mustNotBeBetween"]  # fmt: skip


def _passes(rule: dict, value: float) -> bool:
    """What a checker does with the metric ``value`` (bounds of between rules included)."""
    (operator, bound), *_ = ((k, v) for k, v in rule.items() if k in OPERATORS)
    if operator == "mustBeBetween":
        return bound[0] <= value <= bound[1]
    if operator == "mustNotBeBetween":
        return not bound[0] <= value <= bound[1]
    return {
        "mustBe": value == bound,
        "mustNotBe": value != bound,
        "mustBeGreaterThan": value > bound,
        "mustBeGreaterOrEqualTo": value >= bound,
        "mustBeLessThan": value < bound,
        "mustBeLessOrEqualTo": value <= bound,
    }[operator]


def _rule(operator: str, a: int, b: int) -> dict:
    bound = sorted([a, b]) if "Between" in operator else a
    return {"metric": "nullValues", operator: bound}


@given(
    st.sampled_from(OPERATORS), st.integers(-5, 5), st.integers(-5, 5),
    st.sampled_from(OPERATORS), st.integers(-5, 5), st.integers(-5, 5),
)  # fmt: skip
def test_a_minor_threshold_change_never_lets_through_a_value_that_failed(op1, a1, b1, op2, a2, b2):
    """Minor (stricter) means: every metric value passing the new rule passed the old one; major means
    some value passing the new rule failed the old one."""
    old, new = base(), base()
    old["schema"][0]["quality"] = [_rule(op1, a1, b1)]
    new["schema"][0]["quality"] = [_rule(op2, a2, b2)]
    result = diff_contracts(old, new)
    samples = [x / 2 for x in range(-30, 31)]
    let_through = [x for x in samples if _passes(new["schema"][0]["quality"][0], x)
                   and not _passes(old["schema"][0]["quality"][0], x)]  # fmt: skip
    if result.required == "minor":
        assert let_through == []
    elif result.required == "major":
        # Real numbers between the samples may be the only ones let through (open bounds); accept
        # those: a looser rule on a half-integer grid is always visible on a finer one.
        finer = [x / 8 for x in range(-120, 121)]
        assert [x for x in finer if _passes(new["schema"][0]["quality"][0], x)
                and not _passes(old["schema"][0]["quality"][0], x)]  # fmt: skip
