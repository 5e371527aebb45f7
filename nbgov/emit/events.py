"""OpenLineage events and facets, built with the official client's classes.

Events are ``openlineage.client.event_v2`` objects and facets ``facet_v2`` objects;
:func:`to_dict` serialises them with the client's ``Serde``. Nothing here writes
OpenLineage JSON by hand. Every facet and event carries nbgov's own producer URI
(:data:`PRODUCER`), passed per object: the client's global ``set_producer`` is never
called, so other libraries in the same process keep theirs.

Dataset names come from :func:`dataset_name_for`, which uses the client's
``openlineage.client.naming`` classes where the client has one for the platform, and
the OpenLineage naming specification (https://openlineage.io/docs/spec/naming)
otherwise.
"""

from __future__ import annotations

import datetime as dt
import os
import traceback
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import attr
from openlineage.client import event_v2
from openlineage.client import facet_v2
from openlineage.client.facet_v2 import (
    documentation_job,
    error_message_run,
    job_type_job,
    ownership_job,
    parent_run,
    schema_dataset,
    source_code_job,
    sql_job,
)
from openlineage.client.naming import dataset as naming
from openlineage.client.serde import Serde
from openlineage.client.uuid import generate_new_uuid

from nbgov import __version__

__all__ = [
    "PRODUCER",
    "Event",
    "dataset",
    "dataset_event",
    "dataset_name_for",
    "facet",
    "from_dict",
    "job_event",
    "job_type_facet",
    "parent_facet",
    "run_event",
    "start_of",
    "to_dict",
]

#: nbgov's producer URI, stable for a release
PRODUCER = f"https://github.com/nbgov/nbgov/tree/{__version__}"

Event = event_v2.RunEvent | event_v2.JobEvent | event_v2.DatasetEvent
Field = Sequence[str] | schema_dataset.SchemaDatasetFacetFields


#: facet key -> the client's facet class, per place a facet can sit. The class gives the
#: facet's ``_schemaURL``, so nbgov never spells a spec URL itself.
_FACET_CLASSES: dict[str, dict[str, Any]] = {
    "dataset": {
        "version": facet_v2.dataset_version_dataset.DatasetVersionDatasetFacet,
        "dataSource": facet_v2.datasource_dataset.DatasourceDatasetFacet,
        "dataQualityMetrics": facet_v2.data_quality_metrics_dataset.DataQualityMetricsDatasetFacet,
        "dataQualityAssertions": facet_v2.data_quality_assertions_dataset.DataQualityAssertionsDatasetFacet,
        "storage": facet_v2.storage_dataset.StorageDatasetFacet,
        "symlinks": facet_v2.symlinks_dataset.SymlinksDatasetFacet,
        "documentation": facet_v2.documentation_dataset.DocumentationDatasetFacet,
        "ownership": facet_v2.ownership_dataset.OwnershipDatasetFacet,
        "lifecycleStateChange": facet_v2.lifecycle_state_change_dataset.LifecycleStateChangeDatasetFacet,
        "datasetType": facet_v2.dataset_type_dataset.DatasetTypeDatasetFacet,
        "catalog": facet_v2.catalog_dataset.CatalogDatasetFacet,
        "tags": facet_v2.tags_dataset.TagsDatasetFacet,
        "schema": schema_dataset.SchemaDatasetFacet,
        "columnLineage": facet_v2.column_lineage_dataset.ColumnLineageDatasetFacet,
    },
    "input": {
        "dataQualityMetrics": facet_v2.data_quality_metrics_input_dataset.DataQualityMetricsInputDatasetFacet,
        "inputStatistics": facet_v2.input_statistics_input_dataset.InputStatisticsInputDatasetFacet,
    },
    "output": {
        "outputStatistics": facet_v2.output_statistics_output_dataset.OutputStatisticsOutputDatasetFacet,
    },
    "job": {
        "sourceCodeLocation": facet_v2.source_code_location_job.SourceCodeLocationJobFacet,
        "sourceCode": source_code_job.SourceCodeJobFacet,
        "sql": sql_job.SQLJobFacet,
        "jobType": job_type_job.JobTypeJobFacet,
        "ownership": ownership_job.OwnershipJobFacet,
        "documentation": documentation_job.DocumentationJobFacet,
        "tags": facet_v2.tags_job.TagsJobFacet,
    },
    "run": {
        "errorMessage": error_message_run.ErrorMessageRunFacet,
        "parent": parent_run.ParentRunFacet,
        "nominalTime": facet_v2.nominal_time_run.NominalTimeRunFacet,
        "processing_engine": facet_v2.processing_engine_run.ProcessingEngineRunFacet,
        "tags": facet_v2.tags_run.TagsRunFacet,
    },
}


