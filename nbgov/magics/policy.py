"""Models and the policy gate in the notebook: the model facets of a fit, detected metrics, the policy check.

:class:`ModelGovernance` is created by the extension. Before a cell's events are stored the
extension calls :meth:`ModelGovernance.amend_events`, which gives each model the cell
fitted (the output whose capture ``obj`` is a
:class:`~nbgov.capture.adapters.models.ModelOutput`), in the cell's own COMPLETE event:

- the ``nbgov_model`` facet (estimator, hyperparameters, training rows, features, label,
  class balance, the training run, the versions and date ranges of the training data,
  the MLflow run) and the label as a schema field described ``label``
  (:func:`nbgov.governance.metrics.fit_facets`);
- a ``columnLineage`` facet: each feature and the label from the datasets of this run
  that the fit's data came from — the frames the capture found in the call, else, by
  column name, the run's inputs holding that column;

and, when an MLflow run was active during a fit or a model save, tags that run and logs
the cell's events to it as an artifact (:func:`nbgov.capture.adapters.mlflow.attach`;
stage ``mlflow`` of the guard: an MLflow failure is a one-line notice, never the cell's).

At the end of its ``post_run_cell``, once the cell's lineage is stored, the extension
calls :meth:`ModelGovernance.after_cell`. After a cell it:

1. stores the ``sklearn.metrics`` results the cell computed on a model's predictions
   (:mod:`nbgov.capture.adapters.sklearn_metrics`) as that model's metrics
   (:func:`nbgov.governance.metrics.log_metrics`, which rewrites ``nbgov_model``);
2. when ``Nbgov.on_violation`` (``NBGOV_ON_VIOLATION``) is ``warn`` or ``raise`` and the
   cell recorded lineage, evaluates the policy (``Nbgov.policy`` / ``NBGOV_POLICY``, else
   the built-in rules) on this notebook's jobs. Violations not reported before in this
   session are shown as a :class:`~nbgov.governance.policy.PolicyViolationWarning`
   (``warn``) or make the cell fail with a short
   :class:`~nbgov.governance.policy.PolicyViolationError` (``raise``: the kernel's reply
   is an error, so papermill, nbclient and ``pytest --nbval`` runs fail). ``ignore``
   (the default) skips the check.

Step 1 runs inside the extension's guard; only step 2 with ``raise`` can fail a cell,
and only because the user asked for it. It also lets ``nbgov.model_card(model)`` and
``nbgov.log_metrics(model, …)`` find a fitted estimator's dataset from the object: the
variable holding it names the ``model`` dataset the capture recorded.
"""

from __future__ import annotations

import logging
import warnings
from typing import TYPE_CHECKING, Any

from nbgov.capture import access as _access
from nbgov.capture.access import Location
from nbgov.magics.naming import dataset_for
from nbgov.model.nodes import NodeId

if TYPE_CHECKING:
    from nbgov.magics.extension import Nbgov

__all__ = ["ON_VIOLATION", "ModelGovernance"]


def _fields(ds: dict[str, Any]) -> list[dict[str, Any]]:
    schema = (ds.get("facets") or {}).get("schema") or {}
    return [f for f in schema.get("fields") or () if isinstance(f, dict)]

log = logging.getLogger(__name__)

#: the choices of ``Nbgov.on_violation``
ON_VIOLATION = ("ignore", "warn", "raise")


