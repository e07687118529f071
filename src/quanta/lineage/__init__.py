"""OpenLineage run events (START, COMPLETE, FAIL) with schema, data quality and column lineage facets.

``run_event(...)`` builds an event, ``LineageEmitter.from_config(mesh_lineage_config)`` sends it to a
JSON-lines file in the mesh or to a Marquez-compatible HTTP endpoint. Names follow
:mod:`quanta.lineage.naming`. ``openlineage-python`` is imported only when an event is built or sent.
See ``docs/registry-and-storage.md``.
"""

from quanta.lineage.emitter import DEFAULT_CONFIG, LineageEmitter
from quanta.lineage.events import (
    ColumnSource,
    Dataset,
    assertions_from_checks,
    column_lineage_from_contract,
    run_event,
    to_json,
)
from quanta.lineage.naming import job_name, namespace, physical_identifier, port_dataset

__all__ = [
    "DEFAULT_CONFIG",
    "ColumnSource",
    "Dataset",
    "LineageEmitter",
    "assertions_from_checks",
    "column_lineage_from_contract",
    "job_name",
    "namespace",
    "physical_identifier",
    "port_dataset",
    "run_event",
    "to_json",
]