def facet(name: str, payload: Mapping[str, Any], *, kind: str = "dataset") -> dict[str, Any]:
    """A standard facet as a dict: ``payload`` plus nbgov's ``_producer`` and the
    ``_schemaURL`` of the client's class for facet ``name`` at ``kind``.

    For facets whose payload is already plain JSON (metrics, versions, tags) built by
    layers that may not import openlineage.

    Args:
        name: the facet key, e.g. ``"dataQualityMetrics"``.
        payload: the facet's own fields, without ``_producer``/``_schemaURL``.
        kind: where it sits: ``dataset``, ``input`` (inputFacets), ``output``
            (outputFacets), ``job`` or ``run``.

    Raises:
        KeyError: no standard facet of that name at that place.
    """
    cls = _FACET_CLASSES[kind][name]
    return {**payload, "_producer": PRODUCER, "_schemaURL": cls._get_schema()}


# ----------------------------------------------------------------------- builders
def _field(spec: Field) -> schema_dataset.SchemaDatasetFacetFields:
    if isinstance(spec, schema_dataset.SchemaDatasetFacetFields):
        return spec
    if isinstance(spec, str) or not 1 <= len(spec) <= 3:
        raise ValueError(f"a field is (name, type[, description]), got {spec!r}")
    name, ftype, description = (*spec, None, None)[:3]
    return schema_dataset.SchemaDatasetFacetFields(name=name, type=ftype, description=description)


def _field_dict(spec: Field) -> dict[str, Any]:
    """A schema field as the JSON the client's ``SchemaDatasetFacetFields`` serialises to."""
    if isinstance(spec, tuple) and 2 <= len(spec) <= 3 and all(isinstance(x, str) or x is None for x in spec):
        name, ftype, description = (*spec, None)[:3]
        if isinstance(name, str):  # the common (name, type) pair, without building the client's object
            out = {"name": name}
            if ftype is not None:
                out["type"] = ftype
            if description is not None:
                out["description"] = description
            out["fields"] = []  # nested fields: the client writes its empty default too
            return out
    return _plain(_field(spec))


def dataset(
    namespace: str,
    name: str,
    *,
    fields: Iterable[Field] | None = None,
    facets: Mapping[str, Any] | None = None,
    io_facets: Mapping[str, Any] | None = None,
    kind: str = "input",
) -> event_v2.InputDataset | event_v2.OutputDataset:
    """An input or output dataset of a run.

    Args:
        namespace: the dataset's namespace (see :func:`dataset_name_for`).
        name: the dataset's name within the namespace.
        fields: its columns as ``(name, type)`` or ``(name, type, description)``;
            given, they become a ``schema`` facet.
        facets: dataset facets (``facet_v2`` objects) by key.
        io_facets: ``inputFacets`` (for an input) or ``outputFacets`` (for an output).
        kind: ``"input"`` or ``"output"``.

    Returns:
        An ``InputDataset`` or ``OutputDataset``.

    Raises:
        ValueError: ``kind`` is neither input nor output, or a field is malformed.
    """
    all_facets = dict(facets or {})
    if fields is not None:
        all_facets["schema"] = facet("schema", {"fields": [_field_dict(f) for f in fields]})
    if kind == "input":
        return event_v2.InputDataset(namespace, name, facets=all_facets, inputFacets=dict(io_facets or {}))
    if kind == "output":
        return event_v2.OutputDataset(namespace, name, facets=all_facets, outputFacets=dict(io_facets or {}))
    raise ValueError(f"kind must be 'input' or 'output', got {kind!r}")


def _event_time(value: str | dt.datetime | None) -> str:
    if value is None:
        value = dt.datetime.now(dt.timezone.utc)
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:
            value = value.astimezone()  # a naive time is local time
        return value.astimezone(dt.timezone.utc).isoformat(timespec="microseconds").replace("+00:00", "Z")
    return value


def job_type_facet(value: Any) -> job_type_job.JobTypeJobFacet:
    """The ``jobType`` facet from ``(processingType, integration[, jobType])`` or a mapping."""
    if isinstance(value, job_type_job.JobTypeJobFacet):
        return value
    if isinstance(value, Mapping):
        return job_type_job.JobTypeJobFacet(
            processingType=value["processingType"], integration=value["integration"],
            jobType=value.get("jobType"), producer=PRODUCER,
        )
    processing, integration, job_type = (*value, None)[:3]
    return job_type_job.JobTypeJobFacet(
        processingType=processing, integration=integration, jobType=job_type, producer=PRODUCER
    )


