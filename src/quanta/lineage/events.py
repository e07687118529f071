"""OpenLineage run events for product builds, with schema, data quality and column lineage facets.

A product run emits ``START`` when it begins and ``COMPLETE`` or ``FAIL`` when it ends (OpenLineage spec
2-0-2, "Run lifecycle"). Events are built with ``openlineage-python`` (``event_v2``/``facet_v2``) so that
they serialise exactly as the standard says.

Example:
    >>> from quanta.lineage import Dataset, run_event
    >>> out = Dataset("quanta://demo", "reference.airports.airports",
    ...               schema=[{"name": "faa", "type": "string"}], assertions=[("unique", True, "faa")])
    >>> event = run_event("COMPLETE", run_id="0190f5a8-3c2e-7000-8000-000000000001",
    ...                   job="reference.airports", namespace="quanta://demo", outputs=[out])
    >>> event.eventType.value, event.outputs[0].facets["dataQualityAssertions"].assertions[0].success
    ('COMPLETE', True)
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from quanta.lazy import serial_importer
from quanta.lineage.naming import BUILD_JOB, physical_identifier

if TYPE_CHECKING:
    from openlineage.client.event_v2 import RunEvent

#: The ``producer`` URI written into every event (facets keep openlineage-python's own producer).
PRODUCER = "urn:quanta:platform"
EVENT_TYPES = ("START", "RUNNING", "COMPLETE", "ABORT", "FAIL", "OTHER")
#: Check statuses that make an OpenLineage assertion (others did not run, so they assert nothing).
_ASSERTED = {"passed": True, "failed": False, "error": False}


@dataclass(frozen=True, slots=True)
class ColumnSource:
    """One input field an output column is computed from.

    Attributes:
        dataset: the input dataset's name (e.g. ``source.nycflights13.flights``).
        field: the input column.
        logic: the ODCS ``transformLogic`` (or ``transformDescription``), if any.
        namespace: the input's namespace; the event's namespace when ``None``.
    """

    dataset: str
    field: str
    logic: str | None = None
    namespace: str | None = None


@dataclass(frozen=True, slots=True)
class Dataset:
    """A dataset of a run event (an input or an output) and what Quanta knows about it.

    Attributes:
        namespace: OpenLineage namespace (:func:`quanta.lineage.naming.namespace`).
        name: dataset name (:func:`quanta.lineage.naming.port_dataset` or a source contract id).
        schema: columns as ``{"name", "type", "description"?}`` mappings (e.g.
            ``quanta.storage.schema_to_json`` output, or ODCS properties mapped by the caller).
        location: physical location (table URI or source path), emitted as a ``symlinks`` facet.
        version: the dataset version (the Delta version of a published port).
        row_count: rows written (outputs only; ``outputStatistics`` facet).
        assertions: data quality assertions as ``(assertion, success, column)`` tuples, ``column`` may be
            ``None`` for a table-level assertion (``dataQualityAssertions`` facet).
        column_lineage: output column → the input fields it comes from (``columnLineage`` facet).
    """

    namespace: str
    name: str
    schema: Sequence[Mapping[str, Any]] | None = None
    location: str | None = None
    version: str | int | None = None
    row_count: int | None = None
    assertions: Sequence[tuple[str, bool, str | None]] = ()
    column_lineage: Mapping[str, Sequence[ColumnSource]] = field(default_factory=dict)


def assertions_from_checks(checks: Iterable[Any]) -> list[tuple[str, bool, str | None]]:
    """Turn check results into ``(assertion, success, column)`` tuples for the data quality facet.

    Args:
        checks: objects or mappings with ``status`` and ``rule_name``/``rule_id``/``kind``, and
            optionally ``element`` (``object.column`` or a column name). Checks that did not run
            (skipped, manual, not_evaluated) are left out: they assert nothing.

    Returns:
        One tuple per evaluated check.
    """
    result: list[tuple[str, bool, str | None]] = []
    for check in checks:
        get = check.get if isinstance(check, Mapping) else lambda k, c=check: getattr(c, k, None)
        status = get("status")
        status = getattr(status, "value", status)
        if status not in _ASSERTED:
            continue
        name = get("rule_name") or get("rule_id") or get("kind") or "check"
        element = get("element")
        column = str(element).rsplit(".", 1)[-1] if element and "." in str(element) else element
        result.append((str(name), _ASSERTED[status], column or None))
    return result


def column_lineage_from_contract(
    properties: Iterable[Mapping[str, Any]],
    inputs: Mapping[str, str],
    *,
    default_namespace: str | None = None,
) -> dict[str, list[ColumnSource]]:
    """Read column lineage from an ODCS schema object's properties (``transformSourceObjects``).

    Each entry of ``transformSourceObjects`` names an input: an input port name or dataset name (the
    column is then taken to have the same name as the output column) or ``<input>.<column>``. Unknown
    objects are kept as dataset names of their own.

    Args:
        properties: the ``properties`` list of one ODCS ``schema`` object.
        inputs: input port name (as used in the transform) → dataset name, e.g.
            ``{"flights": "source.nycflights13.flights"}``.
        default_namespace: namespace written into each source (``None``: the event's).

    Returns:
        Output column → its sources, for the columns that declare any.

    Source: ODCS v3 ``schema[].properties[].transformSourceObjects`` / ``transformLogic``.
    """
    lineage: dict[str, list[ColumnSource]] = {}
    for prop in properties:
        objects = prop.get("transformSourceObjects") or []
        name = prop.get("name")
        if not name or not objects:
            continue
        logic = prop.get("transformLogic") or prop.get("transformDescription")
        sources = []
        for obj in objects:
            text = str(obj)
            if text in inputs:
                dataset, column = inputs[text], name
            elif "." in text and text.rsplit(".", 1)[0] in inputs:
                prefix, column = text.rsplit(".", 1)
                dataset = inputs[prefix]
            else:
                dataset, column = text, name
            sources.append(ColumnSource(dataset, column, logic, default_namespace))
        lineage[str(name)] = sources
    return lineage


_CLIENT_MODULES = ("openlineage.client.event_v2", "openlineage.client.facet_v2", "openlineage.client.serde")

import_client = serial_importer(*_CLIENT_MODULES)
"""Import the OpenLineage client's event and facet modules once, one thread at a time.

A build's worker threads emit their first events at about the same moment; the first import is
serialised (:func:`quanta.lazy.serial_importer`) so no run's record is lost to a half-initialised
module, and later calls return at once.
"""


def _dataset_facets(ds: Dataset, namespace: str) -> dict[str, Any]:
    from openlineage.client.facet_v2 import (
        column_lineage_dataset,
        data_quality_assertions_dataset,
        dataset_version_dataset,
        schema_dataset,
        symlinks_dataset,
    )

    facets: dict[str, Any] = {}
    if ds.schema is not None:
        facets["schema"] = schema_dataset.SchemaDatasetFacet(
            fields=[
                schema_dataset.SchemaDatasetFacetFields(
                    name=str(col["name"]),
                    type=str(col["type"]) if col.get("type") is not None else None,
                    description=col.get("description"),
                    ordinal_position=i + 1,
                )
                for i, col in enumerate(ds.schema)
            ]
        )
    if ds.location:
        space, name = physical_identifier(ds.location)
        facets["symlinks"] = symlinks_dataset.SymlinksDatasetFacet(
            identifiers=[symlinks_dataset.Identifier(namespace=space, name=name, type="TABLE")]
        )
    if ds.version is not None:
        facets["version"] = dataset_version_dataset.DatasetVersionDatasetFacet(datasetVersion=str(ds.version))
    if ds.assertions:
        facets["dataQualityAssertions"] = data_quality_assertions_dataset.DataQualityAssertionsDatasetFacet(
            assertions=[
                data_quality_assertions_dataset.Assertion(assertion=a, success=bool(ok), column=col)
                for a, ok, col in ds.assertions
            ]
        )
    if ds.column_lineage:
        fields = {}
        for column, sources in ds.column_lineage.items():
            fields[column] = column_lineage_dataset.Fields(
                inputFields=[
                    column_lineage_dataset.InputField(
                        namespace=src.namespace or namespace,
                        name=src.dataset,
                        field=src.field,
                        transformations=[
                            column_lineage_dataset.Transformation(
                                type="DIRECT",
                                subtype="TRANSFORMATION" if src.logic else "IDENTITY",
                                description=src.logic,
                            )
                        ],
                    )
                    for src in sources
                ]
            )
        facets["columnLineage"] = column_lineage_dataset.ColumnLineageDatasetFacet(fields=fields)
    return facets


def run_event(
    event_type: str,
    *,
    run_id: str,
    job: str,
    namespace: str,
    inputs: Iterable[Dataset] = (),
    outputs: Iterable[Dataset] = (),
    parent_run_id: str | None = None,
    error: str | None = None,
    stack_trace: str | None = None,
    sql: str | None = None,
    event_time: datetime | None = None,
    engine_version: str | None = None,
) -> RunEvent:
    """Build one OpenLineage ``RunEvent`` for a product run.

    Args:
        event_type: ``START``, ``COMPLETE`` or ``FAIL`` (``RUNNING``, ``ABORT``, ``OTHER`` also allowed).
        run_id: the product run id (a UUID).
        job: the job name (:func:`quanta.lineage.naming.job_name`).
        namespace: the mesh namespace (:func:`quanta.lineage.naming.namespace`).
        inputs: the datasets read.
        outputs: the datasets written; output-only facets (statistics) come from their ``row_count``.
        parent_run_id: the build id (a UUID); adds a ``parent`` facet naming the ``build`` job.
        error: the error message of a failed run (``errorMessage`` facet).
        stack_trace: its Python traceback, if any.
        sql: the SQL transform (``sql`` job facet).
        event_time: when it happened (now when ``None``).
        engine_version: Quanta's version for the ``processing_engine`` facet.

    Returns:
        The event, ready for :meth:`quanta.lineage.LineageEmitter.emit`.

    Raises:
        ValueError: ``event_type`` is not an OpenLineage run state, or ``run_id`` is not a UUID.
    """
    import uuid

    import_client()
    from openlineage.client.event_v2 import InputDataset, Job, OutputDataset, Run, RunEvent, RunState
    from openlineage.client.facet_v2 import (
        error_message_run,
        job_type_job,
        output_statistics_output_dataset,
        parent_run,
        processing_engine_run,
        sql_job,
    )

    if event_type not in EVENT_TYPES:
        raise ValueError(
            f"{event_type!r} is not an OpenLineage run state: use one of {', '.join(EVENT_TYPES)}"
        )
    uuid.UUID(run_id)
    run_facets: dict[str, Any] = {
        "processing_engine": processing_engine_run.ProcessingEngineRunFacet(
            version=engine_version or _quanta_version(),
            name="quanta",
            openlineageAdapterVersion=_ol_version(),
        )
    }
    if parent_run_id is not None:
        run_facets["parent"] = parent_run.ParentRunFacet(
            run=parent_run.Run(runId=parent_run_id), job=parent_run.Job(namespace=namespace, name=BUILD_JOB)
        )
    if error is not None:
        run_facets["errorMessage"] = error_message_run.ErrorMessageRunFacet(
            message=error, programmingLanguage="python", stackTrace=stack_trace
        )
    job_facets: dict[str, Any] = {
        "jobType": job_type_job.JobTypeJobFacet(
            processingType="BATCH", integration="QUANTA", jobType="DATA_PRODUCT"
        )
    }
    if sql:
        job_facets["sql"] = sql_job.SQLJobFacet(query=sql, dialect="duckdb")
    outs = []
    for ds in outputs:
        output_facets = {}
        if ds.row_count is not None:
            output_facets["outputStatistics"] = (
                output_statistics_output_dataset.OutputStatisticsOutputDatasetFacet(
                    rowCount=int(ds.row_count)
                )
            )
        outs.append(
            OutputDataset(
                namespace=ds.namespace,
                name=ds.name,
                facets=_dataset_facets(ds, namespace),
                outputFacets=output_facets,
            )
        )
    ins = [
        InputDataset(namespace=ds.namespace, name=ds.name, facets=_dataset_facets(ds, namespace))
        for ds in inputs
    ]
    when = (event_time or datetime.now(UTC)).astimezone(UTC)
    return RunEvent(
        eventType=RunState(event_type),
        eventTime=when.isoformat(),
        run=Run(runId=run_id, facets=run_facets),
        job=Job(namespace=namespace, name=job, facets=job_facets),
        inputs=ins,
        outputs=outs,
        producer=PRODUCER,
    )


def to_json(event: RunEvent) -> str:
    """Serialise an event exactly as the transports do (OpenLineage ``Serde``)."""
    from openlineage.client.serde import Serde

    return Serde.to_json(event)


def _quanta_version() -> str:
    from quanta import __version__

    return __version__


@functools.cache  # reading the installed distributions' metadata costs 2 ms a call, twice per product run
def _ol_version() -> str:
    from importlib.metadata import version

    return version("openlineage-python")
