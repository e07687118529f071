"""Which engine a product runs on: ``mesh.yaml`` (``engine``, ``spark:``), ``domain.yaml`` and the descriptor.

No Spark is started here: these are the configuration rules the build follows (see
``tests/build/test_spark_engine_choice.py`` for a real build).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from quanta.errors import ConfigError
from quanta.mesh import load_mesh_config, load_workspace
from quanta.mesh.scaffold import init_mesh, new_product

PIN = "customProperties:\n  - property: quantaEngine\n    value: {engine}\n"


@pytest.fixture
def mesh(tmp_path: Path) -> Path:
    """A mesh with three products: two in domain ``shop``, one in domain ``lab``."""
    root = init_mesh(tmp_path / "mesh")
    for domain, name in (("shop", "orders"), ("shop", "labels"), ("lab", "trials")):
        new_product(root, domain, name)
    return root


def pin(root: Path, domain: str, name: str, engine: str) -> Path:
    descriptor = root / "domains" / domain / name / "product.odps.yaml"
    descriptor.write_text(descriptor.read_text() + PIN.format(engine=engine))
    return descriptor


def domain_engine(root: Path, domain: str, engine: str) -> Path:
    path = root / "domains" / domain / "domain.yaml"
    path.write_text(path.read_text() + f"engine: {engine}\n")
    return path


def engines(root: Path) -> dict[str, str]:
    workspace = load_workspace(root)
    return {key: workspace.engine_of(product) for key, product in workspace.products.items()}


def test_the_descriptor_wins_over_the_domain_which_wins_over_the_mesh(mesh: Path) -> None:
    assert set(engines(mesh).values()) == {"duckdb"}
    domain_engine(mesh, "lab", "spark")
    pin(mesh, "shop", "labels", "spark")
    assert engines(mesh) == {"lab.trials": "spark", "shop.labels": "spark", "shop.orders": "duckdb"}
    pin(mesh, "lab", "trials", "duckdb")
    mesh_file = mesh / "mesh.yaml"
    mesh_file.write_text(mesh_file.read_text().replace("engine: duckdb", "engine: spark"))
    assert engines(mesh) == {"lab.trials": "duckdb", "shop.labels": "spark", "shop.orders": "spark"}


def test_an_unknown_engine_in_a_descriptor_is_reported_at_its_line(mesh: Path) -> None:
    descriptor = pin(mesh, "shop", "labels", "flink")
    line = descriptor.read_text().splitlines().index("    value: flink") + 1
    with pytest.raises(
        ConfigError, match=rf"product\.odps\.yaml:{line}:\d+: quantaEngine 'flink' .*duckdb, spark"
    ):
        load_workspace(mesh)


def test_an_unknown_engine_in_a_domain_is_reported_at_its_line(mesh: Path) -> None:
    path = domain_engine(mesh, "lab", "presto")
    line = len(path.read_text().splitlines())
    with pytest.raises(ConfigError, match=rf"domain\.yaml:{line}:\d+: engine 'presto' is not known"):
        load_workspace(mesh)


def test_spark_settings_come_from_mesh_yaml(tmp_path: Path, monkeypatch) -> None:
    for name in ("QUANTA_SPARK_MASTER", "QUANTA_SPARK_REMOTE", "SPARK_REMOTE"):
        monkeypatch.delenv(name, raising=False)
    (tmp_path / "mesh.yaml").write_text(
        "engine: spark\nspark:\n  master: yarn\n  conf:\n"
        "    spark.executor.memory: 4g\n    spark.sql.shuffle.partitions: 64\n"
        "    spark.dynamicAllocation.enabled: true\n"
    )
    settings = load_mesh_config(tmp_path).spark.settings()
    assert settings == {
        "master": "yarn",
        "remote": None,
        "conf": {
            "spark.executor.memory": "4g",
            "spark.sql.shuffle.partitions": "64",
            "spark.dynamicAllocation.enabled": "true",
        },
    }


def test_the_environment_wins_over_mesh_yaml(tmp_path: Path, monkeypatch) -> None:
    (tmp_path / "mesh.yaml").write_text("spark:\n  master: local[4]\n  remote: sc://file:15002\n")
    monkeypatch.setenv("QUANTA_SPARK_MASTER", "k8s://https://cluster:443")
    monkeypatch.delenv("QUANTA_SPARK_REMOTE", raising=False)
    monkeypatch.setenv("SPARK_REMOTE", "sc://env:15002")
    settings = load_mesh_config(tmp_path).spark.settings()
    assert settings["master"] == "k8s://https://cluster:443"
    assert settings["remote"] == "sc://env:15002"
    monkeypatch.setenv("QUANTA_SPARK_REMOTE", "sc://quanta:15002")
    assert load_mesh_config(tmp_path).spark.settings()["remote"] == "sc://quanta:15002"


def test_an_unknown_spark_setting_is_reported_with_its_line(tmp_path: Path) -> None:
    (tmp_path / "mesh.yaml").write_text("spark:\n  masters: yarn\n")
    with pytest.raises(ConfigError, match=r"mesh\.yaml:2:\d+: .*spark\.masters"):
        load_mesh_config(tmp_path)
