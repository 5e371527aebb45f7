"""Models saved and loaded with skops (scikit-learn's secure format), in a real in-process
shell: the file is linked to the model exactly as a joblib save is."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from nbgov.capture.access import Location
from nbgov.capture.adapters import models
from nbgov.capture.hooks import HookRegistry
from tests.capture.conftest import captured_cell, installed_hooks, run, stored_events
from tests.spec import assert_spec_valid

sio = pytest.importorskip("skops.io")

SETUP = (
    "import pandas as pd\nimport skops.io as sio\n"
    "from sklearn.linear_model import LogisticRegression\n"
    "X = pd.DataFrame({'age': [20., 30, 40, 50, 60, 70], 'owner': [1, 0, 1, 0, 1, 0]})\n"
    "y = pd.Series([0, 0, 0, 1, 1, 1], name='churn')\n"
    "clf = LogisticRegression(C=0.5).fit(X, y)\n"
)


@pytest.fixture
def hooks() -> Iterator[HookRegistry]:
    with installed_hooks(models, "nbgov.capture.adapters.skops", "nbgov.capture.adapters.builtins_open") as registry:
        yield registry


def _tags(a: Any) -> dict[str, str]:
    return {t["key"]: t["value"] for t in a.facets["tags"]["tags"]}


def test_dump_and_load_link_the_file_to_the_model(shell: Any, hooks: HookRegistry, tmp_path: Path) -> None:
    shell.run_cell(SETUP)
    capture, result = captured_cell(shell, "sio.dump(clf, 'clf.skops')")
    assert result.error_in_exec is None
    read, dumped = capture.accesses  # skops' own open() of the zip file is not recorded again
    assert (read.direction, read.location) == ("input", Location.of("model", name="clf"))
    assert (dumped.direction, dumped.via, dumped.location) == ("output", "skops.io.dump",
                                                               Location.file(tmp_path / "clf.skops"))
    assert _tags(dumped)["model"] == "clf" and _tags(dumped)["param.C"] == "0.5"
    assert dumped.facets["datasetType"] == {"datasetType": "MODEL", "subType": "sklearn.LogisticRegression"}
    size = (tmp_path / "clf.skops").stat().st_size
    assert dumped.facets["version"]["datasetVersion"].startswith(f"{size}-")

    capture, result = captured_cell(shell, "trusted = sio.get_untrusted_types(file='clf.skops')\n"
                                      "again = sio.load('clf.skops', trusted=trusted)")
    assert result.error_in_exec is None
    loaded = [a for a in capture.accesses if a.via == "skops.io.load"]
    assert [(a.direction, a.location) for a in loaded] == [("input", Location.file(tmp_path / "clf.skops"))]
    assert _tags(loaded[0])["model"] == "again"

    capture, result = captured_cell(shell, "sio.load('missing.skops')")  # the user's error, unchanged
    assert isinstance(result.error_in_exec, FileNotFoundError) and not capture.accesses


def test_a_notebook_saving_with_skops_has_model_to_file_lineage(shell: Any, tmp_path: Path) -> None:
    run(shell, "%load_ext nbgov")
    run(shell, SETUP)
    run(shell, "sio.dump(clf, 'clf.skops')\nimport joblib\njoblib.dump(clf, 'clf.joblib')")
    run(shell, "%unload_ext nbgov")
    events = stored_events(tmp_path / "lineage.db")
    assert_spec_valid(events)
    (save,) = [e for e in events if e.get("eventType") == "COMPLETE"
               and any(o["name"].endswith("clf.skops") for o in e.get("outputs", []))]
    assert [i["name"].rsplit("/", 1)[-1] for i in save["inputs"]] == ["clf"]  # the model variable read
    assert [o["name"] for o in save["outputs"]] == [str(tmp_path / "clf.skops"), str(tmp_path / "clf.joblib")]


def test_a_model_fitted_and_saved_in_one_cell_is_not_also_its_input(shell: Any, tmp_path: Path) -> None:
    run(shell, "%load_ext nbgov")
    run(shell, SETUP + "sio.dump(clf, 'clf.skops')")
    run(shell, "%unload_ext nbgov")
    events = stored_events(tmp_path / "lineage.db")
    (save,) = [e for e in events if e.get("eventType") == "COMPLETE"
               and any(o["name"].endswith("clf.skops") for o in e.get("outputs", []))]
    assert not [i for i in save["inputs"] if i["namespace"].startswith("model://")]
    assert {o["name"].rsplit("/", 1)[-1] for o in save["outputs"]} >= {"clf", "clf.skops"}