class ModelGovernance:
    """The after-cell model and policy steps of one extension (see the module docs)."""

    def __init__(self, ext: Nbgov) -> None:
        self.ext = ext
        self.shell = ext.shell
        self._reported: set[tuple[str, str, str]] = set()
        self._runs_seen = ext.runs_captured
        self._registered = False

    # ------------------------------------------------------------- lifecycle
    def register(self) -> ModelGovernance:
        if self._registered:
            return self
        from nbgov.governance.metrics import register_resolver

        register_resolver(self.resolve, self._store)
        self._registered = True
        return self

    def unregister(self) -> None:
        if not self._registered:
            return
        from nbgov.governance.metrics import unregister_resolver

        self._registered = False
        unregister_resolver(self.resolve)

    def _store(self) -> Any:
        with _access.calling():
            return self.ext._open_store()

    # ------------------------------------------------------------- resolving
    def resolve(self, obj: Any) -> tuple[Any, NodeId] | None:
        """The store and ``dataset:`` id of a fitted model object, by the variables holding it."""
        session = self.ext._session
        if session is None or obj is None:
            return None
        from nbgov.errors import NodeNotFoundError

        store = self._store()
        for var, value in list(self.shell.user_ns.items()):
            if value is not obj or var.startswith("_"):
                continue
            ns, name = dataset_for(Location.of("model", name=var), job_namespace=self.ext.namespace,
                                   notebook=session.notebook)
            node = NodeId.dataset(ns, name)
            try:
                with _access.calling():
                    store.resolve(node)
            except NodeNotFoundError:
                continue
            return store, node
        return None

    # ------------------------------------------------------------- a fit's facets
    def amend_events(self, events: list[dict[str, Any]], accesses: list[Any]) -> list[dict[str, Any]]:
        """Model facets and column lineage of the cell's fits; MLflow (see the module docs).

        Called by the extension inside its guard, before the events are stored."""
        from nbgov.capture.adapters.models import ModelOutput

        made = [a for a in accesses if a.direction == "output" and isinstance(a.obj, ModelOutput)]
        session = self.ext._session
        if not made or not events or session is None:
            return events
        last = events[-1]
        outputs = {(d["namespace"], d["name"]): d for d in last.get("outputs") or ()}
        runs: dict[str, tuple[Any, list[str]]] = {}
        for access in made:
            record = access.obj
            key = dataset_for(access.location, job_namespace=last["job"]["namespace"], notebook=session.notebook)
            output = outputs.get(key)
            if output is None:
                continue
            if record.training is not None:
                with self.ext.guard.running("model facets"):
                    self._fit_facets(last, output, record, session.notebook)
            if record.mlflow is not None:
                runs.setdefault(record.mlflow.run_id, (record.mlflow, []))[1].append(str(NodeId.dataset(*key)))
        for run, models in runs.values():
            with self.ext.guard.running("mlflow"):
                self._attach(run, models, events)
        return events

    def _fit_facets(self, event: dict[str, Any], output: dict[str, Any], record: Any, notebook: str) -> None:
        from nbgov.governance.metrics import fit_facets

        training = record.training
        job_namespace = event["job"]["namespace"]
        present = {(d["namespace"], d["name"]) for d in (*(event.get("inputs") or ()), *(event.get("outputs") or ()))}
        inputs = [d for d in event.get("inputs") or () if not d["namespace"].startswith("model://")]
        columns = [name for name, _ in training.features or ()]
        if training.label is not None and training.label[0] not in columns:
            columns.append(training.label[0])
        sources: dict[str, list[tuple[str, str]]] = {}
        for column in columns:
            found = [key for var in training.sources_of(column)
                     if (key := dataset_for(Location.of("dataframe", name=var), job_namespace=job_namespace,
                                            notebook=notebook)) in present]
            if not found:  # by name: the run's inputs holding such a column
                found = [(d["namespace"], d["name"]) for d in inputs
                         if any(f.get("name") == column for f in _fields(d))]
            if found:
                sources[column] = found
        ranges: dict[tuple[str, str], list[tuple[str, str, str]]] = {}
        for var, column, lo, hi in training.date_ranges:
            key = dataset_for(Location.of("dataframe", name=var), job_namespace=job_namespace, notebook=notebook)
            if key in present:
                ranges.setdefault(key, []).append((column, lo, hi))
        facets = fit_facets(event, output, sources=sources, label=training.label, classes=training.classes,
                            date_ranges=ranges,
                            mlflow=record.mlflow.to_facet() if record.mlflow is not None else None)
        output["facets"] = {**(output.get("facets") or {}), **facets}

    def _attach(self, run: Any, models: list[str], events: list[dict[str, Any]]) -> None:
        from nbgov.capture.adapters.mlflow import artifact_name, attach

        last = events[-1]
        job = last["job"]
        run_id = last["run"]["runId"]
        inputs = sorted({str(NodeId.dataset(d["namespace"], d["name"])) for d in last.get("inputs") or ()})
        tags = {"nbgov.run_id": run_id, "nbgov.job": f"{job['namespace']}:{job['name']}",
                "nbgov.models": ", ".join(dict.fromkeys(models)), "nbgov.inputs": ", ".join(inputs)}
        attach(run, events, tags=tags, artifact=artifact_name(job["name"], run_id))

    # ------------------------------------------------------------- after a cell
    def after_cell(self, result: Any) -> None:
        """Model facets and metrics (guarded), then the policy check (see the module docs).

        Called by the extension at the end of its ``post_run_cell``; never raises."""
        try:
            self._after_cell(result)
        except Exception as exc:  # noqa: BLE001 - IPython would print a traceback
            self.ext.guard.report("policy", exc)

    def _after_cell(self, result: Any) -> None:
        ext = self.ext
        recorded = ext.runs_captured != self._runs_seen
        self._runs_seen = ext.runs_captured
        try:
            from nbgov.capture.adapters.sklearn_metrics import drain

            metrics = drain()
        except Exception as exc:  # noqa: BLE001 - reported; the cell is not affected
            ext.guard.report("metrics", exc)
            metrics = []
        if not ext.enabled or (not recorded and not metrics):
            return
        if metrics:
            with ext.guard.running("metrics"), _access.calling():
                self._record_metrics(metrics)
        mode = (ext.on_violation or "ignore").lower()
        if not recorded or mode == "ignore" or getattr(result, "error_in_exec", None) is not None:
            return
        report = None
        with ext.guard.running("policy"), _access.calling():
            report = self._check()
        if report is None:
            return
        new = [v for v in report.violations if (v.rule, v.node, v.message) not in self._reported]
        self._reported.update((v.rule, v.node, v.message) for v in new)
        if not new:
            return
        from nbgov.governance.policy import PolicyReport, PolicyViolationError, PolicyViolationWarning

        fresh = PolicyReport(tuple(r.__class__(r.rule, r.description, r.enabled, r.checked,
                                               tuple(v for v in r.violations if v in new)) for r in report.results),
                             report.policy, report.notebook)
        message = "\n".join(f"nbgov policy: {v.rule}: {v.node}: {v.message}"
                            + (f"\n  path: {' -> '.join(v.path)}" if v.path else "") for v in new)
        if mode == "raise":
            error = PolicyViolationError(fresh)
            error.args = (f"{fresh.summary()}\n{message}",)
            try:
                result.error_in_exec = error
                self.shell.showtraceback((PolicyViolationError, error, None), exception_only=True)
            except Exception as exc:  # noqa: BLE001 - a result we cannot mark: say so once
                ext.guard.report("policy", exc)
        else:  # located at the cell that broke the policy, not at nbgov's hook
            count = getattr(result, "execution_count", None) or getattr(self.shell, "execution_count", None)
            warnings.warn_explicit(message, PolicyViolationWarning, filename=f"<cell In[{count}]>", lineno=1,
                                   module="nbgov.policy")

    def _record_metrics(self, metrics: list[Any]) -> None:
        from nbgov.governance.metrics import log_metrics

        store = self._store()
        for metric in metrics:
            found = self.resolve(metric.model)
            if found is None:
                continue
            log_metrics(str(found[1]), {metric.name: metric.value}, store=store, source=metric.via,
                        emit=self.ext.emit)

    def _check(self) -> Any:
        from nbgov.governance.policy import check, load_policy

        session = self.ext._session
        if session is None:
            return None
        policy = load_policy(self.ext.policy or None)
        return check(self._store(), policy, notebook=session.notebook)