def _error(error: BaseException | str) -> error_message_run.ErrorMessageRunFacet:
    if isinstance(error, BaseException):
        message = f"{type(error).__name__}: {error}"
        stack = "".join(traceback.format_exception(type(error), error, error.__traceback__))
    else:
        message, stack = str(error), None
    return error_message_run.ErrorMessageRunFacet(
        message=message, programmingLanguage="PYTHON", stackTrace=stack, producer=PRODUCER
    )


def parent_facet(parent: Any, root: Any = None) -> parent_run.ParentRunFacet:
    """The ``parent`` run facet from ``(namespace, name, run_id)`` (and the root run's)."""
    if isinstance(parent, parent_run.ParentRunFacet):
        return parent
    namespace, name, run_id = parent
    root_ref = None
    if root is not None:
        r_ns, r_name, r_run = root
        root_ref = parent_run.Root(
            run=parent_run.RootRun(runId=str(r_run)), job=parent_run.RootJob(namespace=r_ns, name=r_name)
        )
    return parent_run.ParentRunFacet(
        run=parent_run.Run(runId=str(run_id)),
        job=parent_run.Job(namespace=namespace, name=name),
        root=root_ref,
        producer=PRODUCER,
    )


def run_event(
    event_type: str | event_v2.RunState,
    *,
    job_namespace: str,
    job_name: str,
    run_id: str | None = None,
    event_time: str | dt.datetime | None = None,
    inputs: Iterable[event_v2.InputDataset] = (),
    outputs: Iterable[event_v2.OutputDataset] = (),
    job_facets: Mapping[str, Any] | None = None,
    run_facets: Mapping[str, Any] | None = None,
    parent: tuple[str, str, str] | parent_run.ParentRunFacet | None = None,
    root: tuple[str, str, str] | None = None,
    job_type: tuple[str, ...] | Mapping[str, str] | job_type_job.JobTypeJobFacet | None = None,
    source_code: str | tuple[str, str] | None = None,
    sql: str | tuple[str, str | None] | None = None,
    owners: Iterable[str | tuple[str, str | None]] | None = None,
    description: str | None = None,
    error: BaseException | str | None = None,
) -> event_v2.RunEvent:
    """A RunEvent built from the client's classes, facets carrying nbgov's producer.

    Facets given by the keyword options below replace same-named entries of
    ``job_facets`` / ``run_facets``.

    Args:
        event_type: ``START``, ``RUNNING``, ``COMPLETE``, ``FAIL``, ``ABORT`` or ``OTHER``.
        job_namespace: the job's namespace.
        job_name: the job's name.
        run_id: the run's UUID; a new UUIDv7 when absent.
        event_time: an ISO-8601 string or a datetime; now (UTC, ``Z``) when absent.
        inputs: datasets read, from :func:`dataset`.
        outputs: datasets written, from :func:`dataset`.
        job_facets: extra job facets by key.
        run_facets: extra run facets by key.
        parent: the parent run as ``(namespace, name, run_id)`` → ``parent`` facet.
        root: the root run as ``(namespace, name, run_id)``, added to the parent facet.
        job_type: ``(processingType, integration[, jobType])`` → ``jobType`` facet.
        source_code: the code (Python), or ``(language, code)`` → ``sourceCode`` facet.
        sql: the query, or ``(query, dialect)`` → ``sql`` facet.
        owners: owner names, or ``(name, type)`` pairs → ``ownership`` facet.
        description: → ``documentation`` facet.
        error: an exception or a message → ``errorMessage`` facet (language PYTHON,
            with the stack trace of an exception).

    Returns:
        The event.

    Raises:
        ValueError: an argument is malformed (unknown event type, run id not a UUID).
    """
    etype = event_type if isinstance(event_type, event_v2.RunState) else event_v2.RunState(str(event_type).upper())
    jfacets: dict[str, Any] = dict(job_facets or {})
    rfacets: dict[str, Any] = dict(run_facets or {})
    if parent is not None:
        rfacets["parent"] = parent_facet(parent, root)
    if error is not None:
        rfacets["errorMessage"] = _error(error)
    if job_type is not None:
        jfacets["jobType"] = job_type_facet(job_type)
    if source_code is not None:
        language, code = ("python", source_code) if isinstance(source_code, str) else source_code
        jfacets["sourceCode"] = source_code_job.SourceCodeJobFacet(
            language=language, sourceCode=code, producer=PRODUCER
        )
    if sql is not None:
        query, dialect = (sql, None) if isinstance(sql, str) else sql
        jfacets["sql"] = sql_job.SQLJobFacet(query=query, dialect=dialect, producer=PRODUCER)
    if owners is not None:
        jfacets["ownership"] = ownership_job.OwnershipJobFacet(
            owners=[
                ownership_job.Owner(name=o) if isinstance(o, str) else ownership_job.Owner(name=o[0], type=o[1])
                for o in owners
            ],
            producer=PRODUCER,
        )
    if description is not None:
        jfacets["documentation"] = documentation_job.DocumentationJobFacet(
            description=description, producer=PRODUCER
        )
    return event_v2.RunEvent(
        eventType=etype,
        eventTime=_event_time(event_time),
        run=event_v2.Run(runId=str(run_id or generate_new_uuid()), facets=rfacets),
        job=event_v2.Job(namespace=job_namespace, name=job_name, facets=jfacets),
        inputs=list(inputs),
        outputs=list(outputs),
        producer=PRODUCER,
    )


