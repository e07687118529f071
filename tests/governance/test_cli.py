"""The governance commands end to end: ``quanta diff``, ``quanta policy``, ``quanta certify``."""

from __future__ import annotations

import json
import subprocess
from dataclasses import dataclass

from typer.testing import CliRunner

from quanta.cli.app import app
from quanta.errors import QuantaError
from tests.governance.conftest import write_policy

runner = CliRunner()


@dataclass
class Ran:
    exit_code: int
    output: str


def invoke(*args) -> Ran:
    """Run the CLI in-process; a QuantaError exits with its code, as ``quanta.cli.app.main`` does."""
    result = runner.invoke(app, [str(a) for a in args])
    if isinstance(result.exception, QuantaError):
        assert "Traceback" not in result.output
        return Ran(result.exception.exit_code, result.output + result.exception.message)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return Ran(result.exit_code, result.output)


def test_diff_exit_codes_and_json(mesh, tmp_path):
    old = mesh / "domains/sales/orders/contracts/orders.odcs.yaml"
    new = tmp_path / "orders.odcs.yaml"
    new.write_text(old.read_text().replace("logicalType: integer", "logicalType: string"), encoding="utf-8")
    result = invoke("diff", old, new)
    assert result.exit_code == 1, result.output
    assert "major" in result.output and "use version 2.0.0" in result.output
    data = json.loads(invoke("diff", old, new, "--format", "json").output)
    assert data["required"] == "major" and data["bumpOk"] is False
    assert data["changes"][0]["path"] == "schema[0].properties[0].logicalType"
    new.write_text(new.read_text().replace("version: 1.0.0", "version: 2.0.0"), encoding="utf-8")
    assert invoke("diff", old, new).exit_code == 0
    assert invoke("diff", old).exit_code == 2  # usage: nothing to compare with


def test_diff_against_a_git_ref(mesh):
    def git(*args):
        subprocess.run(["git", *args], cwd=mesh, check=True, capture_output=True)

    git("init", "-q")
    git("-c", "user.email=t@example", "-c", "user.name=t", "add", "-A")
    git("-c", "user.email=t@example", "-c", "user.name=t", "commit", "-qm", "first")
    path = mesh / "domains/sales/orders/contracts/orders.odcs.yaml"
    path.write_text(
        path.read_text().replace("description: When the record last changed.", "description: Changed.")
    )
    result = invoke("diff", path, "--against", "HEAD")
    assert result.exit_code == 1 and "patch" in result.output  # a patch change, but no bump at all
    path.write_text(path.read_text().replace("version: 1.0.0", "version: 1.0.1"))
    assert invoke("diff", path, "--against", "HEAD").exit_code == 0
    assert invoke("diff", path, "--against", "no-such-ref").exit_code == 2


def test_policy_list_show_and_test(mesh):
    listed = invoke("policy", "list", "--mesh", mesh, "--format", "json")
    assert listed.exit_code == 0
    assert len(json.loads(listed.output)["policies"]) == 13
    shown = invoke("policy", "show", "pii-masked", "--mesh", mesh)
    assert shown.exit_code == 0 and "quantaMask" in shown.output and "sensitive(property)" in shown.output
    tested = invoke("policy", "test", "pii-masked", "sales.customers", "--mesh", mesh)
    assert (
        tested.exit_code == 0 and "passed" in tested.output and "customProperties[0].value" in tested.output
    )
    assert invoke("policy", "test", "nope", "--mesh", mesh).exit_code == 2


def test_policy_list_reports_a_broken_policy_with_its_position(mesh):
    path = write_policy(
        mesh / "policies",
        "broken",
        "id: broken\ntitle: B\nseverity: error\nscope: product\nstatus: enforced\nrule: a ==\n",
    )
    result = invoke("policy", "list", "--mesh", mesh)
    assert result.exit_code == 1
    assert f"{path}:6:" in result.output.replace("\n", "")


def test_certify_prints_the_report_and_fails_when_not_compliant(mesh):
    ok = invoke("certify", "sales.customers", "--mesh", mesh)
    assert ok.exit_code == 0 and "OK" in ok.output
    descriptor = mesh / "domains/sales/orders/product.odps.yaml"
    descriptor.write_text(descriptor.read_text().replace("support:", "channels:"), encoding="utf-8")
    result = invoke("certify", "--mesh", mesh, "--format", "json")
    assert result.exit_code == 1
    reports = {r["product"]: r for r in json.loads(result.output)}
    assert (
        reports["sales.orders"]["status"] == "NOT COMPLIANT" and reports["sales.orders"]["blocksPublication"]
    )
    assert reports["sales.customers"]["status"] == "OK"
    assert invoke("certify", "nope", "--mesh", mesh).exit_code == 2


def test_lint_diagnostics_point_at_the_deciding_field(mesh):
    from quanta.governance.service import lint_diagnostics

    assert lint_diagnostics(mesh) == []
    contract = mesh / "domains/sales/customers/contracts/customers.odcs.yaml"
    contract.write_text(contract.read_text().replace("classification: restricted", "classification: public"))
    (diagnostic,) = lint_diagnostics(mesh)
    assert diagnostic.code == "policy.pii-classified" and diagnostic.severity == "error"
    assert diagnostic.file == str(contract) and diagnostic.path == "schema[0].properties[2].classification"
    assert "classification: public" in contract.read_text().splitlines()[diagnostic.line - 1]


def test_quanta_lint_inside_a_mesh_runs_the_policies(mesh):
    clean = invoke("lint", mesh, "--format", "json")
    assert clean.exit_code == 0, clean.output
    descriptor = mesh / "domains/sales/orders/product.odps.yaml"
    descriptor.write_text(descriptor.read_text().replace("support:", "channels:"), encoding="utf-8")
    domain = write_policy(mesh / "domains/sales/policies", "weaker", "id: owner-team\nseverity: info\n")
    result = invoke("lint", mesh, "--format", "json")
    assert result.exit_code == 1
    reports = {r["file"]: r for r in json.loads(result.output)}
    codes = {d["code"] for r in reports.values() for d in r["errors"]}
    assert "policy.weakens-mandatory" in codes
    assert [
        d["line"] for r in reports.values() for d in r["errors"] if d["code"] == "policy.weakens-mandatory"
    ] == [2]
    assert str(domain) in reports
    # Linting one other file of the mesh shows only what concerns that file.
    other = mesh / "domains/sales/customers/product.odps.yaml"
    assert invoke("lint", other).exit_code == 0
