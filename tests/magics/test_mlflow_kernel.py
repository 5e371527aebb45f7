"""nbgov[mlflow] in a real kernel against a real local tracking store in a temporary folder
(skipped only when MLflow is not installed): a fit and a save inside an MLflow run attach
nbgov's lineage to that run (tags and the cell's events as an artifact) and record the run
in the model's facets; autologged fits are still recorded; a failing tracking store costs a
one-line notice, never the cell."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from typing import Any

import pytest

from tests.governance.test_model_facets import model_facet_errors
from tests.kernels import clean_environment, run_notebook
from tests.spec import assert_spec_valid

mlflow = pytest.importorskip("mlflow")
nbformat = pytest.importorskip("nbformat")
pytest.importorskip("nbclient")
pd = pytest.importorskip("pandas")
pytest.importorskip("sklearn")

NB = "mlflow.ipynb"
FRAMES, MODELS = "dataframe://notebook", "model://notebook"


def tracking_uri(work: Path) -> str:
    """A database store when alembic is there (MLflow's recommended local backend), else a file store."""
    if importlib.util.find_spec("alembic") is not None and importlib.util.find_spec("sqlalchemy") is not None:
        return f"sqlite:///{work / 'mlflow.db'}"
    return (work / "mlruns").as_uri()


CELLS = [
    "%load_ext nbgov",
    ("import joblib, mlflow, pandas as pd\nfrom sklearn.linear_model import LogisticRegression\n"
    "mlflow.set_tracking_uri(TRACKING)\nmlflow.set_experiment('churn')\ntrain = pd.read_csv('train.csv')"),
    ("with mlflow.start_run() as run:\n"
    "    model = LogisticRegression().fit(train[['age', 'amount']], train['churned'])\n"
    "    joblib.dump(model, 'model.joblib')"),
    # MLflow misbehaves when nbgov attaches the lineage (after the cell): the cell still succeeds
    ("from mlflow.tracking import MlflowClient\n_log_batch = MlflowClient.log_batch\n"
    "def _down(*args, **kwargs):\n    raise ConnectionError('tracking server down')\n"
    "MlflowClient.log_batch = _down\n"
    "with mlflow.start_run() as broken:\n"
    "    other = LogisticRegression().fit(train[['age']], train['churned'])\n"
    "'still fine'"),
    "MlflowClient.log_batch = _log_batch",
    ("import mlflow.sklearn\nmlflow.sklearn.autolog(log_models=False, log_datasets=False, silent=True)\n"
    "with mlflow.start_run() as auto:\n"
    "    auto_model = LogisticRegression().fit(train[['amount']], train['churned'])\n"
    "mlflow.sklearn.autolog(disable=True)"),
    "print(json.dumps([run.info.run_id, run.info.experiment_id, broken.info.run_id, auto.info.run_id]))",
    "%nbgov status",
    "%unload_ext nbgov",
]


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Any, list[dict], list[str], str]:
    work = tmp_path_factory.mktemp("mlflow")
    pd.DataFrame({"age": range(30), "amount": [i * 1.5 for i in range(30)],
                  "churned": [i % 2 for i in range(30)]}).to_csv(work / "train.csv", index=False)
    uri = tracking_uri(work)
    cells = [c.replace("TRACKING", repr(uri)).replace("print(json", "import json\nprint(json") for c in CELLS]
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells])
    nbformat.write(nb, work / NB)
    env = clean_environment()
    env = {k: v for k, v in env.items() if not k.startswith("MLFLOW_")}
    env.update({"NBGOV_STORE": str(work / "lineage.db"), "NBGOV_NOTEBOOK": NB, "NBGOV_EMIT": "0",
                "MLFLOW_ALLOW_FILE_STORE": "true", "GIT_PYTHON_REFRESH": "quiet"})
    executed = run_notebook(work / NB, work, env, timeout=300)
    from nbgov.store import open_store

    with open_store(str(work / "lineage.db")) as store:
        events = list(store.events())
    ids = json.loads("".join(o.get("text", "") for o in executed.cells[6].outputs))
    return work, executed, events, ids, uri


def _model(events: list[dict], name: str) -> tuple[dict, dict]:
    for event in events:
        for output in event.get("outputs") or ():
            if (output["namespace"], output["name"]) == (MODELS, f"{NB}/{name}"):
                return event, output
    raise AssertionError(f"no event writes model {name}")


def test_the_cells_run_and_a_failing_tracking_store_is_one_counted_notice(run) -> None:
    _, nb, events, _, _ = run
    assert not [o for c in nb.cells for o in c.outputs if o.output_type == "error"]
    assert "still fine" in "".join(o.get("data", {}).get("text/plain", "") for o in nb.cells[3].outputs)
    notices = [o["text"] for o in nb.cells[3].outputs if o.get("name") == "stderr"]
    assert len(notices) == 1 and "nbgov: mlflow failed (ConnectionError: tracking server down)" in notices[0]
    status = "".join(o.get("text", "") for o in nb.cells[7].outputs)
    assert "suppressed internal errors: mlflow: 1" in status
    assert_spec_valid(events)


def test_the_model_records_its_mlflow_run(run) -> None:
    _, _, events, (run_id, experiment_id, broken_id, _), uri = run
    _, output = _model(events, "model")
    model = output["facets"]["nbgov_model"]
    assert model_facet_errors(model) == []
    assert model["mlflow"] == {"runId": run_id, "experimentId": experiment_id, "trackingUri": uri}
    assert _model(events, "other")[1]["facets"]["nbgov_model"]["mlflow"]["runId"] == broken_id


def test_the_mlflow_run_carries_nbgov_lineage(run) -> None:
    from mlflow.tracking import MlflowClient

    work, _, events, (run_id, _, broken_id, _), uri = run
    event, _ = _model(events, "model")
    client = MlflowClient(tracking_uri=uri)
    tags = client.get_run(run_id).data.tags
    assert tags["nbgov.run_id"] == event["run"]["runId"]
    assert tags["nbgov.job"] == f"{event['job']['namespace']}:{event['job']['name']}"
    assert f"dataset:{FRAMES}:{NB}/train" in tags["nbgov.inputs"].split(", ")
    assert set(tags["nbgov.models"].split(", ")) == {f"dataset:{MODELS}:{NB}/model",
                                                     f"dataset:file:{work / 'model.joblib'}"}
    (artifact,) = [f.path for f in client.list_artifacts(run_id, "nbgov")]
    assert artifact.endswith(f"-{event['run']['runId']}.json")
    logged = json.loads(Path(client.download_artifacts(run_id, artifact, str(work))).read_text("utf-8"))
    assert_spec_valid(logged)
    stored = [e for e in events if (e.get("run") or {}).get("runId") == event["run"]["runId"]]
    assert [e for e in logged if (e.get("run") or {}).get("runId") == event["run"]["runId"]] == stored
    assert "nbgov.run_id" not in client.get_run(broken_id).data.tags  # its attach failed, reported


def test_autologged_fits_are_recorded(run) -> None:
    from mlflow.tracking import MlflowClient

    _, _, events, (_, _, _, auto_id), uri = run
    _, output = _model(events, "auto_model")
    model = output["facets"]["nbgov_model"]
    assert model["features"] == ["amount"] and model["mlflow"]["runId"] == auto_id
    assert MlflowClient(tracking_uri=uri).get_run(auto_id).data.tags["nbgov.models"] == (
        f"dataset:{MODELS}:{NB}/auto_model")
