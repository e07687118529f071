"""Certification: every policy state and severity, blocking, evidence, build results, rule errors."""

from __future__ import annotations

import datetime as dt

import pytest

from quanta.governance import Certification, certify, find_products, load_policies
from tests.governance.conftest import write_policy

BEFORE, AFTER = dt.date(2026, 5, 1), dt.date(2026, 7, 1)


def failing_policy(severity: str, status: str) -> str:
    """A product policy that every product of the test mesh fails (no product is named `nope`)."""
    return (
        f"id: p\ntitle: Named nope\nseverity: {severity}\nscope: product\nstatus: {status}\n"
        "enforcedFrom: 2026-06-01\nrule: product.name == 'nope'\nevidence: [name]\n"
    )


def certify_orders(mesh, today=None, build_results=None, **kwargs):
    policies = load_policies(mesh)
    orders = next(p for p in find_products(mesh) if p.key == "sales.orders")
    return certify(
        policies, orders.product, orders.contracts, build_results=build_results, today=today,
        domain=orders.domain_info, **kwargs,
    )  # fmt: skip


# (status, day) -> (blocks when severity is error, effective severity of an error policy, verdict)
STATES = {
    ("draft", AFTER): (False, "error", "failed"),
    ("grace", BEFORE): (False, "warning", "failed"),
    ("grace", AFTER): (True, "error", "failed"),
    ("enforced", BEFORE): (True, "error", "failed"),
    ("deprecated", AFTER): (False, "error", "skipped"),
}


@pytest.mark.parametrize("severity", ["info", "warning", "error"])
@pytest.mark.parametrize(("status", "day"), list(STATES), ids=[f"{s}-{d}" for s, d in STATES])
def test_every_state_and_severity(bare_mesh, severity, status, day):
    write_policy(bare_mesh / "policies", "p", failing_policy(severity, status))
    certification = certify_orders(bare_mesh, today=day)
    (verdict,) = certification.verdicts
    blocks, error_effective, outcome = STATES[(status, day)]
    assert verdict.verdict == outcome
    assert verdict.blocking == (blocks and severity == "error")
    assert verdict.effective_severity == (error_effective if severity == "error" else severity)
    assert certification.blocks_publication == verdict.blocking
    assert certification.status == ("NOT COMPLIANT" if verdict.blocking else "OK")
    if outcome == "failed":
        assert certification.warnings == ([] if verdict.blocking else [verdict])


def test_a_certification_that_blocks_publication_says_why(mesh):
    orders = mesh / "domains/sales/orders/product.odps.yaml"
    orders.write_text(orders.read_text().replace("team:", "crew:"), encoding="utf-8")
    certification = certify_orders(mesh)
    assert certification.status == "NOT COMPLIANT" and certification.blocks_publication
    (blocking,) = certification.blocking
    assert (blocking.policy, blocking.verdict, blocking.severity, blocking.mandatory) == (
        "owner-team",
        "failed",
        "error",
        True,
    )
    (evidence,) = blocking.evidence
    assert (evidence.path, evidence.present, evidence.value) == ("team", False, None)
    assert evidence.file == str(orders)
    assert "team" in blocking.remediation


def test_evidence_names_the_deciding_path_value_and_line(mesh):
    contract = mesh / "domains/sales/customers/contracts/customers.odcs.yaml"
    contract.write_text(contract.read_text().replace("value: hash", "value: reveal"), encoding="utf-8")
    policies = load_policies(mesh)
    customers = next(p for p in find_products(mesh) if p.key == "sales.customers")
    certification = certify(policies, customers.product, customers.contracts, domain=customers.domain_info)
    verdict = next(v for v in certification.verdicts if v.policy == "pii-masked")
    assert verdict.verdict == "failed" and verdict.blocking and (verdict.checked, verdict.failed) == (1, 1)
    (evidence,) = verdict.evidence
    assert evidence.path == "schema[0].properties[2].customProperties[0].value"
    assert evidence.value == "reveal" and evidence.file == str(contract)
    line = contract.read_text().splitlines()[evidence.line - 1]
    assert "reveal" in line and line.index("value") + 1 == evidence.column
    assert "customers.email" in evidence.target


