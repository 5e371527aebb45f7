"""A fitted model's summary and evaluation metrics, stored as the ``nbgov_model`` dataset facet.

The notebook capture records a fit as an output of kind ``model`` (see
:mod:`nbgov.capture.adapters.models`): ``datasetType`` MODEL, ``tags`` with the estimator,
its hyperparameters (``param.*``) and training data (``training.*``), and the features
(then the label, described ``label``) as the schema. This module condenses that, plus the
training run — the versions of its training inputs at training time — and the metrics
recorded for the model, into one custom facet::

    {"version": 1, "estimator": "sklearn.linear_model._logistic.LogisticRegression",
     "hyperparameters": {"C": "1.0", ...}, "trainingRows": 120, "features": ["age", ...],
     "label": "churned", "trainingRun": "<run id>",
     "dataVersions": [{"namespace": "dataframe://notebook", "name": "nb/train", "version": "..."}],
     "metrics": {"accuracy": 0.91}, "metricsSource": {"accuracy": "sklearn.metrics.accuracy_score"},
     "mlflow": {"runId": "...", "experimentId": "0", "trackingUri": "sqlite:///mlflow.db"}}

A fit writes it on the model output of the cell's own COMPLETE event
(:func:`fit_facets`, with the ``columnLineage`` facet from the training columns to the
model); :func:`log_metrics` and :func:`record_model` rewrite it on a spec-valid
DatasetEvent. Its ``_schemaURL`` is :data:`MODEL_SCHEMA_URL`; the JSON Schema ships as
``nbgov/governance/schemas/NbgovModelDatasetFacet.json``. Metrics belong to one training
run: a refit (a new ``trainingRun``) starts with none.

**Column lineage of a fit.** Each feature column of the training data → the model's field
of the same name, and the label column → the model's label field, both ``DIRECT`` /
``AGGREGATION`` (:data:`FEATURE_TRANSFORMATION`, :data:`LABEL_TRANSFORMATION`): a fitted
model's parameters are computed from the *values* of those columns over all training
rows, as an aggregate is — not merely selected or ordered by them, which is what the
spec's ``INDIRECT`` types (filter, join, group by, sort) describe. So PII tags on a
training column propagate to the model (a model can memorise what it was trained on),
and the impact of a change to a training column reaches the model as a direct
dependency. A masked (hashed) feature propagates nothing, as everywhere.

A model is named by its dataset (``dataset:model://notebook:nb.ipynb/model``, the
``NS:NAME`` form, or a unique name suffix such as ``model``) or, in a kernel where nbgov
is loaded, by the fitted estimator object itself: the notebook face registers a resolver
(:func:`register_resolver`) that finds the variable holding the object.

Example:
    >>> nbgov.log_metrics(model, {"accuracy": 0.91, "f1": 0.88})  # doctest: +SKIP
"""

from __future__ import annotations

import contextlib
import math
import numbers
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from nbgov.capture.access import calling
from nbgov.emit.events import PRODUCER, dataset_event, to_dict
from nbgov.errors import NbgovError, NodeNotFoundError
from nbgov.governance.impact import dataset_kind
from nbgov.model.nodes import NodeId, NodeType

if TYPE_CHECKING:
    from nbgov.store import Store

__all__ = [
    "APPROVAL_FACET",
    "APPROVAL_SCHEMA_URL",
    "FEATURE_TRANSFORMATION",
    "LABEL_DESCRIPTION",
    "LABEL_TRANSFORMATION",
    "MODEL_FACET",
    "MODEL_SCHEMA_URL",
    "MetricsError",
    "ModelNotFoundError",
    "describe_model",
    "find_model",
    "fit_facets",
    "log_metrics",
    "model_store",
    "record_model",
    "register_resolver",
    "training_run",
    "unregister_resolver",
]

#: the custom dataset facet's key
MODEL_FACET = "nbgov_model"
_SCHEMA_FILE = "https://github.com/nbgov/nbgov/blob/main/nbgov/governance/schemas/NbgovModelDatasetFacet.json"
#: its ``_schemaURL``
MODEL_SCHEMA_URL = f"{_SCHEMA_FILE}#/$defs/NbgovModelDatasetFacet"
#: the approval facet's key (written by :func:`nbgov.governance.modelcard.approve`)
APPROVAL_FACET = "nbgov_approval"
#: its ``_schemaURL`` (same schema document)
APPROVAL_SCHEMA_URL = f"{_SCHEMA_FILE}#/$defs/NbgovApprovalDatasetFacet"
#: the ``description`` of the label's field in a model's schema
LABEL_DESCRIPTION = "label"
#: the column-lineage transformation from a training feature column to the model's field
FEATURE_TRANSFORMATION = {"type": "DIRECT", "subtype": "AGGREGATION", "masking": False,
                          "description": "feature: the model's parameters are fitted on its values"}