def dataset_event(
    namespace: str,
    name: str,
    *,
    facets: Mapping[str, Any],
    event_time: str | dt.datetime | None = None,
) -> event_v2.DatasetEvent:
    """A DatasetEvent: metadata about a dataset (tags, owners, profiles) outside any run.

    Args:
        namespace: the dataset's namespace.
        name: the dataset's name.
        facets: facets as dicts with ``_producer``/``_schemaURL`` (see :func:`facet`).
        event_time: when; now (UTC) by default.
    """
    return event_v2.DatasetEvent(
        eventTime=_event_time(event_time),
        producer=PRODUCER,
        dataset=event_v2.StaticDataset(namespace=namespace, name=name, facets=dict(facets)),
    )


def job_event(
    namespace: str,
    name: str,
    *,
    facets: Mapping[str, Any],
    event_time: str | dt.datetime | None = None,
) -> event_v2.JobEvent:
    """A JobEvent: metadata about a job (owners, documentation) outside any run.

    Args:
        namespace: the job's namespace.
        name: the job's name.
        facets: facets as dicts with ``_producer``/``_schemaURL`` (see :func:`facet`).
        event_time: when; now (UTC) by default.
    """
    return event_v2.JobEvent(
        eventTime=_event_time(event_time),
        producer=PRODUCER,
        job=event_v2.Job(namespace=namespace, name=name, facets=dict(facets)),
        inputs=[],
        outputs=[],
    )


def start_of(end: Mapping[str, Any], event_time: str | dt.datetime) -> dict[str, Any]:
    """The START of a run, as JSON-ready data, from its COMPLETE / FAIL (``to_dict`` output).

    Exactly what ``to_dict(run_event("START", ...))`` gives for the same job, run and
    inputs (a test checks it): the same producer, job and job facets, the run's facets
    without ``errorMessage``, the inputs by name only, no outputs. For a notebook cell,
    whose datasets are measured after it ran, the START carries nothing the end does not
    — deriving it saves building and serialising the run a second time.
    """
    run = end["run"]
    job = end["job"]
    return {
        **end,
        "eventTime": _event_time(event_time),
        "eventType": "START",
        "inputs": [{"namespace": d["namespace"], "name": d["name"], "facets": {}, "inputFacets": {}}
                   for d in end.get("inputs") or ()],
        "outputs": [],
        "run": {**run, "facets": {k: v for k, v in (run.get("facets") or {}).items() if k != "errorMessage"}},
        "job": {**job, "facets": dict(job.get("facets") or {})},
    }


def to_dict(event: Event) -> dict[str, Any]:
    """The event as JSON-ready data: exactly what the client's ``Serde.to_dict`` gives
    (``tests/test_emit_events.py`` checks it on every kind of event nbgov builds), in one
    pass over the objects instead of ``attr.asdict`` followed by a second walk — this runs
    for every captured cell."""
    if isinstance(event, dict):
        return Serde.to_dict(event)
    return _plain(event)


_ATTR_NAMES: dict[type, tuple[str, ...] | None] = {}  # None: not an attrs class
#: types that are their own JSON value
_LEAVES = frozenset({str, int, float, bool})


