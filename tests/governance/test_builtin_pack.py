"""The built-in policy pack: a compliant mesh passes; each policy catches what it is about; the example
mesh passes with honest warnings."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest

from quanta.governance import builtin_dir, certify, find_products, install_builtin_pack, load_policies
from quanta.governance.federation import federate
from quanta.governance.loading import _read_folder
from tests.governance.factory import dump

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "examples" / "nycflights"


def builtin_only():
    diagnostics: list = []
    policies = federate(_read_folder(builtin_dir(), diagnostics), {})
    assert diagnostics == [] and policies.ok
    return policies


def certify_all(mesh, policies=None, previous=None):
    policies = policies or load_policies(mesh)
    return {
        p.key: certify(policies, p.product, p.contracts, (previous or {}).get(p.key), domain=p.domain_info)
        for p in find_products(mesh)
    }


def test_a_compliant_mesh_passes_every_policy(mesh):
    results = certify_all(mesh)
    assert {key: c.status for key, c in results.items()} == dict.fromkeys(results, "OK")
    customers = results["sales.customers"]
    assert customers.summary() == {"passed": 13, "failed": 0, "error": 0, "skipped": 0, "blocking": 0}


def _edit(path: Path, change) -> None:
    from ruamel.yaml import YAML

    yaml = YAML()
    data = yaml.load(path.read_text())
    change(data)
    dump(path, data)


CUSTOMERS = "domains/sales/customers"
CONTRACT = f"{CUSTOMERS}/contracts/customers.odcs.yaml"
DESCRIPTOR = f"{CUSTOMERS}/product.odps.yaml"


def _email(c):
    return c["schema"][0]["properties"][2]


# policy id -> (file, edit, severity)
BREAKS = {
    "pii-classified": (CONTRACT, lambda c: _email(c).pop("classification"), "error"),
    "pii-masked": (CONTRACT, lambda c: _email(c).pop("customProperties"), "error"),
    "owner-team": (DESCRIPTOR, lambda p: p["team"].pop("name"), "error"),
    "support-channel": (DESCRIPTOR, lambda p: p.pop("support"), "error"),
    "port-completeness": (
        CONTRACT,
        lambda c: [c["schema"][0].pop("quality"), c["schema"][0]["properties"][0].pop("quality")],
        "error",
    ),
    "port-freshness": (CONTRACT, lambda c: c["slaProperties"].pop(0), "error"),
    "port-retention": (CONTRACT, lambda c: c["slaProperties"].pop(1), "warning"),
    "documentation-coverage": (
        CONTRACT,
        lambda c: [p.pop("description") for p in c["schema"][0]["properties"]],
        "warning",
    ),
    "primary-key": (CONTRACT, lambda c: c["schema"][0]["properties"][0].pop("primaryKey"), "error"),
    "contract-status-version": (CONTRACT, lambda c: c.update(version="1.0"), "error"),
    "product-status-version": (DESCRIPTOR, lambda p: p.update(status="live"), "error"),
}


@pytest.mark.parametrize("policy", list(BREAKS))
def test_each_builtin_policy_catches_its_violation(mesh, policy):
    file, edit, severity = BREAKS[policy]
    _edit(mesh / file, edit)
    certification = certify_all(mesh)["sales.customers"]
    failed = {v.policy: v for v in certification.verdicts if v.verdict == "failed"}
    assert policy in failed, [(v.policy, v.verdict, v.message) for v in certification.verdicts]
    verdict = failed[policy]
    assert verdict.severity == severity and verdict.blocking == (severity == "error")
    assert verdict.evidence and verdict.evidence[0].outcome == "failed"
    assert certification.blocks_publication == any(v.blocking for v in failed.values())


def test_version_bump_and_lifecycle_compare_with_the_published_version(mesh):
    contract = mesh / CONTRACT
    published = {"sales.customers": {"sales.customers.customers": copy.deepcopy(_load(contract))}}
    _edit(contract, lambda c: c["schema"][0]["properties"].pop(1))  # a removed column, version unchanged
    certification = certify_all(mesh, previous=published)["sales.customers"]
    failed = {v.policy: v for v in certification.verdicts if v.verdict == "failed"}
    assert set(failed) == {"contract-version-bump", "contract-lifecycle"}
    assert "need a major bump" in failed["contract-version-bump"].evidence[0].message
    assert "use 2.0.0" in failed["contract-version-bump"].evidence[0].message
    assert "without a version bump" in failed["contract-lifecycle"].evidence[0].message
    _edit(contract, lambda c: c.update(version="2.0.0"))
    assert certify_all(mesh, previous=published)["sales.customers"].status == "OK"
    _edit(contract, lambda c: c.update(version="1.0.0", status="retired"))
    published["sales.customers"]["sales.customers.customers"]["status"] = "retired"
    _edit(contract, lambda c: c.update(status="active"))
    blocked = certify_all(mesh, previous=published)["sales.customers"]
    lifecycle = next(v for v in blocked.verdicts if v.policy == "contract-lifecycle")
    assert (
        lifecycle.verdict == "failed" and "cannot go from retired to active" in lifecycle.evidence[0].message
    )


def _load(path: Path) -> dict:
    from quanta.spec import load_contract

    return load_contract(path).to_plain()


def test_install_builtin_pack_copies_once(tmp_path):
    written = install_builtin_pack(tmp_path)
    assert len(written) == 13 and all(p.parent == tmp_path / "policies" for p in written)
    (tmp_path / "policies" / "owner-team.yaml").write_text("id: owner-team\n", encoding="utf-8")
    assert install_builtin_pack(tmp_path) == []
    assert (tmp_path / "policies" / "owner-team.yaml").read_text() == "id: owner-team\n"


def test_the_example_mesh_passes_with_honest_warnings(tmp_path):
    """nycflights passes the built-in pack; five ports state no retention period (warnings, see
    docs/governance.md)."""
    import shutil

    mesh = tmp_path / "nycflights"  # a copy: loading a mesh writes its document cache under .quanta/
    shutil.copytree(EXAMPLE, mesh, ignore=shutil.ignore_patterns(".quanta", "sources"))
    results = certify_all(mesh, builtin_only())
    assert len(results) == 9
    assert {key: c.status for key, c in results.items()} == dict.fromkeys(results, "OK")
    warned = {key: [v.policy for v in c.warnings] for key, c in results.items() if c.warnings}
    assert warned == {
        "fleet.aircraft": ["port-retention"],
        "operations.route_performance": ["port-retention"],
        "operations.weather_delays": ["port-retention"],
        "reference.airlines": ["port-retention"],
        "reference.airports": ["port-retention"],
    }
    for certification in results.values():
        for verdict in certification.warnings:
            assert verdict.effective_severity == "warning" and not verdict.blocking


def test_a_scaffolded_product_passes_the_pack_quanta_init_enables(tmp_path):
    from quanta.mesh.scaffold import init_mesh, new_product

    root = init_mesh(tmp_path / "m")
    install_builtin_pack(root)
    new_product(root, "sales", "demo")
    (certification,) = certify_all(root).values()
    assert certification.status == "OK" and certification.warnings == []
