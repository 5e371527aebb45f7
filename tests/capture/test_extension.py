"""%load_ext nbgov in a real in-process InteractiveShell: lifecycle, runs, magics."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from IPython.core.error import UsageError

from nbgov import magics
from tests.capture.conftest import cell_runs, run, stored_events
from tests.spec import assert_spec_valid


def _callbacks(shell: Any) -> dict[str, int]:
    return {e: len(shell.events.callbacks[e]) for e in ("pre_run_cell", "post_run_cell")}


def test_load_unload_is_symmetric_and_idempotent(shell: Any, tmp_path: Path) -> None:
    original_read_csv = pd.read_csv
    before = _callbacks(shell)
    ours = lambda: sum(type(c).__name__ == "Nbgov" for c in shell.configurables)
    run(shell, "%load_ext nbgov")
    magics.load_ipython_extension(shell)  # a second load registers nothing more
    assert _callbacks(shell) == {k: v + 1 for k, v in before.items()}
    assert "nbgov" in shell.magics_manager.magics["line"]
    assert "lineage" in shell.magics_manager.magics["cell"]
    assert ours() == 1
    assert pd.read_csv is not original_read_csv and pd.read_csv.__nbgov_original__ is original_read_csv
    run(shell, "%unload_ext nbgov")
    assert _callbacks(shell) == before
    assert "nbgov" not in shell.magics_manager.magics["line"]
    assert "lineage" not in shell.magics_manager.magics["cell"]
    assert ours() == 0
    assert pd.read_csv is original_read_csv and "to_csv" not in pd.DataFrame.__dict__
    run(shell, "%reload_ext nbgov")
    assert _callbacks(shell) == {k: v + 1 for k, v in before.items()}
    magics.unload_ipython_extension(shell)
    magics.unload_ipython_extension(shell)  # a second unload does nothing
    assert _callbacks(shell) == before
    events = stored_events(tmp_path / "lineage.db")
    assert [(e["eventType"], e["job"]["name"]) for e in events] == [
        ("START", "test.ipynb"), ("COMPLETE", "test.ipynb"), ("START", "test.ipynb"), ("COMPLETE", "test.ipynb")]
    assert {e["job"]["facets"]["jobType"]["jobType"] for e in events} == {"NOTEBOOK"}
    assert_spec_valid(events)


def test_kill_switch(shell: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    monkeypatch.setenv("NBGOV_DISABLED", "1")
    monkeypatch.setattr(magics, "_disabled_said", False)
    before = _callbacks(shell)
    run(shell, "%load_ext nbgov")
    run(shell, "%reload_ext nbgov")
    assert capsys.readouterr().out.count("nbgov is disabled") == 1
    assert _callbacks(shell) == before and magics.extension_for(shell) is None
    assert not (tmp_path / "lineage.db").exists()


def test_pandas_cell_is_file_to_cell_to_file(shell: Any, tmp_path: Path) -> None:
    pd.DataFrame({"k": ["a", "b", "a"], "v": [1, 2, 3]}).to_csv(tmp_path / "in.csv", index=False)
    run(shell, "%load_ext nbgov")
    run(shell, "import pandas as pd")  # touches no data: no run
    result = run(shell, "df = pd.read_csv('in.csv')\nout = df.groupby('k', as_index=False).sum()\n"
                        "out.to_parquet('out.parquet')\nlen(out)")
    assert result.result == 2 and result.error_in_exec is None
    run(shell, "%unload_ext nbgov")
    events = stored_events(tmp_path / "lineage.db")
    assert_spec_valid(events)
    runs = cell_runs(events)
    assert len(runs) == 1
    (job, (start, complete)), = runs.items()
    assert job.startswith("test.ipynb/cell-") and start["eventType"] == "START" and complete["eventType"] == "COMPLETE"
    assert start["run"]["runId"] == complete["run"]["runId"] and start["eventTime"] <= complete["eventTime"]
    session = events[0]
    parent = complete["run"]["facets"]["parent"]
    assert parent["run"]["runId"] == session["run"]["runId"] and parent["job"]["name"] == "test.ipynb"
    assert parent["root"]["run"]["runId"] == session["run"]["runId"]
    job_facets = complete["job"]["facets"]
    assert job_facets["jobType"]["integration"] == "JUPYTER" and job_facets["jobType"]["processingType"] == "BATCH"
    assert job_facets["sourceCode"]["sourceCode"].startswith("df = pd.read_csv")
    assert job_facets["sourceCodeLocation"]["path"] == "test.ipynb"
    files = {(d["namespace"], d["name"]) for d in complete["inputs"] + complete["outputs"]
             if d["namespace"] == "file"}
    assert files == {("file", str(tmp_path / "in.csv")), ("file", str(tmp_path / "out.parquet"))}
    (csv,) = [d for d in complete["inputs"] if d["namespace"] == "file"]
    assert [f["name"] for f in csv["facets"]["schema"]["fields"]] == ["k", "v"]
    assert csv["facets"]["version"]["datasetVersion"].startswith(f"{(tmp_path / 'in.csv').stat().st_size}-")
    (parquet,) = [d for d in complete["outputs"] if d["namespace"] == "file"]
    assert [f["name"] for f in parquet["facets"]["schema"]["fields"]] == ["k", "v"]
    try:
        import nbgov.capture.profile  # noqa: F401
    except ImportError:
        return
    assert csv["inputFacets"]["dataQualityMetrics"]["rowCount"] == 3
    assert csv["inputFacets"]["dataQualityMetrics"]["columnMetrics"]["v"]["max"] == 3
    assert parquet["outputFacets"]["outputStatistics"]["rowCount"] == 2

    from nbgov.store import open_store

    with open_store(str(tmp_path / "lineage.db")) as store:
        graph = store.lineage(f"dataset:file:{tmp_path / 'out.parquet'}")
    ids = {node["id"] for node in graph["graph"]}
    assert {f"dataset:file:{tmp_path / 'in.csv'}", f"job:notebook:{job}"} <= ids


def test_empty_cells_and_configuration(shell: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NBGOV_NAMESPACE", "analytics")
    run(shell, "%load_ext nbgov")
    ext = magics.extension_for(shell)
    assert ext.namespace == "analytics" and ext.store == str(tmp_path / "lineage.db")
    run(shell, "x = 1")
    run(shell, "%config Nbgov.capture_empty_cells = True")
    run(shell, "y = 2")
    run(shell, "%nbgov off")
    run(shell, "z = 3")
    run(shell, "%nbgov on")
    run(shell, "%config Nbgov.namespace = 'other'")
    run(shell, "w = 4")
    run(shell, "%unload_ext nbgov")
    events = stored_events(tmp_path / "lineage.db")
    sources = [(e["job"]["namespace"], e["job"]["facets"]["sourceCode"]["sourceCode"])
               for e in events if e["eventType"] == "COMPLETE" and "sourceCode" in e["job"]["facets"]]
    assert ("analytics", "y = 2") in sources and ("other", "w = 4") in sources
    assert not any(code in ("x = 1", "z = 3") for _, code in sources)
    assert_spec_valid(events)


def test_profile_bounds_come_from_the_sample_above_exact_max_cells(
        shell: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A frame above ``profile_exact_max_cells`` gets the sample's bounds; below it (or after
    ``%config`` raises it) the whole column's, in the stored events."""
    import numpy as np

    from nbgov.capture.profile import EXACT_CELLS, sample_positions

    monkeypatch.setenv("NBGOV_PROFILE_MAX_ROWS", "1000")
    monkeypatch.setenv("NBGOV_PROFILE_EXACT_MAX_CELLS", "50000")
    n = 40_000
    values = np.arange(n, dtype=np.int64) * 3
    outlier = next(i for i in range(n) if i not in set(sample_positions(n, 1000)))
    values[outlier] = -7  # not among the sampled rows
    pd.DataFrame({"a": values, "b": values * 0.5}).to_csv(tmp_path / "big.csv", index=False)
    run(shell, "%load_ext nbgov")
    ext = magics.extension_for(shell)
    assert (ext.profile_max_rows, ext.profile_exact_max_cells) == (1000, 50_000)
    run(shell, "import pandas as pd")
    run(shell, "big = pd.read_csv('big.csv')")  # 80,000 cells > 50,000: bounds from the sample
    run(shell, "%config Nbgov.profile_exact_max_cells = 100000")
    run(shell, "again = pd.read_csv('big.csv')")  # 80,000 <= 100,000: exact
    run(shell, "%unload_ext nbgov")
    events = stored_events(tmp_path / "lineage.db")
    assert_spec_valid(events)
    bounds = []
    for event in events:
        for ds in event.get("inputs") or []:
            if ds["name"].endswith("big.csv") and event["eventType"] == "COMPLETE":
                a = ds["inputFacets"]["dataQualityMetrics"]["columnMetrics"]["a"]
                bounds.append((a["min"], a["max"], a["nullCount"]))
    sampled = values[sample_positions(n, 1000)]
    assert bounds == [(int(sampled.min()), int(sampled.max()), 0), (-7, (n - 1) * 3, 0)]
    assert int(sampled.min()) != -7 and EXACT_CELLS >= 1_000_000  # a 250,000-row, 4-column frame stays exact by default


