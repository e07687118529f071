"""Mesh references: inside a mesh unresolved contract references are errors naming both files, outside a
mesh they are warnings; a port/contract major-version mismatch is a warning; products need an output
port."""

from __future__ import annotations

import json
from pathlib import Path

from quanta.spec import lint_paths
from quanta.spec.references import find_mesh_root

CONTRACT = """apiVersion: v3.1.0
kind: DataContract
id: {id}
version: {version}
status: active
schema:
  - name: t
    properties:
      - name: x
        logicalType: string
{servers}"""
SOURCE_SERVER = "servers:\n  - server: raw\n    type: local\n    path: sources/x.csv\n    format: csv\n"
PRODUCT = """apiVersion: v1.0.0
kind: DataProduct
id: {domain}.{name}
name: {name}
status: active
inputPorts:
{inputs}
outputPorts:
  - name: {name}
    version: {port_version}
    contractId: {domain}.{name}.{name}
"""


def product(
    root: Path,
    domain: str,
    name: str,
    inputs: list[str],
    *,
    port_version: str = "1.0.0",
    contract_version: str = "1.0.0",
    sources: tuple[str, ...] = (),
) -> Path:
    folder = root / "domains" / domain / name
    (folder / "contracts").mkdir(parents=True)
    ports = "\n".join(
        f"  - name: in{i}\n    version: 1.0.0\n    contractId: {c}" for i, c in enumerate(inputs)
    )
    file = folder / "product.odps.yaml"
    file.write_text(
        PRODUCT.format(domain=domain, name=name, inputs=ports or "  []", port_version=port_version)
    )
    (folder / "contracts" / f"{name}.odcs.yaml").write_text(
        CONTRACT.format(id=f"{domain}.{name}.{name}", version=contract_version, servers="")
    )
    for source in sources:
        (folder / "contracts" / f"{source}.odcs.yaml").write_text(
            CONTRACT.format(id=source, version="1.0.0", servers=SOURCE_SERVER)
        )
    return file


def diagnostics(results, code: str) -> list:
    return [d for r in results for d in r.diagnostics if d.code == code]


def test_a_consistent_mesh_is_valid(tmp_path: Path) -> None:
    (tmp_path / "mesh.yaml").write_text("name: m\n")
    product(tmp_path, "ops", "flights", ["source.flights"], sources=("source.flights",))
    product(tmp_path, "ops", "delays", ["ops.flights.flights"])
    results = lint_paths([tmp_path])
    assert len(results) == 5
    assert all(r.valid and not r.warnings for r in results), [r.to_dict() for r in results]


def test_unresolved_references_inside_a_mesh_are_errors(tmp_path: Path) -> None:
    (tmp_path / "mesh.yaml").write_text("")
    delays = product(tmp_path, "ops", "delays", ["ops.flights.flights", "source.nowhere"])
    (delays.parent / "contracts" / "delays.odcs.yaml").unlink()
    results = {r.file: r for r in lint_paths([tmp_path])}
    found = diagnostics(results.values(), "odps.unresolved-contract")
    assert {d.path for d in found} == {
        "inputPorts[0].contractId",
        "inputPorts[1].contractId",
        "outputPorts[0].contractId",
    }
    assert all(d.severity == "error" and d.file == str(delays) for d in found)
    assert all(str(tmp_path) in d.message for d in found)  # names the mesh as well as the product file
    assert results[str(delays)].valid is False
    assert found[0].line is not None


def test_input_must_name_an_output_or_a_source_contract(tmp_path: Path) -> None:
    (tmp_path / "mesh.yaml").write_text("")
    product(tmp_path, "ops", "flights", [], sources=("source.flights",))
    # another product's *source* contract is neither an output contract nor this product's own source
    product(tmp_path, "ops", "delays", ["source.flights"])
    [error] = diagnostics(lint_paths([tmp_path]), "odps.unresolved-contract")
    assert error.path == "inputPorts[0].contractId"


