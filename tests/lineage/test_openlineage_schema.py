"""Every event Quanta emits validates against the OpenLineage JSON Schema (core spec and each facet)."""

from __future__ import annotations

import json
import traceback
import uuid
from pathlib import Path
from urllib.parse import urlparse

import jsonschema
import pytest
from referencing import Registry, Resource

from quanta.lineage import (
    Dataset,
    assertions_from_checks,
    column_lineage_from_contract,
    job_name,
    namespace,
    port_dataset,
    run_event,
    to_json,
)
from quanta.spec import load_contract

SCHEMAS = Path(__file__).with_name("schemas")
CORE = "https://openlineage.io/spec/2-0-2/OpenLineage.json"
#: The lineage part of an ODCS contract, as in the ODCS v3.1.0 full example (and the book's Example 8-3).
CONTRACT = """
apiVersion: v3.1.0
kind: DataContract
id: finance.payments.tbl
version: 1.0.0
status: active
schema:
  - name: tbl
    properties:
      - name: transaction_reference_date
        logicalType: date
        description: Reference date for the transaction.
        transformSourceObjects: [table_name_1, table_name_2, table_name_3]
        transformLogic: >-
          sel t1.txn_dt as txn_ref_dt from table_name_1 as t1, table_name_2 as
          t2, table_name_3 as t3 where t1.txn_dt=date-3
        transformDescription: defines the logic in business terms
      - name: rcvr_id
        logicalType: string
        transformSourceObjects: [table_name_1.receiver]
      - name: rcvr_cntry_code
        logicalType: string
"""


def _schemas() -> Registry:
    resources = []
    for file in sorted(SCHEMAS.glob("*.json")):
        contents = json.loads(file.read_text())
        resources.append((contents["$id"], Resource.from_contents(contents)))
    return Registry().with_resources(resources)


REGISTRY = _schemas()
FORMATS = jsonschema.Draft202012Validator.FORMAT_CHECKER


@FORMATS.checks("uri")
def _is_uri(value: object) -> bool:
    """A URI has a scheme (RFC 3986); the optional rfc3987 package is not installed."""
    return not isinstance(value, str) or bool(urlparse(value).scheme)


@FORMATS.checks("date-time", raises=ValueError)
def _is_date_time(value: object) -> bool:
    """RFC 3339 date-time: a date, a time and an offset (the optional rfc3339-validator is not installed)."""
    if not isinstance(value, str):
        return True
    from datetime import datetime

    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return "T" in value.upper() and parsed.tzinfo is not None


def _validator(url: str) -> jsonschema.Draft202012Validator:
    base, _, pointer = url.partition("#")
    schema = {"$ref": url} if pointer else {"$ref": base}
    return jsonschema.Draft202012Validator(schema, registry=REGISTRY, format_checker=FORMATS)


def _facets(event: dict) -> list[dict]:
    found = [*event["run"].get("facets", {}).values(), *event["job"].get("facets", {}).values()]
    for dataset in event.get("inputs", []) + event.get("outputs", []):
        for key in ("facets", "inputFacets", "outputFacets"):
            found.extend(dataset.get(key, {}).values())
    return found


def validate_event(event: dict) -> None:
    """Validate an event against the core schema, then each facet against the schema its _schemaURL names."""
    assert event["schemaURL"].startswith(CORE)
    _validator(event["schemaURL"]).validate(event)
    for facet in _facets(event):
        url = facet["_schemaURL"]
        assert REGISTRY.get(url.partition("#")[0]) is not None, f"no schema kept for facet {url}"
        _validator(url).validate(facet)