def test_nbgov_magic(shell: Any, capsys) -> None:
    run(shell, "%load_ext nbgov")
    capsys.readouterr()
    run(shell, "%nbgov status")
    out = capsys.readouterr().out
    assert "runs captured: 0" in out and "outbox pending: 1" in out and "suppressed internal errors: none" in out
    run(shell, "%nbgov config")
    out = capsys.readouterr().out
    assert "Nbgov.capture_empty_cells = False" in out and "Nbgov.namespace = 'notebook'" in out
    with pytest.raises(UsageError, match="usage: %nbgov status"):
        shell.run_line_magic("nbgov", "explode")


def test_lineage_magic(shell: Any, tmp_path: Path, capsys) -> None:
    run(shell, "%load_ext nbgov")
    plain = run(shell, "a = 20\na + 22")
    out_plain = capsys.readouterr().out
    result = run(shell, "%%lineage --name scoring --owner team:risk --owner user:ana --description 'Scores'"
                        " --input https://example.com/raw.csv --output s3://bucket/scores.parquet --tag pii"
                        " --tag tier=gold\nb = 20\nb + 22")
    assert result.result == plain.result == 42 and result.error_in_exec is None
    assert capsys.readouterr().out == out_plain  # the same "Out[..]: 42" display
    assert shell.user_ns["b"] == 20
    quiet = run(shell, "%%lineage --name quiet\n1 + 1;")
    assert quiet.result is None and capsys.readouterr().out == ""
    failed = run(shell, "%%lineage --name failing\nc = 1\nraise ValueError('bad input')")
    assert isinstance(failed.error_in_exec, ValueError) and str(failed.error_in_exec) == "bad input"
    for bad in ("--nonsense", "--owner", "--name ''", "--input ''"):
        with pytest.raises(UsageError, match=r"%%lineage \[--name NAME\]"):
            shell.run_cell_magic("lineage", bad, "1")
    run(shell, "%unload_ext nbgov")
    events = stored_events(tmp_path / "lineage.db")
    assert_spec_valid(events)
    runs = cell_runs(events)
    assert set(runs) == {"scoring", "quiet", "failing"}
    scoring = runs["scoring"][-1]
    facets = scoring["job"]["facets"]
    assert [(o["name"], o.get("type")) for o in facets["ownership"]["owners"]] == [
        ("team:risk", "team"), ("user:ana", "user")]
    assert facets["documentation"]["description"] == "Scores"
    assert [(t["key"], t["value"]) for t in facets["tags"]["tags"]] == [("pii", "true"), ("tier", "gold")]
    assert [(d["namespace"], d["name"]) for d in scoring["inputs"]] == [("https://example.com", "raw.csv")]
    assert [(d["namespace"], d["name"]) for d in scoring["outputs"]] == [("s3://bucket", "scores.parquet")]
    fail = runs["failing"][-1]
    assert fail["eventType"] == "FAIL"
    error = fail["run"]["facets"]["errorMessage"]
    assert error["message"] == "ValueError: bad input" and error["programmingLanguage"] == "PYTHON"
    assert "raise ValueError('bad input')" in error["stackTrace"]
