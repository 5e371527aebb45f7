"""XGBoost and LightGBM in a real kernel (skipped where a library is not installed): the
scikit-learn API classes and the native ``train`` functions with ``DMatrix`` / ``Dataset``
built in an earlier cell are models with their facets and column lineage; ``save_model``
links the file to the model."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.governance.test_model_facets import model_facet_errors
from tests.kernels import clean_environment, run_notebook
from tests.spec import assert_spec_valid

nbformat = pytest.importorskip("nbformat")
pytest.importorskip("nbclient")
pd = pytest.importorskip("pandas")
np = pytest.importorskip("numpy")

NB = "boost.ipynb"
FRAMES, MODELS = "dataframe://notebook", "model://notebook"

LIBRARIES = {
    "xgboost": [
        "import xgboost as xgb",
        ("clf = xgb.XGBClassifier(n_estimators=5, max_depth=2).fit(train[['age', 'amount']], train['churned'])\n"
        "clf.save_model('clf.json')"),
        "dtrain = xgb.DMatrix(train[['age', 'amount']], label=train['churned'])",
        ("bst = xgb.train({'max_depth': 2, 'objective': 'binary:logistic'}, dtrain, num_boost_round=4)\n"
        "bst.save_model('bst.json')"),
    ],
    "lightgbm": [
        "import lightgbm as lgb",
        ("clf = lgb.LGBMClassifier(n_estimators=5, min_child_samples=2, verbose=-1).fit(\n"
        "    train[['age', 'amount']], train['churned'])\nclf.booster_.save_model('clf.txt')"),
        "dtrain = lgb.Dataset(train[['age', 'amount']], label=train['churned'])",
        ("bst = lgb.train({'objective': 'binary', 'verbose': -1, 'min_data_in_leaf': 2}, dtrain, num_boost_round=4)\n"
        "bst.save_model('bst.txt')"),
    ],
}


@pytest.fixture(scope="module", params=sorted(LIBRARIES))
def run(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> tuple[str, Path, Any, list]:
    library = request.param
    pytest.importorskip(library)
    work = tmp_path_factory.mktemp(library)
    rng = np.random.default_rng(5)
    pd.DataFrame({"age": rng.integers(20, 70, 60), "amount": rng.random(60) * 100,
                  "churned": np.arange(60) % 3 == 0}).astype({"churned": int}).to_csv(work / "train.csv", index=False)
    first, *rest = LIBRARIES[library]
    cells = ["%load_ext nbgov", "import pandas as pd\n" + first, "train = pd.read_csv('train.csv')", *rest,
             "%nbgov status", "%unload_ext nbgov"]
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells])
    nbformat.write(nb, work / NB)
    env = clean_environment()
    env.update({"NBGOV_STORE": str(work / "lineage.db"), "NBGOV_NOTEBOOK": NB, "NBGOV_EMIT": "0"})
    executed = run_notebook(work / NB, work, env)
    from nbgov.store import open_store

    with open_store(str(work / "lineage.db")) as store:
        events = list(store.events())
    return library, work, executed, events


def _writes(events: list[dict], namespace: str, name: str) -> tuple[dict, dict]:
    for event in events:
        for output in event.get("outputs") or ():
            if (output["namespace"], output["name"]) == (namespace, name):
                return event, output
    raise AssertionError(f"nothing writes {namespace}:{name}")


def test_the_notebook_runs_clean(run) -> None:
    _, _, nb, events = run
    assert not [o for c in nb.cells for o in c.outputs if o.output_type == "error"]
    assert "suppressed internal errors: none" in "".join(o.get("text", "") for o in nb.cells[-2].outputs)
    assert_spec_valid(events)


def test_the_scikit_learn_api_class_is_a_model_and_its_file_names_it(run) -> None:
    library, work, _, events = run
    _, output = _writes(events, MODELS, f"{NB}/clf")
    assert output["facets"]["datasetType"]["subType"] == {"xgboost": "xgboost.XGBClassifier",
                                                          "lightgbm": "lightgbm.LGBMClassifier"}[library]
    model = output["facets"]["nbgov_model"]
    assert model_facet_errors(model) == []
    assert (model["features"], model["label"], model["trainingRows"]) == (["age", "amount"], "churned", 60)
    assert model["hyperparameters"]["n_estimators"] == "5" and model["classBalance"] == {"0": 40, "1": 20}
    lineage = output["facets"]["columnLineage"]["fields"]
    assert {c: [(r["name"], r["field"]) for r in s["inputFields"]] for c, s in lineage.items()} == {
        c: [(f"{NB}/train", c)] for c in ("age", "amount", "churned")}
    saved = work / {"xgboost": "clf.json", "lightgbm": "clf.txt"}[library]
    _, file = _writes(events, "file", str(saved))
    tags = {t["key"]: t["value"] for t in file["facets"]["tags"]["tags"]}
    assert tags["model"] == "clf" and file["facets"]["datasetType"]["datasetType"] == "MODEL"


def test_the_native_train_function_reads_the_frames_its_data_was_built_from(run) -> None:
    library, work, _, events = run
    event, output = _writes(events, MODELS, f"{NB}/bst")
    assert output["facets"]["datasetType"]["subType"] == f"{library}.Booster"
    # the DMatrix / Dataset was made in the cell before: the frame it came from is read here, with its version
    (train,) = [i for i in event["inputs"] if i["name"] == f"{NB}/train"]
    model = output["facets"]["nbgov_model"]
    assert model_facet_errors(model) == []
    assert model["dataVersions"] == [{"namespace": FRAMES, "name": f"{NB}/train",
                                      "version": train["facets"]["version"]["datasetVersion"]}]
    assert (model["features"], model["label"], model["trainingRows"]) == (["age", "amount"], "churned", 60)
    params = model["hyperparameters"]
    assert params["num_boost_round"] == "4" and params["max_depth" if library == "xgboost" else "objective"]
    assert model["classBalance"] == {"0": 40, "1": 20}
    lineage = output["facets"]["columnLineage"]["fields"]
    assert sorted(lineage) == ["age", "amount", "churned"]
    assert all(s["inputFields"][0]["name"] == f"{NB}/train" for s in lineage.values())
    saved = work / {"xgboost": "bst.json", "lightgbm": "bst.txt"}[library]
    _, file = _writes(events, "file", str(saved))
    assert {t["key"]: t["value"] for t in file["facets"]["tags"]["tags"]}["model"] == "bst"
