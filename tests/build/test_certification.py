"""Every build certifies each product: governance policies and the version-bump check gate publication.

The example mesh is built with the built-in policy pack (as ``quanta init --example`` sets it up) once for
the module; the blocking cases run on copies of it. Assertions read what the build left independently:
the Delta tables with ``deltalake``, the registry through its own reader, the gateway over real HTTP.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.build.conftest import BuiltMesh, quanta

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("nycflights")]

#: The honest warnings of the built-in pack on the example (docs/governance.md, "On the example mesh").
RETENTION_WARNINGS = {
    "reference.airlines",
    "reference.airports",
    "fleet.aircraft",
    "operations.route_performance",
    "operations.weather_delays",
}
AIRLINES_CONTRACT = "domains/reference/airlines/contracts/airlines.odcs.yaml"


def delta_version(root: Path, product: str, port: str | None = None) -> int:
    """The newest committed version of a published port, read with deltalake."""
    from deltalake import DeltaTable

    domain, name = product.split(".")
    return DeltaTable(str(root / ".quanta" / "tables" / domain / name / (port or name))).version()


def certifications(root: Path, product: str) -> list:
    """The product's certifications recorded in the mesh's registry, newest first."""
    from quanta.registry import open_reader

    domain, name = product.split(".")
    with open_reader("sqlite:///.quanta/registry.db", base_dir=root) as reader:
        return reader.certifications(domain, name)


def build(root: Path, *args: str) -> tuple[int, dict]:
    process = quanta("build", "--format", "json", *args, cwd=root)
    assert process.stdout, process.stderr
    return process.returncode, json.loads(process.stdout)


def product(document: dict, key: str) -> dict:
    return next(p for p in document["products"] if p["product"] == key)


@pytest.fixture(scope="module")
def certified(built_example: BuiltMesh, tmp_path_factory: pytest.TempPathFactory) -> BuiltMesh:
    """The example mesh with the built-in policy pack, built from scratch once for the module."""
    from quanta.governance import install_builtin_pack

    root = tmp_path_factory.mktemp("certified") / "nycflights"
    shutil.copytree(built_example.root, root, ignore=shutil.ignore_patterns(".quanta"))
    assert install_builtin_pack(root), "the built-in pack was not installed"
    process = quanta("build", "--format", "json", "--jobs", "2", cwd=root)
    assert process.stdout, process.stderr
    mesh = BuiltMesh(root, process, json.loads(process.stdout))
    mesh.require_published()
    return mesh


def copy_of(mesh: BuiltMesh, target: Path) -> Path:
    return Path(shutil.copytree(mesh.root, target))


def test_the_example_mesh_is_certified_ok_with_honest_retention_warnings(certified: BuiltMesh) -> None:
    assert certified.process.returncode == 0, certified.process.stderr
    document = certified.document
    assert {p["status"] for p in document["products"]} == {"published"}
    assert {p["product"]: p["certification"]["status"] for p in document["products"]} == dict.fromkeys(
        (p["product"] for p in document["products"]), "OK"
    )
    warned = set()
    for entry in document["products"]:
        stages = [s["stage"] for s in entry["stages"]]
        assert stages.index("gate") < stages.index("certify") < stages.index("publish"), stages
        findings = entry["certification"]["findings"]
        assert all(not f["blocking"] and f["severity"] == "warning" for f in findings), findings
        assert {f["rule"] for f in findings} <= {"policy:port-retention"}, findings
        if findings:
            warned.add(entry["product"])
            assert findings[0]["element"].startswith(f"domains/{entry['product'].replace('.', '/')}/")
    assert warned == RETENTION_WARNINGS
    # The registry holds one OK certification per product, with the full report of every policy.
    for entry in document["products"]:
        recorded = certifications(certified.root, entry["product"])
        assert [c.status for c in recorded] == ["OK"]
        assert recorded[0].run_id == entry["runId"]
        verdicts = {v["policy"]: v for v in recorded[0].report["verdicts"]}
        assert verdicts["owner-team"]["verdict"] == "passed"
        expected = "failed" if entry["product"] in RETENTION_WARNINGS else "passed"
        assert verdicts["port-retention"]["verdict"] == expected


def test_quanta_status_and_the_gateway_show_the_certification(certified: BuiltMesh) -> None:
    import httpx

    from quanta.api import ServeSettings, create_app
    from tests.api.server import running

    process = quanta("status", "--format", "json", cwd=certified.root)
    assert process.returncode == 0, process.stderr
    assert {e["product"]: e["certification"] for e in json.loads(process.stdout)} == dict.fromkeys(
        (p["product"] for p in certified.document["products"]), "OK"
    )
    table = subprocess.run(
        [sys.executable, "-m", "quanta.cli.app", "status"],
        cwd=certified.root,
        env={**os.environ, "COLUMNS": "200"},
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    header = next(line for line in table.splitlines() if "product" in line)
    assert "certified" in header.split()
    airlines = next(line for line in table.splitlines() if "reference.airlines" in line)
    assert "OK" in airlines.split()

    settings = ServeSettings(mesh_root=certified.root, anonymous_discovery=True)
    with running(create_app(settings)) as url, httpx.Client(base_url=url) as http:
        status = http.get("/products/reference/airlines/certify/status").json()
        assert status["status"] == "OK"
        assert status["blocking"] == [] and status["warnings"] == ["port-retention"]
        report = http.get("/products/reference/airlines/certify/report").json()
        assert report["run"] == product(certified.document, "reference.airlines")["runId"]
        assert report["report"]["status"] == "OK"
        assert {v["policy"] for v in report["report"]["verdicts"]} >= {"port-retention", "primary-key"}


REFERENCE_RETENTION = """\
id: reference-retention
title: Reference data states how long it is kept
description: Consumers of reference lists must know how long each list is kept.
severity: error
scope: outputPort
status: enforced
rule: has_sla(contract, 'retention')
evidence: [contractId]
remediation: "Add `slaProperties: [{property: retention, value: 5, unit: y}]` to the port's contract."
"""


def test_an_enforced_error_policy_blocks_the_product_and_keeps_the_previous_version(
    certified: BuiltMesh, tmp_path: Path
) -> None:
    import httpx

    from quanta.api import ServeSettings, create_app
    from tests.api.server import running

    root = copy_of(certified, tmp_path / "mesh")
    policies = root / "domains" / "reference" / "policies"
    policies.mkdir()
    (policies / "reference-retention.yaml").write_text(REFERENCE_RETENTION)
    before = delta_version(root, "reference.airlines")
    downstream_before = delta_version(root, "operations.carrier_punctuality")

    code, document = build(root, "--force", "reference.airlines+")

    assert code == 1
    airlines = product(document, "reference.airlines")
    assert airlines["status"] == "blocked"
    assert "reference-retention" in airlines["reason"]
    assert airlines["certification"]["status"] == "NOT COMPLIANT"
    blocking = [f for f in airlines["certification"]["findings"] if f["blocking"]]
    assert [f["rule"] for f in blocking] == ["policy:reference-retention"]
    assert blocking[0]["severity"] == "error"
    assert [s["stage"] for s in airlines["stages"] if s["status"] == "failed"] == ["certify"]
    assert not any(port["published"] for port in airlines["ports"])
    assert product(document, "operations.carrier_punctuality")["status"] == "upstream_blocked"
    # Nothing was published: the previous versions stay served.
    assert delta_version(root, "reference.airlines") == before
    assert delta_version(root, "operations.carrier_punctuality") == downstream_before
    # The registry holds the NOT COMPLIANT certification of the blocked run, newest first.
    recorded = certifications(root, "reference.airlines")
    assert [c.status for c in recorded] == ["NOT COMPLIANT", "OK"]
    assert recorded[0].run_id == airlines["runId"]
    verdict = next(v for v in recorded[0].report["verdicts"] if v["policy"] == "reference-retention")
    assert verdict["verdict"] == "failed" and verdict["blocking"] is True
    assert verdict["evidence"][0]["file"].endswith("product.odps.yaml")

    settings = ServeSettings(mesh_root=root, anonymous_discovery=True)
    with running(create_app(settings)) as url, httpx.Client(base_url=url) as http:
        status = http.get("/products/reference/airlines/certify/status").json()
        assert status["status"] == "NOT COMPLIANT"
        assert status["blocking"] == ["reference-retention"]


def test_a_gate_blocked_product_is_certified_too(certified: BuiltMesh, tmp_path: Path) -> None:
    root = copy_of(certified, tmp_path / "mesh")
    contract = root / AIRLINES_CONTRACT
    text = contract.read_text()
    # A stricter row-count rule the 16 airlines cannot meet: the gate blocks (a minor change, bumped).
    contract.write_text(
        text.replace("mustBeGreaterThan: 0", "mustBeGreaterThan: 1000").replace(
            "version: 1.0.0", "version: 1.1.0", 1
        )
    )
    before = delta_version(root, "reference.airlines")

    code, document = build(root, "reference.airlines")

    assert code == 1
    airlines = product(document, "reference.airlines")
    assert airlines["status"] == "blocked"
    assert [s["stage"] for s in airlines["stages"] if s["status"] == "failed"] == ["gate"]
    assert "certify" not in [s["stage"] for s in airlines["stages"]]
    assert airlines["certification"]["status"] == "OK"  # the policies pass; the data does not
    assert delta_version(root, "reference.airlines") == before
    recorded = certifications(root, "reference.airlines")
    assert len(recorded) == 2 and recorded[0].run_id == airlines["runId"]


def test_a_major_change_with_a_minor_bump_blocks_the_build(certified: BuiltMesh, tmp_path: Path) -> None:
    root = copy_of(certified, tmp_path / "mesh")
    contract = root / AIRLINES_CONTRACT
    text = contract.read_text()
    name_required = (
        "        required: true\n        unique: true\n        classification: public\n"
        "        transformSourceObjects: [raw_airlines.name]\n"
    )
    assert name_required in text
    # `name` required -> optional is a major change for consumers; 1.0.0 -> 1.1.0 is only a minor bump.
    changed = text.replace(name_required, name_required.replace("        required: true\n", "", 1))
    contract.write_text(changed.replace("version: 1.0.0", "version: 1.1.0", 1))
    before = delta_version(root, "reference.airlines")

    code, document = build(root, "reference.airlines+")

    assert code == 1
    airlines = product(document, "reference.airlines")
    assert airlines["status"] == "blocked"
    reason = airlines["reason"]
    assert AIRLINES_CONTRACT in reason
    assert "1.0.0 -> 1.1.0" in reason and "require a major bump" in reason
    assert "schema[0].properties[1].required" in reason
    assert "set version: 2.0.0" in reason
    assert [s["stage"] for s in airlines["stages"] if s["status"] == "failed"] == ["certify"]
    assert delta_version(root, "reference.airlines") == before
    assert product(document, "operations.carrier_punctuality")["status"] == "upstream_blocked"
    # The built-in contract-version-bump policy says the same, so the stored certification explains it.
    recorded = certifications(root, "reference.airlines")[0]
    assert recorded.status == "NOT COMPLIANT"
    verdict = next(v for v in recorded.report["verdicts"] if v["policy"] == "contract-version-bump")
    assert verdict["blocking"] is True

    # With the major bump the change publishes a new version.
    contract.write_text(changed.replace("version: 1.0.0", "version: 2.0.0", 1))
    code, document = build(root, "reference.airlines")
    assert code == 0, document
    assert product(document, "reference.airlines")["certification"]["status"] == "OK"
    assert delta_version(root, "reference.airlines") == before + 1
