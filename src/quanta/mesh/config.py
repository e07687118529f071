"""``mesh.yaml``: the mesh's configuration, every field optional with an embedded default.

The file is loaded through :func:`quanta.spec.loader.load_yaml`, so YAML mistakes carry the file, line
and column; validation mistakes are reported with the position of the offending key.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from quanta.errors import ConfigError, Diagnostic

#: Name of the file that marks a mesh root.
MESH_FILE = "mesh.yaml"
#: Environment variable whose value, when set, replaces ``registry``.
REGISTRY_ENV = "QUANTA_REGISTRY_URL"
#: Engines a mesh, a domain or a product may run on.
ENGINE_NAMES = ("duckdb", "spark")
#: Environment variable whose value, when set, replaces ``spark.master``.
SPARK_MASTER_ENV = "QUANTA_SPARK_MASTER"
#: Environment variables (first set wins) whose value replaces ``spark.remote`` (``SPARK_REMOTE`` is
#: pyspark's own).
SPARK_REMOTE_ENVS = ("QUANTA_SPARK_REMOTE", "SPARK_REMOTE")


class LineageConfig(BaseModel):
    """Where OpenLineage run events go.

    ``transport: file`` appends JSON lines to ``path`` (relative to the mesh root); ``transport: http``
    posts to ``url`` (a Marquez-compatible endpoint); ``transport: none`` emits nothing.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    transport: Literal["file", "http", "none"] = Field(
        "file", description="How events are sent: `file` (JSON lines), `http` (Marquez-compatible) or `none`."
    )
    path: str = Field(
        ".quanta/lineage.jsonl", description="JSON-lines file, relative to the mesh root (transport `file`)."
    )
    url: str | None = Field(
        None, description="Endpoint URL (transport `http`), e.g. `http://localhost:5000`."
    )
    endpoint: str = Field(
        "api/v1/lineage", description="Lineage endpoint path under `url` (transport `http`)."
    )
    api_key_env: str | None = Field(
        None, description="Environment variable holding a bearer token for the endpoint (transport `http`)."
    )
    timeout: float = Field(5.0, description="Seconds per HTTP request (transport `http`).")
    namespace: str | None = Field(
        None, description="OpenLineage job namespace; defaults to `quanta://<mesh name>`."
    )


