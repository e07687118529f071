"""``mesh.yaml``: embedded defaults, overrides, and errors that point at the file, line and column."""

from __future__ import annotations

from pathlib import Path

import pytest

from quanta.errors import ConfigError
from quanta.mesh import MeshConfig, load_mesh_config


def test_every_field_has_a_default_and_a_description() -> None:
    config = MeshConfig()
    assert config.storage == ".quanta/tables"
    assert config.registry == "sqlite:///.quanta/registry.db"
    assert config.engine == "duckdb"
    assert config.lineage.transport == "file"
    assert config.policies == ["policies"]
    for name, field in MeshConfig.model_fields.items():
        assert field.description, f"mesh.yaml field {name} has no description"


def test_empty_file_gives_defaults(tmp_path: Path) -> None:
    (tmp_path / "mesh.yaml").write_text("")
    assert load_mesh_config(tmp_path) == MeshConfig()


def test_values_override_defaults_and_paths_resolve_against_the_root(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.delenv("QUANTA_REGISTRY_URL", raising=False)
    (tmp_path / "mesh.yaml").write_text("name: demo\nstorage: data/tables\nlineage: {transport: none}\n")
    config = load_mesh_config(tmp_path)
    assert config.name == "demo"
    assert config.storage_root(tmp_path) == str((tmp_path / "data/tables").resolve())
    assert config.registry_url(tmp_path) == f"sqlite:///{(tmp_path / '.quanta/registry.db').resolve()}"
    assert config.lineage.transport == "none"
    assert config.storage_root(tmp_path) != MeshConfig(storage="s3://bucket/x").storage_root(tmp_path)
    assert MeshConfig(storage="s3://bucket/x").storage_root(tmp_path) == "s3://bucket/x"


def test_environment_registry_url_wins(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("QUANTA_REGISTRY_URL", "postgresql+psycopg://db/quanta")
    assert MeshConfig().registry_url(tmp_path) == "postgresql+psycopg://db/quanta"


def test_unknown_field_is_reported_with_its_line_and_column(tmp_path: Path) -> None:
    (tmp_path / "mesh.yaml").write_text("name: demo\nstorage: x\nengin: duckdb\n")
    with pytest.raises(ConfigError) as caught:
        load_mesh_config(tmp_path)
    diagnostic = caught.value.diagnostics[0]
    assert (diagnostic.line, diagnostic.column) == (3, 1)
    assert diagnostic.file == str(tmp_path / "mesh.yaml")
    assert "engin" in caught.value.message and ":3:1" in caught.value.message


def test_wrong_value_is_reported_at_the_nested_key(tmp_path: Path) -> None:
    (tmp_path / "mesh.yaml").write_text("lineage:\n  transport: kafka\n")
    with pytest.raises(ConfigError) as caught:
        load_mesh_config(tmp_path)
    assert (caught.value.diagnostics[0].line, caught.value.diagnostics[0].column) == (2, 3)
    assert "lineage.transport" in caught.value.message


def test_yaml_error_is_a_config_error(tmp_path: Path) -> None:
    (tmp_path / "mesh.yaml").write_text("name: [unclosed\n")
    with pytest.raises(ConfigError, match=r"mesh\.yaml"):
        load_mesh_config(tmp_path)
