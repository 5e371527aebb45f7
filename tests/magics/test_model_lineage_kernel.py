"""A plain ``fit`` in a real kernel (no ``log_metrics``): the model dataset gets its
``nbgov_model`` facet and column-level edges from the training columns, so PII on a file's
column reaches the model — and its card — through stored lineage."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from tests.governance.test_model_facets import model_facet_errors
from tests.kernels import clean_environment, run_notebook
from tests.spec import assert_spec_valid

nbformat = pytest.importorskip("nbformat")
pytest.importorskip("nbclient")
np = pytest.importorskip("numpy")
pd = pytest.importorskip("pandas")
pytest.importorskip("sklearn")

NB = "fit.ipynb"
FRAMES, MODELS = "dataframe://notebook", "model://notebook"
CELLS = [
    "%load_ext nbgov",
    ("import json\nimport pandas as pd\nimport nbgov\n"
    "from sklearn.linear_model import LogisticRegression\nfrom sklearn.tree import DecisionTreeClassifier"),
    # an export: the written file's email column is tagged PII
    "pd.read_csv('source.csv').to_csv('customers.csv', index=False)",
    # read back; the frame then keeps the email as a length
    "customers = pd.read_csv('customers.csv', parse_dates=['signup', 'date_of_birth'])",
    "customers['email'] = customers['email'].str.len()",
    "model = LogisticRegression(max_iter=500).fit(customers[['email', 'age']], customers['churned'])",
    # straight from a file read in the fit's own cell: no frame variable, the run's input by column name
    ("tree = DecisionTreeClassifier(max_depth=2).fit(pd.read_csv('customers.csv')[['age']],\n"
    "                                               pd.read_csv('customers.csv')['churned'])"),
    "print(json.dumps(nbgov.model_card(model).to_dict()))",
    "%nbgov status",
    "%unload_ext nbgov",
]


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Any, pd.DataFrame]:
    work = tmp_path_factory.mktemp("fit")
    n = 40
    rng = np.random.default_rng(3)
    data = pd.DataFrame({
        "customer_id": range(n), "email": [f"user{i}@example.com" for i in range(n)],
        "date_of_birth": pd.date_range("1950-01-01", periods=n, freq="400D"),
        "signup": pd.date_range("2024-01-01", periods=n, freq="D"),
        "age": rng.integers(20, 70, n), "churned": (np.arange(n) % 4 == 0).astype(int),
    })
    data.to_csv(work / "source.csv", index=False)
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in CELLS])
    nbformat.write(nb, work / NB)
    env = clean_environment()
    env.update({"NBGOV_STORE": str(work / "lineage.db"), "NBGOV_NOTEBOOK": NB, "NBGOV_EMIT": "0"})
    return work, run_notebook(work / NB, work, env), data


def _events(work: Path) -> list[dict]:
    from nbgov.store import open_store

    with open_store(str(work / "lineage.db")) as store:
        return list(store.events())


def _model_output(events: list[dict], name: str) -> tuple[dict, dict]:
    for event in events:
        for output in event.get("outputs") or ():
            if (output["namespace"], output["name"]) == (MODELS, f"{NB}/{name}"):
                return event, output
    raise AssertionError(f"no event writes model {name}")


def test_the_notebook_runs_clean(run) -> None:
    _work, nb, _ = run
    assert not [o for c in nb.cells for o in c.outputs if o.output_type == "error"]
    status = "".join(o.get("text", "") for o in nb.cells[8].outputs)
    assert "suppressed internal errors: none" in status


def test_a_plain_fit_writes_the_model_facet_in_its_own_event(run) -> None:
    work, _, data = run
    events = _events(work)
    assert_spec_valid(events)
    event, output = _model_output(events, "model")
    model = output["facets"]["nbgov_model"]
    assert model_facet_errors(model) == []
    assert model["estimator"] == "sklearn.linear_model._logistic.LogisticRegression"
    assert model["hyperparameters"]["max_iter"] == "500"
    assert (model["trainingRows"], model["features"], model["label"]) == (40, ["email", "age"], "churned")
    assert model["trainingRun"] == event["run"]["runId"]
    (customers,) = [i for i in event["inputs"] if i["name"] == f"{NB}/customers"]
    assert model["dataVersions"] == [{"namespace": FRAMES, "name": f"{NB}/customers",
                                      "version": customers["facets"]["version"]["datasetVersion"]}]
    counts = data["churned"].value_counts()
    assert model["classBalance"] == {"0": int(counts[0]), "1": int(counts[1])}
    assert model["dateRanges"] == [{"namespace": FRAMES, "name": f"{NB}/customers", "column": "signup",
                                    "min": "2024-01-01T00:00:00", "max": "2024-02-09T00:00:00"}]  # no date_of_birth
    assert [(f["name"], f.get("description")) for f in output["facets"]["schema"]["fields"]] == [
        ("email", None), ("age", None), ("churned", "label")]


def test_training_columns_reach_the_model_by_direct_edges(run) -> None:
    work, _, _ = run
    _, output = _model_output(_events(work), "model")
    lineage = output["facets"]["columnLineage"]["fields"]
    assert set(lineage) == {"email", "age", "churned"}
    for column, spec in lineage.items():
        (ref,) = spec["inputFields"]
        assert (ref["namespace"], ref["name"], ref["field"]) == (FRAMES, f"{NB}/customers", column)
        assert [(t["type"], t["subtype"]) for t in ref["transformations"]] == [("DIRECT", "AGGREGATION")]
    _, tree = _model_output(_events(work), "tree")  # no frame variable: the run's file input, by name
    refs = {c: [(r["namespace"], r["name"]) for r in s["inputFields"]]
            for c, s in tree["facets"]["columnLineage"]["fields"].items()}
    assert refs == {"age": [("file", str(work / "customers.csv"))], "churned": [("file", str(work / "customers.csv"))]}


def test_pii_from_the_file_reaches_the_model_through_lineage(run) -> None:
    from nbgov.cli import cli
    from nbgov.governance.tags import effective_tags
    from nbgov.store import open_store

    work, nb, _ = run
    feature = f"datasetField:{MODELS}:{NB}/model:email"
    source = f"datasetField:file:{work / 'customers.csv'}:email"  # tagged when the export wrote it
    with open_store(str(work / "lineage.db")) as store:
        found = {(t.key, t.value, t.origin, t.path) for t in effective_tags(store, feature)}
    path = (source, f"datasetField:{FRAMES}:{NB}/customers:email", feature)
    assert ("pii", "EMAIL_ADDRESS", source, path) in found
    shown = CliRunner().invoke(cli, ["column-lineage", feature, "--store", str(work / "lineage.db"),
                                     "--format", "json"])
    assert shown.exit_code == 0, shown.output
    nodes = {n["id"] for n in json.loads(shown.output)["graph"]}
    assert {feature, source} <= nodes
    card = json.loads("".join(o.get("text", "") for o in nb.cells[7].outputs))
    features = card["data_lineage"]["features"]
    assert features["pii_features"] == ["email"]
    email = features["details"][0]
    assert email["type"] == "int64" and any(t["path"] == list(path) for t in email["tags"])


def test_the_card_lists_versions_rows_date_ranges_and_class_balance(run) -> None:
    work, nb, data = run
    card = json.loads("".join(o.get("text", "") for o in nb.cells[7].outputs))
    up = {u["node"]: u for u in card["data_lineage"]["training_data"]}
    frame = f"dataset:{FRAMES}:{NB}/customers"
    file, source = (f"dataset:file:{work / name}" for name in ("customers.csv", "source.csv"))
    assert list(up) == [frame, file, source]
    assert [up[n]["distance"] for n in up] == [1, 2, 3] and [up[n]["source"] for n in up] == [False, False, True]
    # rows and versions as read at training time: the frame (changed in place after the read) through
    # the run that read the file into it, the file through the export that read the source
    assert [up[n]["rows"] for n in up] == [40, 40, 40] and up[file]["columns"] == 6
    reads = {i["name"]: i["facets"]["version"]["datasetVersion"]  # the versions a run's end event read
             for e in _events(work) if e.get("eventType") in ("COMPLETE", "FAIL")
             for i in e.get("inputs") or () if i["namespace"] == "file"}
    assert (up[file]["version"], up[source]["version"]) == (reads[str(work / "customers.csv")],
                                                            reads[str(work / "source.csv")])
    assert up[frame]["date_ranges"] == [{"column": "signup", "min": "2024-01-01T00:00:00",
                                         "max": "2024-02-09T00:00:00"}]
    label = card["data_lineage"]["labels"]
    counts = data["churned"].value_counts()
    assert label == {"column": "churned", "type": "int64", "source": source,  # the origin of its column lineage
                     "class_balance": {"0": int(counts[0]), "1": int(counts[1])}}


# ------------------------------------------------------------------ in-process
def test_a_failing_model_facet_step_leaves_the_cell_and_its_run_alone(shell, monkeypatch: pytest.MonkeyPatch,
                                                                       capsys: pytest.CaptureFixture) -> None:
    import nbgov.governance.metrics as metrics

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("facet builder broke")

    monkeypatch.setattr(metrics, "fit_facets", broken)
    shell.run_cell("%load_ext nbgov")
    shell.run_cell("import pandas as pd\nfrom sklearn.linear_model import LogisticRegression\n"
                   "df = pd.DataFrame({'a': range(10), 'y': [0, 1] * 5})")
    result = shell.run_cell("m = LogisticRegression().fit(df[['a']], df['y'])\n'trained'")
    assert result.success and result.result == "trained"
    status = shell.run_cell("get_ipython().find_magic('nbgov').__self__.status()").result
    assert status["errors"] == {"model facets": 1}
    assert "nbgov: model facets failed (RuntimeError: facet builder broke)" in capsys.readouterr().err
    from nbgov.store import open_store

    with open_store(None) as store:  # the notebook's store ($NBGOV_STORE)
        model = store.dataset(MODELS, "test.ipynb/m")
    assert "nbgov_model" not in model["facets"] and model["facets"]["datasetType"]["datasetType"] == "MODEL"