def _plain(obj: Any) -> Any:
    """``Serde.remove_nulls_and_enums(attr.asdict(obj))`` without the intermediate copy.

    Leaves (strings and numbers) inside attrs objects, dicts and lists are copied in
    place, without a call each: an event's facets are mostly leaves.
    """
    cls = type(obj)
    if cls in _LEAVES or obj is None:
        return obj
    try:
        names = _ATTR_NAMES[cls]
    except KeyError:
        names = _ATTR_NAMES[cls] = tuple(a.name for a in attr.fields(cls)) if attr.has(cls) else None
    leaves = _LEAVES
    if names is not None:
        out = {}
        for name in names:
            value = getattr(obj, name)
            if type(value) in leaves:
                out[name] = value
            elif value is not None:
                value = _plain(value)
                if value is not None:
                    out[name] = value
        return out
    if isinstance(obj, dict):
        out = {}
        for key, value in obj.items():
            if type(value) in leaves:
                out[key] = value
            elif value is not None:
                value = _plain(value)
                if value is not None:
                    out[key] = value
        return out
    if isinstance(obj, (list, tuple, set, frozenset)):
        items = []
        for value in obj:
            if type(value) in leaves:
                items.append(value)
            elif value is not None:
                value = _plain(value)
                if value is not None and not (isinstance(value, dict) and value == {}):
                    items.append(value)
        return items
    return Serde.remove_nulls_and_enums(obj)  # enums, dates, UUIDs, NumPy integers


# ------------------------------------------------------------------ from stored JSON
def _datasets(items: Any, cls: type, io_key: str) -> list[Any]:
    out = []
    for item in items or []:
        kwargs = {"facets": dict(item.get("facets") or {})}
        if cls is not event_v2.StaticDataset:
            kwargs[io_key] = dict(item.get(io_key) or {})
        out.append(cls(item["namespace"], item["name"], **kwargs))
    return out


def from_dict(payload: Mapping[str, Any]) -> Event:
    """Rebuild a client event object from stored JSON, for the client's transports.

    Some transports look at the event's type or attributes (Kafka's message key,
    GCP Lineage and DataZone accept only ``RunEvent`` objects, the async HTTP
    transport orders a run's events). Facets stay plain mappings and the event keeps
    its own ``schemaURL``; the result is checked to serialise to the same JSON as the
    payload (apart from empty ``facets`` objects and lists the classes add).

    Raises:
        KeyError, TypeError, ValueError: the payload is not a well-formed event, or
            it holds fields the classes cannot carry (then send the mapping itself).
    """
    common = {"eventTime": payload["eventTime"], "producer": payload["producer"]}
    inputs = _datasets(payload.get("inputs"), event_v2.InputDataset, "inputFacets")
    outputs = _datasets(payload.get("outputs"), event_v2.OutputDataset, "outputFacets")
    event: Event
    if "run" in payload:
        run, job = payload["run"], payload["job"]
        event = event_v2.RunEvent(
            **common,
            eventType=event_v2.RunState(payload["eventType"]) if payload.get("eventType") else None,
            run=event_v2.Run(runId=run["runId"], facets=dict(run.get("facets") or {})),
            job=event_v2.Job(namespace=job["namespace"], name=job["name"], facets=dict(job.get("facets") or {})),
            inputs=inputs,
            outputs=outputs,
        )
    elif "dataset" in payload and "job" not in payload:
        ds = payload["dataset"]
        event = event_v2.DatasetEvent(**common, dataset=_datasets([ds], event_v2.StaticDataset, "")[0])
    else:
        job = payload["job"]
        event = event_v2.JobEvent(
            **common,
            job=event_v2.Job(namespace=job["namespace"], name=job["name"], facets=dict(job.get("facets") or {})),
            inputs=inputs,
            outputs=outputs,
        )
    if payload.get("schemaURL"):
        event.schemaURL = payload["schemaURL"]
    if _without_empty(Serde.to_dict(event)) != _without_empty(Serde.to_dict(dict(payload))):
        raise ValueError("the event has fields the client's classes do not model")
    return event


def _without_empty(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _without_empty(v) for k, v in value.items() if v != {} and v != []}
    if isinstance(value, list):
        return [_without_empty(v) for v in value]
    return value


