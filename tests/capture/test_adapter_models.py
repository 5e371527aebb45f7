"""Fitted models and their files: scikit-learn fits, joblib and pickle, in a real
in-process IPython shell."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import joblib
import pytest
import sklearn.base
from sklearn.linear_model import LogisticRegression

import nbgov
from nbgov.capture.access import CellCapture, Location
from nbgov.capture.adapters import models
from nbgov.capture.hooks import HookRegistry
from tests.capture.conftest import captured_cell, installed_hooks

Cell = Callable[[str], tuple[CellCapture, Any]]

SETUP = (
    "import pandas as pd, joblib, pickle\n"
    "from sklearn.linear_model import LogisticRegression\n"
    "X = pd.DataFrame({'age': [20., 30, 40, 50, 60, 70], 'owner': [1, 0, 1, 0, 1, 0]})\n"
    "y = pd.Series([0, 0, 0, 1, 1, 1], name='churn')\n"
)


@pytest.fixture
def hooks() -> Iterator[HookRegistry]:
    with installed_hooks(models, "nbgov.capture.adapters.builtins_open") as registry:
        yield registry


@pytest.fixture
def cell(shell: Any, hooks: HookRegistry) -> Cell:
    """Runs code as one cell of the real shell with a capture active."""
    return functools.partial(captured_cell, shell)


def _tags(a: Any) -> dict[str, str]:
    return {t["key"]: t["value"] for t in a.facets["tags"]["tags"]}


def test_fit_refit_and_dump(cell: Cell, shell: Any, tmp_path: Path) -> None:
    capture, result = cell(SETUP + "clf = LogisticRegression(C=0.5)\nclf.fit(X, y)\n")
    assert result.error_in_exec is None
    (fit,) = capture.accesses
    assert (fit.direction, fit.via, fit.location) == ("output", "sklearn.LogisticRegression.fit",
                                                      Location.of("model", name="clf"))
    assert fit.fields == (("age", "float64"), ("owner", "int64"))
    assert fit.facets["datasetType"] == {"datasetType": "MODEL", "subType": "sklearn.LogisticRegression"}
    tags = _tags(fit)
    assert tags["estimator"] == "sklearn.linear_model._logistic.LogisticRegression"
    assert (tags["param.C"], tags["param.max_iter"], tags["param.penalty"]) == ("0.5", "100", "deprecated")
    assert {k: v for k, v in tags.items() if not k.startswith("param.")} == {
        "estimator": "sklearn.linear_model._logistic.LogisticRegression", "method": "fit",
        "training.X": "X", "training.y": "y", "training.rows": "6", "training.target": "churn"}
    assert all(t["source"] == "INTEGRATION" for t in fit.facets["tags"]["tags"])
    assert isinstance(fit.obj, models.ModelOutput) and fit.obj.model is shell.user_ns["clf"]
    # X is a frame variable: its columns come from it; y is a Series (not a tracked frame): no source
    assert fit.obj.training == models.TrainingData(
        features=(("age", "float64"), ("owner", "int64")), label=("churn", "int64"), rows=6,
        sources=(("age", ("X",)), ("owner", ("X",))), frames=("X",), classes=(("0", 3), ("1", 3)))
    assert fit.obj.mlflow is None

    capture, _ = cell("clf.set_params(C=2.0)\nclf.fit(X, y)\njoblib.dump(clf, 'clf.joblib')\n"
                      "with open('clf.pkl', 'wb') as f:\n    pickle.dump(clf, f)\n")
    refit, read, dumped, pickled = capture.accesses
    # the save reads the model (model -> cell -> file; the cell's run keeps it only when the
    # model came from an earlier cell, see nbgov.magics.runs.accesses_of)
    assert (read.direction, read.via, read.location) == ("input", "joblib.dump", Location.of("model", name="clf"))
    assert (refit.direction, refit.location, _tags(refit)["param.C"]) == (
        "output", Location.of("model", name="clf"), "2.0")
    assert (dumped.direction, dumped.via, dumped.location) == ("output", "joblib.dump",
                                                               Location.file(tmp_path / "clf.joblib"))
    size = (tmp_path / "clf.joblib").stat().st_size
    assert dumped.facets["version"]["datasetVersion"].startswith(f"{size}-")  # after the write
    assert _tags(dumped)["model"] == "clf" and _tags(dumped)["param.C"] == "2.0"  # the link to the model
    assert dumped.facets["datasetType"] == refit.facets["datasetType"]
    assert dumped.fields == (("age", "unknown"), ("owner", "unknown"))
    assert (pickled.direction, pickled.via, pickled.location) == ("output", "open", Location.file(tmp_path / "clf.pkl"))
    assert "tags" not in pickled.facets  # pickle.dump itself is not hooked: the user's open() is the record

    capture, _ = cell("model = joblib.load('clf.joblib')\nwith open('clf.pkl', 'rb') as f:\n"
                      "    again = pickle.load(f)\n")
    loaded, unpickled = capture.accesses
    assert (loaded.direction, loaded.via, loaded.location) == ("input", "joblib.load",
                                                               Location.file(tmp_path / "clf.joblib"))
    assert _tags(loaded)["model"] == "model" and _tags(loaded)["param.C"] == "2.0"
    assert (unpickled.direction, unpickled.via, unpickled.location) == (
        "input", "open", Location.file(tmp_path / "clf.pkl"))


def test_model_names(cell: Cell) -> None:
    capture, _ = cell(SETUP + "from sklearn.pipeline import make_pipeline\n"
                      "from sklearn.preprocessing import StandardScaler\n"
                      "pipe = make_pipeline(StandardScaler(), LogisticRegression()).fit(X, y)\n"
                      "models = {'a': LogisticRegression()}\nmodels['a'].fit(X.values, y.values)\n"
                      "def train(data, target):\n    local_model = LogisticRegression()\n"
                      "    return local_model.fit(data, target)\n"
                      "trained = train(X, y)\n")
    assert [(a.location.get("name"), a.via) for a in capture.accesses] == [
        ("pipe", "sklearn.Pipeline.fit"),  # the assignment target: only the pipeline, not its steps
        ("LogisticRegression", "sklearn.LogisticRegression.fit"),  # no variable: the class name
        ("local_model", "sklearn.LogisticRegression.fit"),
    ]
    assert capture.accesses[1].fields == (("x0", "float64"), ("x1", "float64"))
    assert {"training.X": "data", "training.y": "target"}.items() <= _tags(capture.accesses[2]).items()


def test_nested_fits_record_the_outermost_only(cell: Cell) -> None:
    capture, result = cell(SETUP + "from sklearn.model_selection import GridSearchCV, cross_val_score\n"
                           "scores = cross_val_score(LogisticRegression(), X, y, cv=2)\n"
                           "search = GridSearchCV(LogisticRegression(), {'C': [0.1, 1.0]}, cv=2).fit(X, y)\n"
                           "from sklearn.preprocessing import StandardScaler\n"
                           "scaled = StandardScaler().fit_transform(X)\n")
    assert result.error_in_exec is None
    assert [(a.location.get("name"), a.via) for a in capture.accesses] == [
        ("search", "sklearn.GridSearchCV.fit"),
        ("StandardScaler", "sklearn.StandardScaler.fit_transform"),
    ]


def test_failing_fit_records_nothing_and_raises_unchanged(cell: Cell) -> None:
    capture, result = cell(SETUP + "bad = LogisticRegression(C=-1)\nbad.fit(X, y)")
    assert type(result.error_in_exec) is sklearn.utils._param_validation.InvalidParameterError
    assert "'C' parameter of LogisticRegression must be a float in the range (0.0, inf]" in str(result.error_in_exec)
    assert capture.accesses == [] and capture.errors == []
    capture, result = cell("LogisticRegression().fit(X, [0, 1])")
    assert type(result.error_in_exec) is ValueError and "inconsistent numbers of samples" in str(result.error_in_exec)
    assert capture.accesses == []


def test_classes_defined_later_and_registered_ones(cell: Cell) -> None:
    capture, _ = cell(
        "from sklearn.base import BaseEstimator\n"
        "class Mean(BaseEstimator):\n    def __init__(self, shift=0):\n        self.shift = shift\n"
        "    def fit(self, X, y=None):\n        self.mean_ = sum(X) / len(X) + self.shift\n        return self\n"
        "m = Mean(shift=1).fit([1, 2, 3])\n"
        "class Plain:\n    def fit(self, X):\n        return self\n"
        "from nbgov.capture.adapters.models import register_estimator\n"
        "register_estimator(Plain)\np = Plain()\np.fit([1])\n"
    )
    assert [(a.location.get("name"), a.via, a.facets["datasetType"]["subType"]) for a in capture.accesses] == [
        ("m", "__main__.Mean.fit", "__main__.Mean"),
        ("p", "__main__.Plain.fit", "__main__.Plain"),
    ]
    assert _tags(capture.accesses[0])["param.shift"] == "1"
    assert [t["key"] for t in capture.accesses[1].facets["tags"]["tags"]] == ["estimator", "method", "training.rows"]
    with pytest.raises(TypeError, match="has no fit method"):
        models.register_estimator(object)


def test_failing_pickle_and_joblib_tracebacks_hold_no_nbgov_frame(cell: Cell) -> None:
    import traceback

    for code, error in [("with open('bad.pkl', 'wb') as f:\n    pickle.dump(lambda: 1, f)", "PicklingError"),
                        ("joblib.load('missing.joblib')", "FileNotFoundError")]:
        capture, result = cell(SETUP + code)
        assert type(result.error_in_exec).__name__ == error
        frames = [f.f_code.co_filename for f, _ in traceback.walk_tb(result.error_in_exec.__traceback__)]
        assert frames[-1] != models.__file__  # joblib's wrapper is hidden (not innermost); pickle is not hooked
        assert not [a for a in capture.accesses if a.via.startswith(("joblib", "pickle"))]


def test_uninstall_restores_every_original() -> None:
    originals = {
        "fit": LogisticRegression.__dict__["fit"],
        "joblib": joblib.dump,
    }
    registry = HookRegistry()
    registry.register(models)
    registry.install_available()
    assert LogisticRegression.__dict__["fit"] is not originals["fit"]
    assert "__init_subclass__" in sklearn.base.BaseEstimator.__dict__
    registry.uninstall()
    assert LogisticRegression.__dict__["fit"] is originals["fit"]
    assert joblib.dump is originals["joblib"]
    assert "__init_subclass__" not in sklearn.base.BaseEstimator.__dict__
    assert not any(hasattr(cls.__dict__.get(m), "__nbgov_original__")
                   for cls in models._subclasses(sklearn.base.BaseEstimator) for m in models.FIT_METHODS)
    assert models._hooked == {}


# ---------------------------------------------------------------- a real kernel
NOTEBOOK = Path(__file__).resolve().parents[1] / "notebooks" / "adapters_sql_models.ipynb"


@pytest.fixture(scope="module")
def executed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Any]:
    nbclient = pytest.importorskip("nbclient")
    nbformat = pytest.importorskip("nbformat")
    import os

    work = tmp_path_factory.mktemp("kernel-sql-models")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NBGOV_", "OPENLINEAGE", "JPY_SESSION"))}
    env.update(NBGOV_STORE=str(work / "lineage.db"), NBGOV_NOTEBOOK="adapters.ipynb")
    nb = nbformat.read(NOTEBOOK, as_version=4)
    old = dict(os.environ)
    os.environ.clear()
    os.environ.update(env)  # the kernel inherits this process's environment
    try:
        client = nbclient.NotebookClient(nb, kernel_name="python3", timeout=120, allow_errors=True,
                                         resources={"metadata": {"path": str(work)}})
        client.execute()
    finally:
        os.environ.clear()
        os.environ.update(old)
    return work, nb


def _text(cell: Any) -> str:
    return "".join(o.get("text", "") or o.get("data", {}).get("text/plain", "") for o in cell.outputs)


def test_kernel_runs_the_notebook_unchanged(executed: tuple[Path, Any]) -> None:
    _work, nb = executed
    assert _text(nb.cells[2]).strip() == "1"  # the model's prediction
    (error,) = [o for o in nb.cells[4].outputs if o.output_type == "error"]
    assert (error.ename, error.evalue) == ("OperationalError", "no such table: nowhere")
    # the user's traceback, nothing of ours: no line names one of nbgov's modules (by its path
    # inside the package, as the kernel may shorten the folder above it; a checkout may be
    # called nbgov too)
    package = Path(nbgov.__file__).parent
    modules = [str(m.relative_to(package.parent)) for m in package.rglob("*.py")]
    assert not [line for line in error.traceback if any(m in line for m in modules)]
    status = _text(nb.cells[5])
    assert "runs captured: 3" in status and "suppressed internal errors: none" in status
    assert not any(o.get("name") == "stderr" for c in nb.cells for o in c.outputs)


def test_kernel_lineage_sqlite_table_to_cell_to_model_file(executed: tuple[Path, Any]) -> None:
    import json
    import subprocess
    import sys

    from tests.capture.conftest import cell_runs, stored_events
    from tests.spec import assert_spec_valid

    work, _ = executed
    events = stored_events(work / "lineage.db")
    assert_spec_valid(events)
    runs = cell_runs(events)
    assert all(evs[-1]["eventType"] == "COMPLETE" for evs in runs.values())
    shop = f"sqlite://{work / 'shop.db'}"
    customers, scores = (shop, "customers"), (shop, "scores")
    model, model_file = ("model://notebook", "adapters.ipynb/model"), ("file", str(work / "model.joblib"))
    datasets = {job: ({(d["namespace"], d["name"]) for d in evs[-1]["inputs"]},
                      {(d["namespace"], d["name"]) for d in evs[-1]["outputs"]}) for job, evs in runs.items()}
    assert sorted(datasets.values(), key=repr) == sorted([
        (set(), {customers}),  # CREATE + INSERT through sqlite3
        ({customers}, {model, model_file}),  # SELECT, fit, joblib.dump
        ({customers}, {scores, ("file", str(work / "notes.txt"))}),  # SQLAlchemy CREATE … AS SELECT, open()
    ], key=repr)
    train = next(job for job, (i, o) in datasets.items() if model in o)
    outputs = {(d["namespace"], d["name"]): d for d in runs[train][-1]["outputs"]}
    facets = outputs[model]["facets"]
    assert facets["datasetType"]["datasetType"] == "MODEL"
    assert facets["datasetType"]["subType"] == "sklearn.LogisticRegression"
    tags = {t["key"]: t["value"] for t in facets["tags"]["tags"]}
    assert (tags["param.C"], tags["training.X"], tags["training.y"], tags["training.rows"]) == (
        "0.5", "features", "target", "6")
    assert [f["name"] for f in outputs[model]["facets"]["schema"]["fields"]] == ["x0", "x1"]
    file_tags = {t["key"]: t["value"] for t in outputs[model_file]["facets"]["tags"]["tags"]}
    assert file_tags["model"] == "model" and file_tags["param.C"] == "0.5"
    assert outputs[model_file]["facets"]["version"]["datasetVersion"].startswith(
        f"{(work / 'model.joblib').stat().st_size}-")
    create = runs[next(job for job, (i, o) in datasets.items() if not i)][-1]["outputs"][0]
    assert create["facets"]["lifecycleStateChange"]["lifecycleStateChange"] == "CREATE"

    cli = [sys.executable, "-m", "nbgov", "lineage", f"dataset:file:{work / 'model.joblib'}",
           "--store", str(work / "lineage.db"), "--format", "json"]
    graph = json.loads(subprocess.run(cli, capture_output=True, text=True, check=True).stdout)
    ids = {n["id"] for n in graph["graph"]}
    assert {f"dataset:{shop}:customers", f"job:notebook:{train}", f"dataset:file:{work / 'model.joblib'}"} <= ids


# ------------------------------------------------------------- training data
def _training(capture: CellCapture) -> models.TrainingData:
    (fit,) = [a for a in capture.accesses if a.location.kind == "model"]
    assert isinstance(fit.obj, models.ModelOutput)
    return fit.obj.training


def test_the_frames_a_fit_was_given_are_found_from_the_call(cell: Cell) -> None:
    cell(SETUP + "train = X.assign(churn=y, signup=pd.date_range('2024-01-01', periods=6, freq='D'))\n"
         "other = pd.DataFrame({'owner': [0] * 6})")
    # an expression over a frame: the frames it names, per column that frame holds
    got = _training(cell("m = LogisticRegression().fit(train[['age', 'owner']], train['churn'])")[0])
    assert got.frames == ("train",)
    assert got.sources == (("age", ("train",)), ("owner", ("train",)), ("churn", ("train",)))
    assert got.label == ("churn", "int64") and got.classes == (("0", 3), ("1", 3))
    assert got.date_ranges == (("train", "signup", "2024-01-01T00:00:00", "2024-01-06T00:00:00"),)
    # keywords, two frames: a column counts for each frame that has it
    got = _training(cell("m = LogisticRegression().fit(X=pd.concat([train[['age']], other], axis=1),\n"
                         "                             y=train.churn)")[0])
    assert got.frames == ("train", "other") and dict(got.sources) == {"age": ("train",), "owner": ("train", "other"),
                                                                        "churn": ("train",)}
    # arrays: no frame, no column names to follow
    got = _training(cell("m = LogisticRegression().fit(train[['age']].to_numpy(), train['churn'].to_numpy())")[0])
    assert got.frames == ("train",) and got.sources == () and got.label is None
    assert got.features == (("x0", "float64"),) and got.classes == (("0", 3), ("1", 3))


def test_a_regressor_has_no_class_balance_and_a_local_variable_is_followed(cell: Cell) -> None:
    cell(SETUP + "from sklearn.linear_model import LinearRegression")
    got = _training(cell("r = LinearRegression().fit(X, y)")[0])
    assert got.classes is None and got.sources == (("age", ("X",)), ("owner", ("X",)))
    got = _training(cell("def train(data, target):\n    return LogisticRegression().fit(data, target)\n"
                         "local = train(X, y)")[0])
    assert got.frames == ("data",) and got.label == ("churn", "int64")


def test_class_counts_of_each_label_container() -> None:
    import numpy as np
    import pandas as pd

    assert models.class_counts(pd.Series(["b", "a", "b", None])) == (("a", 1), ("b", 2), ("nan", 1))
    assert models.class_counts(np.array([1, 0, 1])) == (("0", 1), ("1", 2))
    assert models.class_counts([True, False, True]) == (("False", 1), ("True", 2))
    assert models.class_counts(pd.DataFrame({"y": [1, 1]})) == (("1", 2),)
    assert models.class_counts(pd.Series(np.arange(models.MAX_CLASSES + 1))) is None
    assert models.class_counts(pd.Series([0.5, 1.5]), discrete_only=True) is None
    assert models.class_counts(pd.DataFrame({"a": [1], "b": [2]})) is None


# ------------------------------------------------------------- pickle, read from the code
def test_a_model_pickled_into_a_file_the_cell_opened_is_linked(shell: Any, tmp_path: Path) -> None:
    """pickle.dump is not wrapped (tracebacks stay nbgov-free); the cell's code names what it
    pickled, so the file the open() safety net recorded gets the model's facets and tag, and
    the model is the cell's input — in three spellings, and not for a non-model."""
    from tests.capture.conftest import run, stored_events
    from tests.spec import assert_spec_valid

    run(shell, "%load_ext nbgov")
    run(shell, SETUP + "clf = LogisticRegression(C=0.5).fit(X, y)\nparams = {'a': 1}\nout_path = 'c.pickle'")
    run(shell, "with open('a.pkl', 'wb') as f:\n    pickle.dump(clf, f)")
    run(shell, "from pickle import dump as save\nwith open('b.pkl', 'wb') as fh:\n    save(clf, fh, protocol=4)")
    run(shell, "pickle.dump(clf, open(out_path, 'wb'))")
    run(shell, "with open('params.pkl', 'wb') as f:\n    pickle.dump(params, f)")
    run(shell, "%unload_ext nbgov")
    events = stored_events(tmp_path / "lineage.db")
    assert_spec_valid(events)
    saves = {o["name"].rsplit("/", 1)[-1]: (e, o) for e in events if e.get("eventType") == "COMPLETE"
             for o in e.get("outputs", []) if o["namespace"] == "file"}
    for file in ("a.pkl", "b.pkl", "c.pickle"):
        event, out = saves[file]
        tags = {t["key"]: t["value"] for t in out["facets"]["tags"]["tags"]}
        assert tags["model"] == "clf" and tags["param.C"] == "0.5", file
        assert out["facets"]["datasetType"]["datasetType"] == "MODEL"
        assert [i["name"].rsplit("/", 1)[-1] for i in event["inputs"]] == ["clf"], file
    event, out = saves["params.pkl"]
    assert "datasetType" not in out["facets"] and not event["inputs"]


def test_a_failing_pickle_link_leaves_the_cell_and_its_file_alone(shell: Any, tmp_path: Path, capsys,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.capture.conftest import run, stored_events

    def broken(*args: Any, **kwargs: Any) -> list:
        raise RuntimeError("link failed")

    run(shell, "%load_ext nbgov")
    run(shell, SETUP + "clf = LogisticRegression().fit(X, y)")
    monkeypatch.setattr(models, "pickled_models", broken)
    result = run(shell, "with open('a.pkl', 'wb') as f:\n    pickle.dump(clf, f)\n'done'")
    assert result.success and result.result == "done"
    assert "capture:pickle.dump" in capsys.readouterr().err  # one short notice names the stage
    status = shell.run_cell("get_ipython().find_magic('nbgov').__self__.status()").result
    assert status["errors"] == {"capture:pickle.dump": 1}
    run(shell, "%unload_ext nbgov")
    files = [o["name"] for e in stored_events(tmp_path / "lineage.db") if e.get("eventType") == "COMPLETE"
             for o in e.get("outputs", []) if o["namespace"] == "file"]
    assert files == [str(tmp_path / "a.pkl")]  # recorded by the open() safety net, untagged
