"""How Quanta names OpenLineage jobs and datasets.

Conventions (also in ``docs/registry-and-storage.md``):

- **namespace**: ``quanta://<mesh name>`` for every job and every logical dataset of one mesh.
- **job**: one per product, named ``<domain>.<product>``; the build is the parent job ``build``.
- **run**: the registry's product run id (a UUID); the parent run is the build id.
- **dataset**: a published output port is ``<domain>.<product>.<port>`` (how consumers address it in SQL);
  a source is named by its source contract id (``source.<name>``, e.g. ``source.nycflights13.flights``).
- the physical location of a dataset is attached as a ``symlinks`` facet following the OpenLineage naming
  specification: ``file`` + absolute path for a local table, ``s3://<bucket>`` + key for object storage.

Source: OpenLineage naming conventions (https://openlineage.io/docs/spec/naming).
"""

from __future__ import annotations

from urllib.parse import urlparse

#: Job name of the parent job that stands for a whole build.
BUILD_JOB = "build"


def namespace(mesh_name: str) -> str:
    """Return the OpenLineage namespace of a mesh, ``quanta://<mesh name>``."""
    return f"quanta://{mesh_name}"


def job_name(domain: str, product: str) -> str:
    """Return the OpenLineage job name of a product build, ``<domain>.<product>``."""
    return f"{domain}.{product}"


def port_dataset(domain: str, product: str, port: str) -> str:
    """Return the dataset name of a published output port, ``<domain>.<product>.<port>``."""
    return f"{domain}.{product}.{port}"


def physical_identifier(location: str) -> tuple[str, str]:
    """Return the OpenLineage ``(namespace, name)`` of a physical table or file location.

    Args:
        location: a local path, a ``file://`` URI or an object-store URI (``s3://bucket/key``).

    Returns:
        ``("file", "/abs/path")`` for a local location, ``("s3://bucket", "key")`` for object storage.

    Example:
        >>> physical_identifier("s3://lake/mesh/operations/flights/flights")
        ('s3://lake', 'mesh/operations/flights/flights')
        >>> physical_identifier("/srv/mesh/.quanta/tables/reference/airports/airports")
        ('file', '/srv/mesh/.quanta/tables/reference/airports/airports')
    """
    parsed = urlparse(location)
    if parsed.scheme in ("", "file") or len(parsed.scheme) == 1:  # a Windows drive letter is no scheme
        return "file", parsed.path if parsed.scheme == "file" else location
    return f"{parsed.scheme}://{parsed.netloc}", parsed.path.lstrip("/")