def test_outside_a_mesh_unresolved_references_are_warnings(tmp_path: Path) -> None:
    file = product(tmp_path, "ops", "delays", ["ops.flights.flights"])
    assert find_mesh_root(file) is None or not (tmp_path / "mesh.yaml").exists()
    [result] = [r for r in lint_paths([file])]
    assert result.valid
    [warning] = diagnostics([result], "odps.unresolved-contract")
    assert warning.severity == "warning"
    assert "no mesh.yaml above this product" in warning.message


def test_port_major_version_differs_from_contract_major(tmp_path: Path) -> None:
    (tmp_path / "mesh.yaml").write_text("")
    product(tmp_path, "ops", "flights", [], port_version="2.0.0", contract_version="1.3.0")
    [warning] = diagnostics(lint_paths([tmp_path]), "odps.port-version")
    assert warning.severity == "warning" and warning.path == "outputPorts[0].version"


def test_product_without_output_port_is_invalid(tmp_path: Path) -> None:
    file = tmp_path / "p.odps.yaml"
    file.write_text("apiVersion: v1.0.0\nkind: DataProduct\nid: p\nstatus: active\noutputPorts: []\n")
    [result] = lint_paths([file])
    assert [d.code for d in result.errors] == ["odps.no-output-port"]
    assert json.loads(json.dumps(result.to_dict()))["valid"] is False


def test_nearest_mesh_yaml_upwards_wins(tmp_path: Path) -> None:
    (tmp_path / "mesh.yaml").write_text("")
    inner = tmp_path / "sub" / "inner"
    inner.mkdir(parents=True)
    (inner / "mesh.yaml").write_text("")
    assert find_mesh_root(inner / "domains" / "x" / "p" / "product.odps.yaml") == inner.resolve()
    assert find_mesh_root(tmp_path / "sub") == tmp_path.resolve()


def test_relationships_into_other_contracts_resolve_inside_a_mesh(tmp_path: Path) -> None:
    (tmp_path / "mesh.yaml").write_text("")
    product(tmp_path, "ref", "airports", [])
    flights = product(tmp_path, "ops", "flights", [])
    contract = flights.parent / "contracts" / "flights.odcs.yaml"
    text = contract.read_text()
    good = (
        text + "        relationships:\n          - to: t.x\n"
    )  # `t.x` is defined by the airports contract too
    contract.write_text(good.replace("name: t\n", "name: f\n", 1))
    assert not diagnostics(lint_paths([tmp_path]), "odcs.relationship-target")
    contract.write_text(good.replace("name: t\n", "name: f\n", 1).replace("to: t.x", "to: t.nope"))
    [error] = diagnostics(lint_paths([tmp_path]), "odcs.relationship-target")
    assert error.severity == "error" and "has no property 'nope'" in error.message
    contract.write_text(good.replace("name: t\n", "name: f\n", 1).replace("to: t.x", "to: planes.x"))
    [error] = diagnostics(lint_paths([tmp_path]), "odcs.relationship-target")
    assert error.severity == "error" and "no contract of the mesh" in error.message
    (tmp_path / "mesh.yaml").unlink()  # outside a mesh the other contract may live anywhere: a warning
    [warning] = diagnostics(lint_paths([contract]), "odcs.relationship-target")
    assert warning.severity == "warning"


def test_two_contracts_with_one_id_in_a_mesh(tmp_path: Path) -> None:
    (tmp_path / "mesh.yaml").write_text("")
    flights = product(tmp_path, "ops", "flights", [])
    copy = flights.parent / "contracts" / "copy.odcs.yaml"
    copy.write_text((flights.parent / "contracts" / "flights.odcs.yaml").read_text())
    found = diagnostics(lint_paths([tmp_path]), "odcs.duplicate-contract-id")
    assert {d.file for d in found} == {str(copy), str(flights.parent / "contracts" / "flights.odcs.yaml")}
    assert all(d.severity == "error" and d.path == "id" and d.line == 3 for d in found)
