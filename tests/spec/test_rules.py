"""Semantic rules: each has its own code, fires on the mistake it names and stays quiet on valid input."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from quanta.spec import load_contract, validate
from quanta.spec.loader import dump_yaml
from quanta.spec.rules import check_logical_type_options
from tests.spec.conftest import FIXTURES


def base() -> dict[str, Any]:
    return load_contract(FIXTURES / "valid-contract.odcs.yaml").to_plain()


def v302() -> dict[str, Any]:
    """The fixture in ODCS v3.0.2 form, without quality rules (v3.0 has no `metric`)."""
    data = base()
    data["apiVersion"] = "v3.0.2"
    data["team"] = data["team"]["members"]
    for prop in data["schema"][0]["properties"]:
        prop.pop("quality", None)
    data["schema"][0].pop("quality")
    return data


def codes(data: dict[str, Any]) -> dict[str, list]:
    found: dict[str, list] = {}
    for d in validate(load_contract(dump_yaml(data))):
        found.setdefault(d.code, []).append(d)
    return found


def test_the_valid_fixture_has_no_diagnostic() -> None:
    assert codes(base()) == {}


def test_version_must_be_semver() -> None:
    data = base()
    data["version"] = "1.0"
    [d] = codes(data)["odcs.version"]
    assert d.path == "version" and d.line == 5


def test_unknown_status_is_a_warning() -> None:
    data = base()
    data["status"] = "production"
    [d] = codes(data)["odcs.status"]
    assert d.severity == "warning"


def test_duplicate_object_and_property_names() -> None:
    data = base()
    data["schema"].append(copy.deepcopy(data["schema"][0]))
    data["schema"][0]["properties"][1]["name"] = "flight_id"
    found = codes(data)["odcs.duplicate-name"]
    assert {d.path for d in found} == {"schema[1].name", "schema[0].properties[1].name"}


def test_duplicate_ids() -> None:
    data = base()
    data["schema"][0]["id"] = "flights_obj"
    data["schema"][0]["properties"][0]["id"] = "flights_obj"
    [d] = codes(data)["odcs.duplicate-id"]
    assert d.path == "schema[0].properties[0].id"


@pytest.mark.parametrize(
    ("positions", "ok"), [((1, 2), True), ((2, 1), True), ((1, 3), False), ((1, 1), False)]
)
def test_primary_key_positions_contiguous_from_1(positions: tuple[int, int], ok: bool) -> None:
    data = base()
    props = data["schema"][0]["properties"]
    for prop, position in zip(props[:2], positions, strict=True):
        prop.update(primaryKey=True, primaryKeyPosition=position)
    assert ("odcs.key-position" not in codes(data)) is ok


def test_partition_key_positions() -> None:
    data = base()
    data["schema"][0]["properties"][1].update(partitioned=True, partitionKeyPosition=2)
    [d] = codes(data)["odcs.key-position"]
    assert "partitionKeyPosition" in d.message


def test_logical_type_options_must_fit_the_type() -> None:
    data = v302()
    data["schema"][0]["properties"][1]["logicalTypeOptions"] = {"maximum": 3, "minLength": 5, "maxLength": 2}
    found = codes(data)
    [order] = found["odcs.logical-type-options"]
    assert order.path == "schema[0].properties[1].logicalTypeOptions.minLength"  # 5 > maxLength 2
    # `maximum` does not fit a string: the v3.0.2 schema itself rejects it, and the rule does not repeat it
    assert [d.path for d in found["odcs.schema"]] == ["schema[0].properties[1].logicalTypeOptions.maximum"]
    assert codes(v302()) == {}
    # The rule itself names every misfit, for versions whose schema does not check option names.
    data["schema"][0]["properties"][2]["logicalTypeOptions"] = {"maxLength": 3}
    misfits = {f.path: f.message for f in check_logical_type_options(data)}
    assert (
        "does not fit logicalType 'number'"
        in misfits[("schema", 0, "properties", 2, "logicalTypeOptions", "maxLength")]
    )
    assert ("schema", 0, "properties", 1, "logicalTypeOptions", "maximum") in misfits


def test_one_operator_per_rule() -> None:
    data = v302()
    data["schema"][0]["properties"][0]["quality"] = [{"rule": "nullCheck", "mustBe": 0, "mustBeLessThan": 3}]
    [d] = codes(data)["odcs.quality-operator"]
    assert d.path == "schema[0].properties[0].quality[0]"


@pytest.mark.parametrize("bounds", [[10, 1], [1], ["a", "b"]])
def test_between_takes_two_ascending_numbers(bounds: list) -> None:
    data = v302()
    data["schema"][0]["quality"] = [{"rule": "rowCount", "mustBeBetween": bounds}]
    found = codes(data)
    if bounds == [10, 1]:
        assert found["odcs.between"][0].path == "schema[0].quality[0].mustBeBetween"
        assert "[1, 10]" in found["odcs.between"][0].message
    else:  # a wrong shape may already fail the v3.0.2 schema; either way it is reported at the operator
        reported = [d for ds in found.values() for d in ds if d.severity == "error"]
        assert reported
        assert all(d.path.startswith("schema[0].quality[0].mustBeBetween") for d in reported)


def test_relationship_targets_must_exist() -> None:
    data = base()
    data["schema"][0]["relationships"] = [{"from": "flights.carrier", "to": "flights.nope"}]
    [d] = codes(data)["odcs.relationship-target"]
    assert d.severity == "error" and d.path == "schema[0].relationships[0].to"
    data["schema"][0]["relationships"] = [{"from": "flights.carrier", "to": "airlines.carrier"}]
    [d] = codes(data)["odcs.relationship-target"]
    assert d.severity == "warning"  # another contract may define `airlines`
    data["schema"][0]["relationships"] = [{"from": "flights.carrier", "to": "flights.flight_id"}]
    assert "odcs.relationship-target" not in codes(data)


def test_lifecycle_dates_in_order() -> None:
    data = base()
    data["slaProperties"][1]["value"] = "2010-01-01"
    [d] = codes(data)["odcs.sla-dates"]
    assert d.path == "slaProperties[1].value"
    data["slaProperties"][1]["value"] = "next year"
    assert "not an ISO 8601 date" in codes(data)["odcs.sla-dates"][0].message


@pytest.mark.parametrize(
    ("where", "key"),
    [(("servers", 0), "password"), (("servers", 0), "token"), (("servers", 0), "secretAccessKey")],
)
def test_credentials_are_errors(where: tuple, key: str) -> None:
    data = base()
    data[where[0]][where[1]][key] = "hunter2"
    [d] = codes(data)["odcs.credentials"]
    assert d.path == f"servers[0].{key}"
    data[where[0]][where[1]][key] = "${PG_PASSWORD}"  # naming an environment variable is fine
    assert "odcs.credentials" not in codes(data)


def test_credentials_in_custom_properties() -> None:
    data = base()
    data["customProperties"] = [{"property": "apiKey", "value": "abc123"}]
    [d] = codes(data)["odcs.credentials"]
    assert d.path == "customProperties[0].value"


def test_semantic_findings_inside_a_schema_error_are_not_repeated() -> None:
    data = base()
    data["schema"][0]["properties"][0]["quality"][0]["mustBeBetween"] = [5, 1]
    found = codes(data)
    assert "odcs.schema" in found  # two operators: the v3.1 schema rejects the rule already
    assert "odcs.between" not in found


def test_product_needs_an_output_port() -> None:
    from quanta.spec import load_product

    product = load_product("apiVersion: v1.0.0\nkind: DataProduct\nid: p\nstatus: active\n")
    assert "odps.no-output-port" in {d.code for d in validate(product)}