class SparkConfig(BaseModel):
    """How a build reaches Spark (the ``spark:`` block of ``mesh.yaml``).

    ``master`` is a Spark master URL (``local[2]``, ``yarn``, ``k8s://https://host:443``,
    ``spark://host:7077``); ``remote`` a Spark Connect URL (``sc://host:15002``) used instead of
    ``master``; ``conf`` extra Spark configuration keys. ``QUANTA_SPARK_MASTER`` and
    ``QUANTA_SPARK_REMOTE`` / ``SPARK_REMOTE`` win over the file.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    master: str | None = Field(
        None, description="Spark master URL (`local[2]`, `yarn`, `k8s://...`, `spark://host:7077`)."
    )
    remote: str | None = Field(None, description="Spark Connect URL (`sc://host:15002`); wins over `master`.")
    conf: dict[str, str | int | float | bool] = Field(
        default_factory=dict, description="Extra Spark configuration keys, e.g. `spark.executor.memory: 4g`."
    )

    def settings(self) -> dict[str, Any]:
        """Return the keyword arguments of ``quanta.engine.spark.SparkEngine``, the environment winning.

        Returns:
            ``{"master": str | None, "remote": str | None, "conf": dict[str, str]}``.
        """
        remote = next((os.environ[name] for name in SPARK_REMOTE_ENVS if os.environ.get(name)), None)
        return {
            "master": os.environ.get(SPARK_MASTER_ENV) or self.master,
            "remote": remote or self.remote,
            "conf": {key: _conf_text(value) for key, value in self.conf.items()},
        }


def _conf_text(value: Any) -> str:
    """Spark configuration values are strings; YAML booleans are written the way Spark spells them."""
    return str(value).lower() if isinstance(value, bool) else str(value)


class TeamConfig(BaseModel):
    """A team declared inline in ``mesh.yaml`` (the access layer may also read a ``teams/`` folder)."""

    model_config = ConfigDict(extra="allow", frozen=True)

    name: str = Field(description="Team name, as used by `owner` in `domain.yaml` and `team` in descriptors.")
    description: str | None = Field(None, description="What the team does.")
    members: list[Any] = Field(default_factory=list, description="Members (names or mappings).")


class MeshConfig(BaseModel):
    """The contents of ``mesh.yaml``; an absent file or field takes the embedded default.

    Paths are relative to the mesh root unless absolute (or a URI such as ``s3://``).
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field("mesh", description="Mesh name; used in lineage namespaces and in the marketplace.")
    storage: str = Field(
        ".quanta/tables",
        description="Root of the published Delta tables (`<storage>/<domain>/<product>/<port>`), "
        "a path relative to the mesh root or a URI such as `s3://bucket/prefix`.",
    )
    registry: str = Field(
        "sqlite:///.quanta/registry.db",
        description="SQLAlchemy URL of the registry: `sqlite:///relative/path.db` (relative to the mesh "
        "root) "
        f"or `postgresql+psycopg://...`. The environment variable `{REGISTRY_ENV}` wins.",
    )
    engine: Literal["duckdb", "spark"] = Field(
        "duckdb",
        description="Engine that runs transforms and checks; a domain (`engine:` in `domain.yaml`) or a "
        "product (`quantaEngine` custom property of its descriptor) may choose another.",
    )
    spark: SparkConfig = Field(
        default_factory=SparkConfig, description="How to reach Spark when a product runs on it."
    )
    lineage: LineageConfig = Field(
        default_factory=LineageConfig, description="Where OpenLineage run events are sent."
    )
    policies: list[str] = Field(
        default_factory=lambda: ["policies"], description="Global policy folders, relative to the mesh root."
    )
    teams: list[TeamConfig] = Field(default_factory=list, description="Teams declared inline (optional).")
    memory_limit: str | None = Field(
        None, description="Engine memory limit, e.g. `2GB` (the engine's default when absent)."
    )

    def storage_root(self, mesh_root: Path) -> str:
        """Return the storage root as an absolute path string or a URI.

        Args:
            mesh_root: the folder holding ``mesh.yaml``.
        """
        if "://" in self.storage:
            return self.storage
        return str((mesh_root / self.storage).resolve())

    def registry_url(self, mesh_root: Path) -> str:
        """Return the registry URL: ``$QUANTA_REGISTRY_URL`` if set, else ``registry`` made absolute.

        A relative SQLite path is resolved against the mesh root, so a command run from a sub-folder
        opens the same database.
        """
        url = os.environ.get(REGISTRY_ENV) or self.registry
        prefix = "sqlite:///"
        if url.startswith(prefix) and not url.startswith(prefix + "/") and url != prefix + ":memory:":
            return prefix + str((mesh_root / url[len(prefix) :]).resolve())
        return url

    def lineage_path(self, mesh_root: Path) -> Path:
        """Return the absolute path of the lineage JSON-lines file (transport ``file``)."""
        path = Path(self.lineage.path)
        return path if path.is_absolute() else mesh_root / path

    def lineage_namespace(self) -> str:
        """Return the OpenLineage namespace of this mesh's jobs."""
        return self.lineage.namespace or f"quanta://{self.name}"


def load_mesh_config(mesh_root: Path) -> MeshConfig:
    """Load ``<mesh_root>/mesh.yaml``; an empty file gives every default.

    Args:
        mesh_root: the folder holding ``mesh.yaml``.

    Returns:
        The validated configuration.

    Raises:
        ConfigError: the file is not valid YAML or a field is unknown or of the wrong type; the message
            and diagnostics name the file, line and column.
    """
    from quanta.errors import SpecError
    from quanta.spec.loader import load_yaml

    path = mesh_root / MESH_FILE
    if not path.read_text(encoding="utf-8").strip():
        return MeshConfig()
    try:
        loaded = load_yaml(path)
    except SpecError as error:
        raise ConfigError(error.message, diagnostics=error.diagnostics) from error
    except Exception as error:  # ruamel's parser errors carry their own position
        raise ConfigError(f"{path}: not valid YAML: {error}") from error
    try:
        return MeshConfig.model_validate(loaded.data)
    except ValidationError as error:
        diagnostics = []
        for problem in error.errors():
            location = tuple(problem["loc"])
            line, column = loaded.position(location)
            diagnostics.append(
                Diagnostic(
                    "mesh.config",
                    f"{'.'.join(map(str, location)) or '(root)'}: {problem['msg']}",
                    path=".".join(map(str, location)),
                    line=line,
                    column=column,
                    file=str(path),
                )
            )
        first = diagnostics[0]
        raise ConfigError(
            f"{first.location()}: invalid mesh.yaml: {first.message} "
            "(see docs/building-products.md for every field and its default)",
            diagnostics=diagnostics,
        ) from None