def test_when_filter_and_nothing_in_scope(mesh):
    certification = certify_orders(mesh)
    pii = [v for v in certification.verdicts if v.policy.startswith("pii-")]
    assert {(v.verdict, v.checked) for v in pii} == {("skipped", 0)}  # orders holds no sensitive property


def test_build_scope_runs_only_with_build_results(bare_mesh):
    write_policy(
        bare_mesh / "policies",
        "no-failed-checks",
        "id: no-failed-checks\ntitle: No failed check\nseverity: error\nscope: build\nstatus: enforced\n"
        "rule: build.failed == 0 && build.checks.all(c, c.status != 'error')\nevidence: [failed]\n",
    )
    outside = certify_orders(bare_mesh)
    assert outside.verdicts[0].verdict == "skipped" and outside.status == "OK"
    passed = [{"rule": "rowCount", "status": "passed"}, {"rule": "nullValues", "status": "warning"}]
    ok = certify_orders(bare_mesh, build_results={"orders": {"checks": passed}})
    assert ok.verdicts[0].verdict == "passed"
    failed = certify_orders(
        bare_mesh, build_results={"orders": [*passed, {"rule": "unique", "status": "failed"}]}
    )
    verdict = failed.verdicts[0]
    assert verdict.verdict == "failed" and failed.blocks_publication
    assert (verdict.evidence[0].path, verdict.evidence[0].value) == ("failed", 1)


def test_a_rule_that_cannot_be_evaluated_is_an_error_never_a_pass(bare_mesh):
    write_policy(
        bare_mesh / "policies",
        "typo",
        "id: typo\ntitle: Typo\nseverity: error\nscope: product\nstatus: enforced\n"
        "rule: product.temm.name == 'x'\n",
    )
    write_policy(
        bare_mesh / "policies",
        "not-bool",
        "id: not-bool\ntitle: Not a boolean\nseverity: warning\nscope: product\nstatus: enforced\n"
        "rule: product.name\n",
    )
    certification = certify_orders(bare_mesh)
    typo, not_bool = sorted(certification.verdicts, key=lambda v: v.policy, reverse=True)
    assert (typo.policy, typo.verdict, typo.blocking) == ("typo", "error", True)
    assert "temm" in typo.evidence[0].message
    assert (not_bool.verdict, not_bool.blocking) == ("error", False)
    assert "not true/false" in not_bool.evidence[0].message
    assert certification.status == "NOT COMPLIANT"


def test_params_reach_the_rule(bare_mesh):
    write_policy(
        bare_mesh / "policies",
        "ports",
        "id: ports\ntitle: Few ports\nseverity: error\nscope: product\nstatus: enforced\n"
        "rule: size(product.outputPorts) <= params.maximum\nparams: {maximum: 0}\n",
    )
    assert certify_orders(bare_mesh).status == "NOT COMPLIANT"
    write_policy(
        bare_mesh / "domains/sales/policies", "ports", "id: ports\nparams: {maximum: 3}\n"
    )  # not mandatory: the domain may relax it
    assert certify_orders(bare_mesh).status == "OK"


def test_only_selected_policies_and_report_round_trip(mesh):
    certification = certify_orders(mesh, policies=["owner-team", "primary-key"])
    assert [v.policy for v in certification.verdicts] == ["owner-team", "primary-key"]
    data = certification.to_dict()
    assert data["status"] == "OK" and data["blocksPublication"] is False and data["summary"]["passed"] == 2
    again = Certification.from_dict(data)
    assert again == certification


def test_certifying_products_in_parallel_threads_gives_the_sequential_results(mesh):
    from concurrent.futures import ThreadPoolExecutor

    policies = load_policies(mesh)
    products = find_products(mesh) * 4

    def run(p):
        return certify(policies, p.product, p.contracts, domain=p.domain_info).summary()

    sequential = [run(p) for p in products]
    with ThreadPoolExecutor(4) as pool:
        assert list(pool.map(run, products)) == sequential
