"""The certify stage reads the last published contracts from the registry without parsing again a contract
whose recorded text is the file the workspace already loaded; a changed text is parsed from the registry."""

from __future__ import annotations

from pathlib import Path

from quanta.build.record import open_mesh_registry
from quanta.facade import Mesh
from quanta.governance.service import last_published
from tests.mesh.factory import add_product, add_source, new_mesh


def test_an_unchanged_contract_is_the_loaded_document(tmp_path: Path) -> None:
    root = tmp_path / "mesh"
    new_mesh(root)
    add_source(root, "raw")
    add_product(root, "sales", "orders", source="raw")
    result = Mesh(root).build()
    assert {p.status for p in result.products} == {"published"}
    failed = [(s.stage, s.detail) for p in result.products for s in p.stages if s.status != "ok"]
    assert not failed, failed

    workspace = Mesh(root).workspace
    spec = workspace.products["sales.orders"]
    ids = list(spec.contracts)
    texts = {cid: spec.contract_files[cid].read_text(encoding="utf-8") for cid in ids}
    loaded = {texts[cid]: spec.contracts[cid] for cid in ids}
    with open_mesh_registry(workspace) as reader:
        reused = last_published(reader, spec.domain, spec.name, spec.descriptor, ids, loaded=loaded)
        parsed = last_published(reader, spec.domain, spec.name, spec.descriptor, ids)
        other = last_published(
            reader, spec.domain, spec.name, spec.descriptor, ids, loaded={"id: elsewhere\n": object()}
        )

    assert set(reused) == set(parsed) == set(other) == set(ids)
    for cid in ids:
        assert reused[cid] is spec.contracts[cid]  # the recorded text is the file: not parsed again
        assert parsed[cid] is not spec.contracts[cid]
        assert parsed[cid].data == other[cid].data == spec.contracts[cid].data