# ------------------------------------------------------------------------- naming
#: platform → the client's naming class (aliases included)
_CLIENT_NAMING: dict[str, type] = {
    "athena": naming.Athena,
    "awsathena": naming.Athena,
    "glue": naming.AWSGlue,
    "awsglue": naming.AWSGlue,
    "azurecosmos": naming.AzureCosmosDB,
    "cosmosdb": naming.AzureCosmosDB,
    "azurekusto": naming.AzureDataExplorer,
    "azuredataexplorer": naming.AzureDataExplorer,
    "azuresynapse": naming.AzureSynapse,
    "synapse": naming.AzureSynapse,
    "bigquery": naming.BigQuery,
    "cassandra": naming.Cassandra,
    "mysql": naming.MySQL,
    "crate": naming.CrateDB,
    "cratedb": naming.CrateDB,
    "db2": naming.DB2,
    "oceanbase": naming.OceanBase,
    "oracle": naming.Oracle,
    "postgres": naming.Postgres,
    "postgresql": naming.Postgres,
    "teradata": naming.Teradata,
    "redshift": naming.Redshift,
    "snowflake": naming.Snowflake,
    "trino": naming.Trino,
    "abfss": naming.ABFSS,
    "dbfs": naming.DBFS,
    "gcs": naming.GCS,
    "gs": naming.GCS,
    "hdfs": naming.HDFS,
    "hive": naming.Hive,
    "kafka": naming.Kafka,
    "file": naming.LocalFileSystem,
    "local": naming.LocalFileSystem,
    "remotefile": naming.RemoteFileSystem,
    "s3": naming.S3,
    "wasbs": naming.WASBS,
    "pubsub": naming.PubSubNaming,
}


def _spec_naming(kind: str, parts: Mapping[str, Any]) -> tuple[str, str]:
    """The naming spec for platforms the client has no class for."""
    host, port = parts.get("host"), parts.get("port")
    table = parts.get("table")
    if kind == "sqlserver":  # sqlserver://{host}:{port}, {database}.{schema}.{table}
        return f"sqlserver://{host}:{port or 1433}", ".".join(
            str(parts[k]) for k in ("database", "schema", "table") if parts.get(k)
        )
    if kind == "spanner":  # spanner://{projectId}:{instanceId}, {database}.{schema}.{table}
        return f"spanner://{parts['project_id']}:{parts['instance_id']}", ".".join(
            str(parts[k]) for k in ("database", "schema", "table") if parts.get(k)
        )
    if kind in ("sqlite", "duckdb") and str(parts.get("path") or "").strip() and table:
        # embedded databases: the database file is the "server"
        return f"{kind}://{os.path.abspath(os.path.expanduser(str(parts['path'])))}", ".".join(
            str(parts[k]) for k in ("schema", "table") if parts.get(k)
        )
    if host and table:  # {scheme}://{host}:{port}, {database}.{schema}.{table}
        authority = f"{host}:{port}" if port else str(host)
        return f"{kind}://{authority}", ".".join(
            str(parts[k]) for k in ("database", "schema", "table") if parts.get(k)
        )
    raise ValueError(
        f"no naming rule for {kind!r} with {sorted(parts)}: give host (and port) and table,"
        " or use namespace/name directly"
    )


def dataset_name_for(kind: str, **parts: Any) -> tuple[str, str]:
    """The OpenLineage ``(namespace, name)`` of a dataset on a platform.

    Uses ``openlineage.client.naming`` where the client has a class for the platform
    (``postgres``, ``mysql``, ``bigquery``, ``snowflake``, ``file``, ``s3``, ``gcs``,
    ``kafka`` …; the keyword parts are that class's fields, e.g. ``host``, ``port``,
    ``database``, ``schema``, ``table``), and the OpenLineage naming spec otherwise
    (``sqlserver``, ``spanner``, ``sqlite``/``duckdb`` by file path, any
    ``scheme`` with ``host``/``port``/``table``).

    A local file (``kind="file"``, ``path=...``) is named by its absolute path in
    namespace ``file``.

    Raises:
        ValueError: the parts do not fit the platform's naming rule.
    """
    key = kind.lower().replace("_", "").replace("-", "")
    cls = _CLIENT_NAMING.get(key)
    if cls is None:
        return _spec_naming(kind.lower(), parts)
    values = {k: (str(v) if isinstance(v, (int, os.PathLike)) else v) for k, v in parts.items()}
    if cls is naming.LocalFileSystem and str(values.get("path") or "").strip():
        values["path"] = os.path.abspath(os.path.expanduser(str(values["path"])))
    try:
        spec = cls(**values)
    except TypeError as exc:
        wanted = [a.name for a in attr.fields(cls)]
        raise ValueError(f"{kind} dataset naming needs {wanted}, got {sorted(parts)}") from exc
    return spec.get_namespace(), spec.get_name()
