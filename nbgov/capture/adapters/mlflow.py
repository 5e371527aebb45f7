"""MLflow: the run active while a model is fitted or saved, and nbgov's lineage attached to it.

The one module that touches MLflow (``pip install nbgov[mlflow]``, which installs
``mlflow-skinny``; the full ``mlflow`` works the same). It never imports MLflow: it looks
for it in ``sys.modules``, so a notebook that does not use MLflow pays nothing.

- :func:`active_run` — called by the model hooks (:mod:`nbgov.capture.adapters.models`
  and the XGBoost / LightGBM adapters) while they record a fit or a saved model: the
  MLflow run active at that moment (``with mlflow.start_run(): model.fit(…)`` ends the
  run before the cell does, so it is read at the call, not after the cell).
- :func:`attach` — called by the notebook face once the cell's events are built: sets
  tags on that run (``nbgov.run_id``, ``nbgov.job``, ``nbgov.models``, ``nbgov.inputs``)
  and logs the cell's OpenLineage events as a JSON artifact
  (``nbgov/<cell job>-<run id>.json``). It works on a run that has already ended.

The tracking URI recorded in the model's facets has any user name, password and query
removed (:meth:`MlflowRun.to_facet`); the full URI stays in memory, for :func:`attach`.
Failures are the caller's to guard: the notebook face runs :func:`attach` inside its
guard (stage ``mlflow``), so a tracking server that is down costs a one-line notice, not
the cell.

There is nothing to patch (``patches()`` is empty, so the module is not in
:data:`~nbgov.capture.adapters.ADAPTERS`): MLflow's autologging wraps ``fit`` itself, and
the model hooks look through MLflow's frames to find the user's call.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from nbgov.capture import access as _access

__all__ = ["MODULE", "TAG_MAX", "MlflowRun", "active_run", "artifact_name", "attach", "patches", "redact_uri"]

MODULE = "mlflow"

#: tag values are cut to this many characters (MLflow's limit is 8000; older servers 5000)
TAG_MAX = 5000


def redact_uri(uri: str) -> str:
    """A tracking URI without user name, password, query or fragment (``https://tok@host/x?token=…``
    → ``https://host/x``); paths (``sqlite:////abs/mlflow.db``) and ``databricks://profile`` are kept."""
    if "://" not in uri:
        return uri
    scheme, rest = uri.split("://", 1)
    rest = rest.split("#", 1)[0].split("?", 1)[0]
    authority, sep, path = rest.partition("/")
    return f"{scheme}://{authority.rsplit('@', 1)[-1]}{sep}{path}"


@dataclass(frozen=True)
class MlflowRun:
    """An MLflow run seen by a hook.

    Attributes:
        run_id, experiment_id: the run's ids.
        tracking_uri: the tracking URI as MLflow resolved it (may hold credentials; in
            memory only, never stored or shown: see :meth:`to_facet`).
    """

    run_id: str
    experiment_id: str | None
    tracking_uri: str = field(repr=False)

    def to_facet(self) -> dict[str, Any]:
        """``{"runId", "experimentId", "trackingUri"}`` with the URI redacted."""
        return {"runId": self.run_id, "experimentId": self.experiment_id,
                "trackingUri": redact_uri(self.tracking_uri)}


def active_run() -> MlflowRun | None:
    """The MLflow run active in this thread, or None (also when MLflow is not imported).

    Raises:
        Exception: whatever MLflow raises (callers guard).
    """
    mlflow = sys.modules.get("mlflow")
    if mlflow is None or not callable(getattr(mlflow, "active_run", None)):
        return None
    with _access.calling():
        run = mlflow.active_run()
        if run is None:
            return None
        info = run.info
        return MlflowRun(str(info.run_id), None if info.experiment_id is None else str(info.experiment_id),
                         str(mlflow.get_tracking_uri()))


def artifact_name(job_name: str, run_id: str) -> str:
    """``nbgov/<job name with unsafe characters as _>-<run id>.json``."""
    safe = re.sub(r"[^A-Za-z0-9._-]+", "_", job_name).strip("_") or "cell"
    return f"nbgov/{safe}-{run_id}.json"


def attach(run: MlflowRun, events: Sequence[Mapping[str, Any]], *, tags: Mapping[str, str], artifact: str) -> None:
    """Tag the MLflow run and log ``events`` as the JSON artifact ``artifact``.

    Raises:
        Exception: whatever MLflow raises (the tracking store is unreachable …).
    """
    from mlflow.entities import RunTag
    from mlflow.tracking import MlflowClient

    with _access.calling():  # MLflow's own file and database work is not the cell's lineage
        client = MlflowClient(tracking_uri=run.tracking_uri)
        client.log_batch(run.run_id, tags=[RunTag(k, v if len(v) <= TAG_MAX else v[: TAG_MAX - 1] + "…")
                                           for k, v in tags.items()])
        client.log_text(run.run_id, json.dumps(list(events), indent=1, ensure_ascii=False), artifact)


def patches() -> list[Any]:
    """Nothing to patch (see the module docs)."""
    return []