#: the column-lineage transformation from the label column to the model's label field
LABEL_TRANSFORMATION = {"type": "DIRECT", "subtype": "AGGREGATION", "masking": False,
                        "description": "label: the model's parameters are fitted to predict its values"}

#: ``resolver(obj) -> (store, dataset node id) | None``
Resolver = Callable[[Any], "tuple[Store, NodeId] | None"]
_resolvers: list[Resolver] = []
_stores: dict[Resolver, Callable[[], Store]] = {}


class ModelNotFoundError(NbgovError):
    """No model dataset matches what was asked for (or several do).

    Attributes:
        model: the name or a description of the object asked for.
        candidates: model dataset ids that matched ambiguously (empty when none did).
    """

    def __init__(self, model: str, message: str, candidates: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.model = model
        self.candidates = candidates


class MetricsError(NbgovError):
    """Metrics are not a mapping of names to finite numbers.

    Attributes:
        metric: the offending name (None: the whole argument).
    """

    def __init__(self, message: str, metric: str | None = None) -> None:
        super().__init__(message)
        self.metric = metric


# ------------------------------------------------------------------ resolving
def register_resolver(resolver: Resolver, store: Callable[[], Store] | None = None) -> None:
    """Let objects (fitted estimators) be named by themselves. Called by the notebook face.

    Args:
        resolver: ``resolver(obj) -> (store, dataset id) | None``.
        store: the store names are looked up in when no store is given (the notebook's).
    """
    if resolver not in _resolvers:
        _resolvers.append(resolver)
    if store is not None:
        _stores[resolver] = store


def unregister_resolver(resolver: Resolver) -> None:
    """Undo :func:`register_resolver` (missing: nothing to do)."""
    with contextlib.suppress(ValueError):
        _resolvers.remove(resolver)
    _stores.pop(resolver, None)


def _by_object(obj: Any) -> tuple[Store, NodeId]:
    for resolver in reversed(_resolvers):
        found = resolver(obj)
        if found is not None:
            return found
    what = f"a {type(obj).__name__} object"
    hint = ("no notebook with nbgov loaded knows it (fit it in a cell after %load_ext nbgov)"
            if _resolvers else "name the model's dataset instead, or load nbgov in this kernel")
    raise ModelNotFoundError(what, f"cannot find the model dataset of {what}: {hint}")


def find_model(store: Store, model: str | NodeId) -> NodeId:
    """The ``dataset:`` id of a model named by id, ``NS:NAME`` or a unique name (suffix).

    ``model`` may be ``dataset:NS:NAME``, ``NS:NAME``, a dataset name, or the last part(s)
    of one (``model`` finds ``nb.ipynb/model``). Any dataset named exactly is accepted;
    a partial name only matches datasets of kind model.

    Raises:
        ModelNotFoundError: nothing matches, or a partial name matches several models.
    """
    text = str(model)
    if isinstance(model, NodeId) or text.startswith(("dataset:", "datasetField:", "job:")):
        try:
            _, parsed = store.resolve(model)
        except NodeNotFoundError:
            raise ModelNotFoundError(text, f"no dataset {text} in the store") from None
        if parsed.type is not NodeType.DATASET:
            raise ModelNotFoundError(text, f"{text} is not a dataset")
        return NodeId.dataset(parsed.namespace, parsed.name)
    with contextlib.suppress(NodeNotFoundError, ValueError, NbgovError):
        _, parsed = store.resolve(f"dataset:{text}")
        if parsed.type is NodeType.DATASET:
            return NodeId.dataset(parsed.namespace, parsed.name)
    matches = []
    for ds in store.datasets():
        ns, name = ds["namespace"], ds["name"]
        if dataset_kind(ns, name, ds.get("facets")) != "model":
            continue
        if name == text or name.endswith("/" + text) or f"{ns}:{name}" == text:
            matches.append(NodeId.dataset(ns, name))
    if len(matches) == 1:
        return matches[0]
    if not matches:
        raise ModelNotFoundError(text, f"no model named {text!r} in the store (try `nbgov datasets`)")
    ids = tuple(str(m) for m in matches)
    raise ModelNotFoundError(text, f"{text!r} names {len(ids)} models: {', '.join(ids)}", ids)


@contextlib.contextmanager
def model_store(model: Any, store: Store | None = None) -> Iterator[tuple[Store, NodeId]]:
    """The store to use and the model's ``dataset:`` id, for a name or a fitted object.

    A given ``store`` is used as is; otherwise the notebook's store (for an object), else
    ``open_store()`` ($NBGOV_STORE, default ``.nbgov/lineage.db``), closed afterwards.

    Raises:
        ModelNotFoundError: see :func:`find_model`; or an object no loaded notebook knows.
    """
    if not isinstance(model, (str, NodeId)):
        found_store, node = _by_object(model)
        yield (store or found_store), node
        return
    if store is not None:
        yield store, find_model(store, model)
        return
    for resolver in reversed(_resolvers):
        if resolver in _stores:
            notebook_store = _stores[resolver]()
            yield notebook_store, find_model(notebook_store, model)
            return
    from nbgov.store import open_store

    with calling():  # nbgov's own database work is not the running cell's lineage
        opened = open_store(None)
    try:
        yield opened, find_model(opened, model)
    finally:
        opened.close()


# ------------------------------------------------------------------ describing
def _tags(facets: Mapping[str, Any]) -> dict[str, str]:
    facet = facets.get("tags")
    out: dict[str, str] = {}
    for entry in facet.get("tags") or () if isinstance(facet, Mapping) else ():
        if isinstance(entry, Mapping) and isinstance(entry.get("key"), str) and entry.get("field") is None:
            out[entry["key"]] = str(entry.get("value"))
    return out


def training_run(store: Store, node: NodeId) -> tuple[str | None, str | None, list[dict[str, Any]]]:
    """The run that wrote the model's current version: ``(run_id, ended_at, input versions)``.

    ``input versions`` are ``{"namespace", "name", "version"}`` of the datasets that run read
    (the version it read), sorted. All None/empty for a model no run wrote.
    """
    versions = store.dataset_versions(node.namespace, node.name)
    run_id = versions[0]["createdByRun"] if versions else None
    if not run_id:
        return None, None, []
    try:
        run = store.run(run_id)
    except NodeNotFoundError:
        return run_id, None, []
    job = run["jobId"]
    inputs: list[dict[str, Any]] = []
    for candidate in store.runs(job["namespace"], job["name"], limit=1000):
        if candidate["id"] == run_id:
            inputs = [
                {"namespace": v["datasetVersionId"]["namespace"], "name": v["datasetVersionId"]["name"],
                 "version": v["datasetVersionId"]["version"]}
                for v in candidate.get("inputDatasetVersions") or ()
            ]
            break
    return run_id, run.get("endedAt") or run.get("updatedAt"), sorted(inputs, key=lambda v: (v["namespace"], v["name"]))


def describe_model(store: Store, node: NodeId | str) -> dict[str, Any]:
    """The ``nbgov_model`` payload (without ``_producer``/``_schemaURL``) as the store knows it.

    Metrics stored earlier are kept when they belong to the same training run.

    Raises:
        NodeNotFoundError: the dataset is unknown.
    """
    parsed = node if isinstance(node, NodeId) else store.resolve(node)[1]
    data = store.dataset(parsed.namespace, parsed.name)
    facets = data.get("facets") or {}
    run_id, _ended, inputs = training_run(store, parsed)
    previous = facets.get(MODEL_FACET) if isinstance(facets.get(MODEL_FACET), Mapping) else {}
    same_run = previous.get("trainingRun") == run_id
    payload = _summary(facets, data.get("fields") or (), run_id=run_id, data_versions=inputs)
    if same_run:  # what the fit itself recorded (training inputs, MLflow run) is kept
        for key in ("dataVersions", "label", "classBalance", "dateRanges", "mlflow"):
            if key in previous:
                payload[key] = previous[key]
        payload["metrics"] = dict(previous.get("metrics") or {})
        payload["metricsSource"] = dict(previous.get("metricsSource") or {})
    return payload


def _summary(facets: Mapping[str, Any], fields: Any, *, run_id: str | None,
             data_versions: list[dict[str, Any]]) -> dict[str, Any]:
    """The facet payload from a model dataset's ``tags``/``datasetType`` facets and schema fields."""
    tags = _tags(facets)
    rows = tags.get("training.rows")
    label = tags.get("training.target")
    estimator = tags.get("estimator")
    if estimator is None and isinstance(facets.get("datasetType"), Mapping):
        estimator = facets["datasetType"].get("subType")
    names = [f["name"] for f in fields or () if isinstance(f, Mapping) and "name" in f
             and not (f.get("name") == label and f.get("description") == LABEL_DESCRIPTION)]
    return {
        "version": 1,
        "estimator": estimator,
        "hyperparameters": {k[len("param."):]: v for k, v in sorted(tags.items()) if k.startswith("param.")},
        "trainingRows": int(rows) if rows is not None and rows.isdigit() else None,
        "features": names,
        "label": label,
        "trainingRun": run_id,
        "dataVersions": data_versions,
        "metrics": {},
        "metricsSource": {},
    }


def _schema_fields(ds: Mapping[str, Any]) -> list[dict[str, Any]]:
    schema = (ds.get("facets") or {}).get("schema")
    fields = schema.get("fields") if isinstance(schema, Mapping) else None
    return [f for f in fields or () if isinstance(f, Mapping) and isinstance(f.get("name"), str)]


def _without_pii(
    label: str | None, classes: Sequence[tuple[str, int]] | None,
    date_ranges: Mapping[tuple[str, str], Sequence[tuple[str, str, str]]],
) -> tuple[dict[str, int] | None, list[dict[str, str]]]:
    """Class balance and date ranges, minus what would put raw PII in the store.

    Both are values of single rows (a class name, the earliest birth date), so they are
    classified like a profile's kept categories (:func:`~nbgov.governance.profiles.without_raw_pii`):
    a label whose values are PII loses its class balance, a date column that holds PII
    (dates of birth) its range.
    """
    import pandas as pd

    from nbgov.governance.pii import classify_pii

    values: dict[str, list[Any]] = {}  # by column name: the name is one of the classifier's hints
    if label and classes:
        values.setdefault(label, []).extend(k for k, _ in classes)
    for ranges in date_ranges.values():
        for col, lo, hi in ranges:
            values.setdefault(col, []).extend((lo, hi))
    if not values:
        return None, []
    width = max(len(v) for v in values.values())
    frame = pd.DataFrame({k: v + [None] * (width - len(v)) for k, v in values.items()})
    hit = {f.column for f in classify_pii(frame, min_likelihood="POSSIBLE").findings}
    balance = {k: int(v) for k, v in classes} if label and classes and label not in hit else None
    ranges = [{"namespace": ns, "name": name, "column": col, "min": lo, "max": hi}
              for (ns, name), found in sorted(date_ranges.items()) for col, lo, hi in found if col not in hit]
    return balance, ranges


def fit_facets(
    event: Mapping[str, Any],
    output: Mapping[str, Any],
    *,
    sources: Mapping[str, list[tuple[str, str]]],
    label: tuple[str, str] | None = None,
    classes: Sequence[tuple[str, int]] | None = None,
    date_ranges: Mapping[tuple[str, str], Sequence[tuple[str, str, str]]] | None = None,
    mlflow: Mapping[str, Any] | None = None,
) -> dict[str, dict[str, Any]]:
    """The facets a fit adds to its model output in the cell's event: ``nbgov_model``,
    ``columnLineage`` (when any training column is known) and the ``schema`` with the label.

    Args:
        event: the cell's COMPLETE (or FAIL) run event, JSON-ready.
        output: the model's entry in ``event["outputs"]``.
        sources: per model column (feature or label), the ``(namespace, name)`` of the
            datasets of this event it came from.
        label: the label column and its type, if known.
        classes: the label's class balance ``(value, rows)``, for a classifier.
        date_ranges: per training dataset, ``(column, min, max)`` of its date columns.
        mlflow: the MLflow run active during the fit (``runId``, ``experimentId``,
            ``trackingUri`` already redacted).

    Returns:
        Facet key → facet (with ``_producer`` and ``_schemaURL``).
    """
    from nbgov.emit.events import facet
    from nbgov.model.events import version_id

    run_id = (event.get("run") or {}).get("runId")
    out_facets = dict(output.get("facets") or {})
    fields = _schema_fields(output)
    built: dict[str, dict[str, Any]] = {}
    if label is not None and not any(f["name"] == label[0] for f in fields):
        fields = [*fields, {"name": label[0], "type": label[1], "description": LABEL_DESCRIPTION}]
        schema = dict(out_facets.get("schema") or facet("schema", {}))
        schema["fields"] = fields
        built["schema"] = schema
    feature_names = {f["name"] for f in fields} - ({label[0]} if label else set())
    lineage: dict[str, Any] = {}
    used: dict[tuple[str, str], None] = {}  # the training datasets, for dataVersions
    for column, datasets in sources.items():
        how = LABEL_TRANSFORMATION if label is not None and column == label[0] else FEATURE_TRANSFORMATION
        if how is FEATURE_TRANSFORMATION and column not in feature_names:
            continue
        refs = [{"namespace": ns, "name": name, "field": column, "transformations": [dict(how)]}
                for ns, name in dict.fromkeys(datasets)]
        if refs:
            lineage[column] = {"inputFields": refs}
            used.update(dict.fromkeys(datasets))
    if lineage:
        built["columnLineage"] = facet("columnLineage", {"fields": lineage})
    versions = []
    io = {(d["namespace"], d["name"]): ("output", d) for d in event.get("outputs") or ()}
    io.update({(d["namespace"], d["name"]): ("input", d) for d in event.get("inputs") or ()})  # the version read
    chosen = list(used) or [(d["namespace"], d["name"]) for d in event.get("inputs") or ()]
    for ns, name in sorted(chosen):
        direction, ds = io.get((ns, name), ("input", {}))
        ds_facets = ds.get("facets") or {}
        version = (ds_facets.get("version") or {}).get("datasetVersion")
        if direction == "output" and version is None:  # what the store will call this run's version
            version = version_id(ns, name, run_id, ds_facets)
        versions.append({"namespace": ns, "name": name, "version": version})
    payload = _summary(out_facets, fields, run_id=run_id, data_versions=versions)
    if label is not None:
        payload["label"] = label[0]
    balance, ranges = _without_pii(label[0] if label else None, classes, date_ranges or {})
    if balance is not None:
        payload["classBalance"] = balance
    if ranges:
        payload["dateRanges"] = ranges
    if mlflow:
        payload["mlflow"] = dict(mlflow)
    built[MODEL_FACET] = {"_producer": PRODUCER, "_schemaURL": MODEL_SCHEMA_URL, **payload}
    return built


def _write(store: Store, node: NodeId, payload: Mapping[str, Any], emit: bool) -> dict[str, Any]:
    facet = {"_producer": PRODUCER, "_schemaURL": MODEL_SCHEMA_URL, **payload}
    event = to_dict(dataset_event(node.namespace, node.name, facets={MODEL_FACET: facet}))
    store.add_events([event], emit=emit)
    return facet


def record_model(store: Store, node: NodeId | str, *, emit: bool = True) -> dict[str, Any]:
    """Write the model's ``nbgov_model`` facet from what the store knows (after a fit).

    Returns:
        The facet written.

    Raises:
        NodeNotFoundError: the dataset is unknown.
    """
    parsed = node if isinstance(node, NodeId) else store.resolve(node)[1]
    return _write(store, parsed, describe_model(store, parsed), emit)


def _checked(metrics: Any) -> dict[str, float]:
    if not isinstance(metrics, Mapping) or not metrics:
        raise MetricsError("metrics must be a non-empty mapping of names to numbers, e.g. {'accuracy': 0.9}")
    out: dict[str, float] = {}
    for name, value in metrics.items():
        if not isinstance(name, str) or not name.strip():
            raise MetricsError(f"metric names must be non-empty text, got {name!r}", metric=str(name))
        if isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(float(value)):
            raise MetricsError(f"metric {name!r} must be a finite number, got {value!r}", metric=name)
        out[name.strip()] = float(value)
    return out


def log_metrics(
    model: Any,
    metrics: Mapping[str, float],
    *,
    store: Store | None = None,
    source: str = "USER",
    emit: bool = True,
) -> dict[str, Any]:
    """Record evaluation metrics of a model (merged into those of its current training run).

    Args:
        model: the fitted estimator (in a kernel with nbgov loaded) or the model's dataset
            (``dataset:NS:NAME``, ``NS:NAME`` or a unique name).
        metrics: name → finite number, e.g. ``{"accuracy": 0.91}``.
        store: the lineage store; default the notebook's (for an object) or ``open_store()``.
        source: who computed them (``USER``, or the ``sklearn.metrics`` function).
        emit: also queue the event for the configured OpenLineage backend.

    Returns:
        The ``nbgov_model`` facet as written.

    Raises:
        MetricsError: a name is empty or a value is not a finite number.
        ModelNotFoundError: the model cannot be found.
    """
    checked = _checked(metrics)
    with model_store(model, store) as (db, node):
        payload = describe_model(db, node)
        payload["metrics"].update(checked)
        payload["metricsSource"].update(dict.fromkeys(checked, source))
        return _write(db, node, payload, emit)