def _events() -> list[dict]:
    """START, COMPLETE and FAIL of one product run, with every facet Quanta emits."""
    obj = load_contract(CONTRACT).schema[0]
    ns = namespace("nycflights")
    lineage = column_lineage_from_contract(
        obj["properties"], {"table_name_1": "source.payments.table_name_1"}
    )
    source = Dataset(
        ns,
        "source.payments.table_name_1",
        schema=[{"name": "txn_dt", "type": "date"}],
        location="/mesh/sources/payments.csv",
    )
    output = Dataset(
        ns,
        port_dataset("finance", "payments", obj["name"]),
        schema=[
            {"name": p["name"], "type": p.get("logicalType"), "description": p.get("description")}
            for p in obj["properties"]
        ],
        location="s3://lake/mesh/finance/payments/tbl",
        version=4,
        row_count=1200,
        assertions=assertions_from_checks(
            [
                {"status": "passed", "rule_name": "row count", "element": "tbl"},
                {"status": "failed", "rule_name": "rcvr_id not null", "element": "tbl.rcvr_id"},
                {"status": "not_evaluated", "rule_name": "freshness"},
            ]
        ),
        column_lineage=lineage,
    )
    run, build = str(uuid.uuid4()), str(uuid.uuid4())
    common = {"run_id": run, "job": job_name("finance", "payments"), "namespace": ns, "parent_run_id": build}
    try:
        raise RuntimeError("gate failed: rcvr_id not null")
    except RuntimeError as exc:
        failure = {"error": str(exc), "stack_trace": traceback.format_exc()}
    events = [
        run_event("START", inputs=[source], outputs=[Dataset(ns, output.name)], sql="SELECT 1", **common),
        run_event("COMPLETE", inputs=[source], outputs=[output], **common),
        run_event("FAIL", inputs=[source], outputs=[], **common, **failure),
    ]
    return [json.loads(to_json(e)) for e in events]


def test_start_complete_and_fail_events_validate_against_the_openlineage_schema() -> None:
    events = _events()
    for event in events:
        validate_event(event)
    start, complete, fail = events
    assert [e["eventType"] for e in events] == ["START", "COMPLETE", "FAIL"]
    assert start["run"]["runId"] == complete["run"]["runId"] == fail["run"]["runId"]
    out = complete["outputs"][0]
    assert set(out["facets"]) == {"schema", "symlinks", "version", "dataQualityAssertions", "columnLineage"}
    assert out["outputFacets"]["outputStatistics"]["rowCount"] == 1200
    assert out["facets"]["symlinks"]["identifiers"] == [
        {"namespace": "s3://lake", "name": "mesh/finance/payments/tbl", "type": "TABLE"}
    ]
    assertions = out["facets"]["dataQualityAssertions"]["assertions"]
    assert [(a["assertion"], a["success"], a.get("column")) for a in assertions] == [
        ("row count", True, "tbl"),
        ("rcvr_id not null", False, "rcvr_id"),
    ]
    fields = out["facets"]["columnLineage"]["fields"]
    sources = fields["transaction_reference_date"]["inputFields"]
    assert [(s["name"], s["field"]) for s in sources] == [
        ("source.payments.table_name_1", "transaction_reference_date"),
        ("table_name_2", "transaction_reference_date"),
        ("table_name_3", "transaction_reference_date"),
    ]
    assert [(s["name"], s["field"]) for s in fields["rcvr_id"]["inputFields"]] == [
        ("source.payments.table_name_1", "receiver")
    ]
    assert "rcvr_cntry_code" not in fields
    assert sources[0]["transformations"][0]["description"].startswith("sel t1.txn_dt as txn_ref_dt")
    assert fail["run"]["facets"]["errorMessage"]["message"] == "gate failed: rcvr_id not null"
    parent = fail["run"]["facets"]["parent"]
    assert (parent["job"]["namespace"], parent["job"]["name"]) == ("quanta://nycflights", "build")


@pytest.mark.parametrize(
    ("path", "value"),
    [
        (("eventType",), "FINISHED"),
        (("run", "runId"), "not-a-uuid"),
        (("eventTime",), "yesterday"),
        (("producer",), "no scheme"),
        (("job",), {"name": "no namespace"}),
    ],
)
def test_the_schema_check_rejects_a_broken_event(path: tuple[str, ...], value: object) -> None:
    event = _events()[1]
    target = event
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    with pytest.raises(jsonschema.ValidationError):
        validate_event(event)


def test_the_schema_check_rejects_a_broken_facet() -> None:
    event = _events()[1]
    del event["outputs"][0]["facets"]["dataQualityAssertions"]["assertions"][0]["success"]
    with pytest.raises(jsonschema.ValidationError, match="'success' is a required property"):
        validate_event(event)
    event = _events()[1]
    event["outputs"][0]["facets"]["columnLineage"]["fields"]["rcvr_id"] = {"inputFields": [{"name": "x"}]}
    with pytest.raises(jsonschema.ValidationError):
        validate_event(event)


def test_run_event_refuses_unknown_states_and_run_ids() -> None:
    with pytest.raises(ValueError, match="not an OpenLineage run state"):
        run_event("DONE", run_id=str(uuid.uuid4()), job="a.b", namespace="quanta://x")
    with pytest.raises(ValueError):
        run_event("START", run_id="run-1", job="a.b", namespace="quanta://x")
