"""Federation: a domain adds policies and tightens non-mandatory ones; it cannot weaken mandatory ones."""

from __future__ import annotations

import pytest

from quanta.governance import certify, find_products, lint_policies
from tests.governance.conftest import write_policy

MANDATORY = """\
id: described-products
title: Products are described
severity: error
scope: product
mandatory: true
status: grace
enforcedFrom: 2026-06-01
rule: has(product.description)
params: {minimum: 0.5}
stricter: {minimum: higher}
"""
OPTIONAL = """\
id: tagged-products
title: Products have tags
severity: info
scope: product
status: draft
rule: has(product.tags) && size(product.tags) > 0
params: {threshold: 0.5}
stricter: {threshold: higher}
"""


@pytest.fixture()
def federated(bare_mesh):
    write_policy(bare_mesh / "policies", "described-products", MANDATORY)
    write_policy(bare_mesh / "policies", "tagged-products", OPTIONAL)
    return bare_mesh


def domain_policy(mesh, domain, name, text):
    return write_policy(mesh / "domains" / domain / "policies", name, text)


def test_a_domain_adds_its_own_policy_for_its_products_only(federated):
    domain_policy(federated, "sales", "sales-only", OPTIONAL.replace("tagged-products", "sales-only"))
    policies = lint_policies(federated)
    assert policies.ok
    assert "sales-only" in {p.id for p in policies.for_domain("sales")}
    assert "sales-only" not in {p.id for p in policies.for_domain("marketing")}
    segments = next(p for p in find_products(federated) if p.key == "marketing.segments")
    verdicts = certify(policies, segments.product, segments.contracts, domain=segments.domain_info).verdicts
    assert "sales-only" not in {v.policy for v in verdicts}


def test_a_domain_makes_a_global_policy_stricter(federated):
    domain_policy(federated, "sales", "tighter", "id: tagged-products\nseverity: error\nstatus: enforced\n")
    domain_policy(
        federated,
        "sales",
        "stricter-mandatory",
        "id: described-products\nstatus: enforced\nparams: {minimum: 0.9}\n",
    )
    policies = lint_policies(federated)
    assert policies.ok, policies.diagnostics
    tagged = policies.get("tagged-products", "sales")
    assert (tagged.severity, tagged.status, tagged.origin, tagged.cel) == (
        "error",
        "enforced",
        "domain",
        policies.get("tagged-products").cel,
    )
    described = policies.get("described-products", "sales")
    assert (described.status, described.params, described.mandatory) == ("enforced", {"minimum": 0.9}, True)
    assert policies.get("described-products", "marketing").status == "grace"


@pytest.mark.parametrize(
    ("override", "key"),
    [
        ("severity: warning\n", "severity"),
        ("status: deprecated\n", "status"),
        ("status: draft\n", "status"),
        ("enforcedFrom: 2027-01-01\n", "enforcedFrom"),
        ("rule: 'true'\n", "rule"),
        ("when: product.name == 'x'\n", "when"),
        ("params: {minimum: 0.1}\n", "params"),
        ("scope: contract\n", "scope"),
    ],
    ids=["severity", "disable", "draft", "delay", "rule", "when", "params", "scope"],
)
def test_a_domain_cannot_weaken_a_mandatory_policy(federated, override, key):
    path = domain_policy(federated, "sales", "weaker", "id: described-products\n" + override)
    policies = lint_policies(federated)
    assert not policies.ok
    (problem,) = [d for d in policies.diagnostics if d.code == "policy.weakens-mandatory"]
    assert problem.file == str(path) and problem.line == 2 and problem.path == key
    assert "described-products" in problem.message
    # The global policy still applies to the domain, unweakened.
    assert policies.get("described-products", "sales").origin == "global"


def test_a_domain_may_switch_off_a_non_mandatory_policy(federated):
    domain_policy(federated, "sales", "off", "id: tagged-products\nstatus: deprecated\n")
    policies = lint_policies(federated)
    assert policies.ok
    assert policies.get("tagged-products", "sales").status == "deprecated"


def test_mandatory_is_global_only(federated):
    domain_policy(federated, "sales", "own", OPTIONAL.replace("tagged-products", "own") + "mandatory: true\n")
    assert "policy.domain-mandatory" in [d.code for d in lint_policies(federated).diagnostics]
