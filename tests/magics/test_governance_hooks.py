"""Governance after each captured cell, in a real in-process shell: PII tags on the frames a
cell wrote (one notice when a PII column lands untagged), schema-change notices, ``%pii``,
the traits that turn it off, and a classifier that raises leaving the cell's outcome as is."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest

from nbgov import magics
from nbgov.governance import PiiReport, effective_tags
from nbgov.store import open_store
from tests.capture.conftest import run, stored_events
from tests.spec import assert_spec_valid

EMAILS = ["ana.lima@example.com", "bo.berg@example.org", "cy.ng@example.net", "di.ko@example.com"]
NOTICE = "nbgov: PII in features.parquet: email (EMAIL_ADDRESS, PII) — tagged; see %pii features.parquet"
WRITE = "pd.DataFrame({'email': emails, 'amount': [1, 2, 3, 4]}).to_parquet('features.parquet')"


def _notices(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.startswith("nbgov: ")]


def _tags(db: Path, namespace: str, name: str) -> list[dict[str, Any]]:
    with open_store(str(db)) as store:
        return store.dataset(namespace, name)["facets"].get("tags", {}).get("tags", [])


@pytest.fixture
def nb(shell: Any, capsys) -> Any:
    """The shell with nbgov loaded, pandas imported and ``emails`` defined."""
    shell.user_ns["emails"] = EMAILS
    run(shell, "%load_ext nbgov")
    run(shell, "import pandas as pd")
    capsys.readouterr()
    return shell


def test_a_pii_column_written_is_tagged_once_with_one_notice(nb: Any, tmp_path: Path, capsys) -> None:
    run(nb, WRITE)
    notices = _notices(capsys.readouterr().err)
    assert notices == [NOTICE]
    db, path = tmp_path / "lineage.db", str(tmp_path / "features.parquet")
    assert _tags(db, "file", path) == [
        {"key": "pii", "value": "EMAIL_ADDRESS", "source": "NBGOV_CLASSIFIER", "field": "email"},
        {"key": "policy_tag", "value": "PII", "source": "NBGOV_CLASSIFIER", "field": "email"},
    ]

    run(nb, WRITE)  # the same output again, and from another cell: tagged already, no notice
    run(nb, "pd.read_parquet('features.parquet').to_parquet('features.parquet')")
    assert _notices(capsys.readouterr().err) == []
    run(nb, "%unload_ext nbgov")
    events = stored_events(db)
    assert_spec_valid(events)
    tag_events = [e for e in events if "run" not in e and e.get("dataset", {}).get("name") == path]
    assert len(tag_events) == 3  # each write re-records the classifier's evidence (no run, no version)
    evidence = tag_events[-1]["dataset"]["facets"]["nbgov_pii"]["findings"]
    assert [(f["field"], f["infoType"], f["example"]) for f in evidence] == [
        ("email", "EMAIL_ADDRESS", "a***@e***.com")]
    with sqlite3.connect(db) as con:  # no raw value anywhere in the store, masked examples only
        tables = [t for (t,) in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        text = " ".join(str(row) for t in tables for row in con.execute(f"SELECT * FROM {t}"))
    assert "@example" not in text and "a***@e***.com" in text


def test_a_frame_in_the_namespace_is_tagged_under_its_own_name(nb: Any, tmp_path: Path, capsys) -> None:
    run(nb, "contacts = pd.DataFrame({'email': emails, 'n': range(4)})")
    assert _notices(capsys.readouterr().err) == [
        "nbgov: PII in contacts: email (EMAIL_ADDRESS, PII) — tagged; see %pii contacts"]
    tags = _tags(tmp_path / "lineage.db", "dataframe://notebook", "test.ipynb/contacts")
    assert {(t["key"], t["value"], t["field"]) for t in tags} == {
        ("pii", "EMAIL_ADDRESS", "email"), ("policy_tag", "PII", "email")}


def test_clean_frames_cost_no_store_write(nb: Any, tmp_path: Path, capsys) -> None:
    run(nb, "pd.DataFrame({'sku': ['A-1', 'B-2'], 'qty': [1, 2]}).to_csv('clean.csv', index=False)")
    assert _notices(capsys.readouterr().err) == []
    ext = magics.extension_for(nb)
    assert ext._pii.classified == 1 and ext._pii.classify_seconds > 0
    run(nb, "%unload_ext nbgov")
    events = stored_events(tmp_path / "lineage.db")
    assert [e for e in events if "run" not in e] == []  # no DatasetEvent: nothing to tag
    assert any(o["name"].endswith("clean.csv") for e in events for o in e.get("outputs", []))


@pytest.mark.parametrize("setting", ["%config Nbgov.classify_outputs = False", "%config Nbgov.pii_max_rows = 3",
                                     "env"])
def test_off_or_above_the_row_threshold_nothing_happens(shell: Any, tmp_path: Path, capsys,
                                                        monkeypatch: pytest.MonkeyPatch, setting: str) -> None:
    if setting == "env":
        monkeypatch.setenv("NBGOV_CLASSIFY_OUTPUTS", "0")
    shell.user_ns["emails"] = EMAILS
    run(shell, "%load_ext nbgov")
    run(shell, "import pandas as pd")
    if setting != "env":
        run(shell, setting)
    run(shell, WRITE)  # four rows
    assert _notices(capsys.readouterr().err) == []
    assert magics.extension_for(shell)._pii.classified == 0
    assert _tags(tmp_path / "lineage.db", "file", str(tmp_path / "features.parquet")) == []


def test_schema_changes_between_two_runs_of_a_cell(nb: Any, tmp_path: Path, capsys) -> None:
    cell = "sales = pd.DataFrame(columns)\nsales.to_parquet('sales.parquet')"
    nb.user_ns["columns"] = {"amount": [1, 2], "qty": [3, 4]}
    run(nb, cell)
    assert _notices(capsys.readouterr().err) == []  # a first version: nothing to compare with
    nb.user_ns["columns"] = {"amount": ["1", "2"], "qty": [3, 4]}
    run(nb, cell)
    assert sorted(_notices(capsys.readouterr().err)) == [  # the frame `sales` and the file
        "nbgov: schema change in sales.parquet: amount int64 → str (TYPE_CHANGE, ERROR)",
        "nbgov: schema change in sales: amount int64 → str (TYPE_CHANGE, ERROR)",
    ]
    nb.user_ns["columns"] = {"amount": ["1", "2"], "region": ["n", "s"]}
    run(nb, cell)
    notices = _notices(capsys.readouterr().err)
    assert "nbgov: schema change in sales.parquet: column qty removed (was int64) (SCHEMA_REMOVAL, WARNING)" \
        in notices
    info = [n for n in notices if n.endswith("(INFO)")]
    assert info == ["nbgov: schema change in sales: +region; sales.parquet: +region (INFO)"]  # one line
    run(nb, "%unload_ext nbgov")
    assert_spec_valid(stored_events(tmp_path / "lineage.db"))


def test_pii_magic(nb: Any, tmp_path: Path, capsys) -> None:
    run(nb, "df = pd.DataFrame({'email': emails, 'amount': [1, 2, 3, 4]})\n"
            "df.to_parquet('features.parquet')")
    capsys.readouterr()
    report = run(nb, "%pii df").result
    assert isinstance(report, PiiReport)
    assert [(f.column, f.info_type, f.example) for f in report.findings] == [
        ("email", "EMAIL_ADDRESS", "a***@e***.com")]
    assert "a***@e***.com" in capsys.readouterr().out  # displayed as the cell's result

    stored = run(nb, "%pii features.parquet").result
    node = f"dataset:file:{tmp_path / 'features.parquet'}"
    assert stored.node == node and [f["field"] for f in stored.findings] == ["email"]
    # its own tags, and the same ones inherited from the frame it was written from (df:email
    # -> features.parquet:email is an IDENTITY edge: the very object df was written)
    assert {(t.key, t.value, t.source) for t in stored.tags} == {
        ("pii", "EMAIL_ADDRESS", "NBGOV_CLASSIFIER"), ("policy_tag", "PII", "NBGOV_CLASSIFIER"),
        ("pii", "EMAIL_ADDRESS", "LINEAGE"), ("policy_tag", "PII", "LINEAGE")}
    assert "EMAIL_ADDRESS" in repr(stored) and "&lt;" not in stored._repr_html_()
    assert run(nb, f"%pii {node}").result.node == node
    column = run(nb, f"%pii datasetField:file:{tmp_path / 'features.parquet'}:amount").result
    assert column.findings == () and column.tags == ()

    for line, message in (("%pii nowhere.csv", "neither a DataFrame variable nor a dataset"),
                          ("%pii emails", "emails is a list, not a pandas DataFrame"),
                          ("%pii dataset:file:/no/such.csv", "%pii:")):
        result = run(nb, line)
        assert type(result.error_in_exec).__name__ == "UsageError" and message in str(result.error_in_exec)
    capsys.readouterr()

    run(nb, "%unload_ext nbgov")
    assert "pii" not in nb.magics_manager.magics["line"]
    assert not any(type(c).__name__ == "PiiMagics" for c in nb.configurables)


class Unprintable:
    """A value whose text cannot be read: the classifier fails on it, profiling does not."""

    def __str__(self) -> str:
        raise RuntimeError("no text for you")

    __repr__ = __str__


CELL = "bad = pd.DataFrame({'email': emails, 'x': [Unprintable() for _ in emails]})\nprint(bad.shape)\nlen(bad)"


def test_classifier_raising_leaves_the_cell_alone(shell: Any, tmp_path: Path, capsys) -> None:
    shell.user_ns.update(emails=EMAILS, Unprintable=Unprintable)
    run(shell, "import pandas as pd")
    capsys.readouterr()
    plain = run(shell, CELL)
    plain_out = capsys.readouterr().out
    run(shell, "%load_ext nbgov")
    capsys.readouterr()
    outcomes = []
    for _ in range(2):
        result = run(shell, CELL)
        captured = capsys.readouterr()
        outcomes.append((result.result, result.error_in_exec, captured.out, _notices(captured.err)))
    assert [o[:3] for o in outcomes] == [(plain.result, None, plain_out)] * 2
    assert outcomes[0][3] == [("nbgov: pii failed (RuntimeError: no text for you); the cell ran normally, "
                               "its lineage may be incomplete (see %nbgov status)")]
    assert outcomes[1][3] == []  # once per kind of failure
    run(shell, "%nbgov status")
    status = capsys.readouterr().out
    assert "suppressed internal errors: pii: 2" in status and "runs captured: 2" in status
    with open_store(str(tmp_path / "lineage.db")) as store:  # the run itself is stored
        assert store.dataset("dataframe://notebook", "test.ipynb/bad")
        assert effective_tags(store, "dataset:dataframe://notebook:test.ipynb/bad") == []


def test_numeric_pii_is_still_found_when_bounds_rule_out_the_small_columns(nb: Any, tmp_path: Path,
                                                                           capsys) -> None:
    # 'phone' is int64 with 11 digits: its profiled bounds do not rule it out; 'qty' (small
    # ints), 'score' (floats) and 'flag' (bool) are ruled out by their bounds and dtype.
    run(nb, "pd.DataFrame({'phone': [14155550123, 14155550188, 14155550142, 14155550177],"
            " 'qty': [1, 2, 3, 4], 'score': [0.5, 1.5, 2.5, None], 'flag': [True, False, True, True]})"
            ".to_parquet('calls.parquet')")
    assert _notices(capsys.readouterr().err) == [
        "nbgov: PII in calls.parquet: phone (PHONE_NUMBER, PII) — tagged; see %pii calls.parquet"]


def test_bounds_taken_from_a_sample_never_rule_a_column_out(shell: Any, tmp_path: Path, capsys,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    """Above ``profile_exact_max_cells`` a frame's bounds are its sample's; when the classifier
    looks at other rows than that sample (here: all 5,000), the rows the bounds miss can hold
    card numbers, so they must not rule the column out of classification."""
    import numpy as np

    from nbgov.capture.profile import sample_positions

    monkeypatch.setenv("NBGOV_PROFILE_MAX_ROWS", "1000")
    monkeypatch.setenv("NBGOV_PROFILE_EXACT_MAX_CELLS", "100")
    n = 5000
    cards = np.array([4111111111111111, 5500000000000004, 340000000000009, 4012888888881881] * (n // 4))
    cards[sample_positions(n, 1000)] = 7  # the profile's sample sees small numbers only
    shell.user_ns["cards"] = cards
    run(shell, "%load_ext nbgov")
    run(shell, "import pandas as pd")
    capsys.readouterr()
    run(shell, "pd.DataFrame({'n': cards}).to_parquet('cards.parquet')")
    assert _notices(capsys.readouterr().err) == [
        "nbgov: PII in cards.parquet: n (CREDIT_CARD_NUMBER, PII.Sensitive) — tagged; see %pii cards.parquet"]
    run(shell, "%unload_ext nbgov")
    (written,) = [d for e in stored_events(tmp_path / "lineage.db") for d in e.get("outputs") or ()
                  if d["name"].endswith("cards.parquet")]
    assert written["facets"]["dataQualityMetrics"]["columnMetrics"]["n"]["max"] == 7  # the sample's bounds


def test_bounds_of_the_classifiers_own_sample_still_rule_columns_out(shell: Any, tmp_path: Path, capsys,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """With the default sample size the profile samples exactly the rows the classifier
    classifies, so their bounds may skip a column: planted cards outside those rows are
    seen by neither (the classifier's own report), cards inside them by both."""
    import numpy as np

    from nbgov.capture.profile import sample_positions
    from nbgov.governance import classify_pii
    from nbgov.magics.governance import ROW_SAMPLE, PiiMagics, classify_frame

    monkeypatch.setenv("NBGOV_PROFILE_EXACT_MAX_CELLS", "0")  # bounds from the sample
    n = 3 * ROW_SAMPLE
    inside = np.zeros(n, dtype=bool)
    inside[sample_positions(n, ROW_SAMPLE)] = True
    small = np.arange(n) % 97
    shell.user_ns["hidden"] = np.where(inside, small, 4111111111111111)  # cards only outside the sample
    shell.user_ns["shown"] = np.where(inside, 4111111111111111, small)  # cards only inside it
    calls = []
    real = PiiMagics._classify

    def spy(self, frame, metrics=None, profile=None):
        calls.append(metrics)
        return real(self, frame, metrics, profile)

    monkeypatch.setattr(PiiMagics, "_classify", spy)
    run(shell, "%load_ext nbgov")
    run(shell, "import pandas as pd")
    capsys.readouterr()
    run(shell, "a = pd.DataFrame({'n': hidden})")
    run(shell, "b = pd.DataFrame({'n': shown})")
    notices = _notices(capsys.readouterr().err)
    assert len(notices) == 1 and notices[0].startswith("nbgov: PII in b: n (CREDIT_CARD_NUMBER")
    assert calls[0] is not None and calls[0]["n"]["max"] == 96  # the sample's bounds were used
    frame = shell.user_ns["a"]
    assert classify_frame(frame, calls[0]).findings == classify_pii(frame.iloc[sample_positions(n, ROW_SAMPLE)]).findings == ()


@pytest.mark.parametrize("seed", range(6))
def test_bounds_shortcut_gives_the_classifiers_own_report(seed: int) -> None:
    """The notebook path skips columns by their profiled bounds; its report must be the one
    ``classify_pii`` gives on the same rows (findings, columns, rows)."""
    import numpy as np
    import pandas as pd

    from nbgov.capture.profile import profile_frame
    from nbgov.governance import classify_pii
    from nbgov.magics.governance import _ruled_out, classify_frame

    rng = np.random.default_rng(seed)
    n = 300
    frame = pd.DataFrame({
        "id": rng.integers(0, 10 ** int(rng.integers(2, 10)), n),
        "ssn": [f"{rng.integers(100, 665)}-{rng.integers(10, 99)}-{rng.integers(1000, 9999)}" for _ in range(n)],
        "amount": rng.normal(0, 10 ** int(rng.integers(1, 9)), n),
        "card": rng.choice([4111111111111111, 5500005555555559, 340000000000009], n),
        "ok": rng.random(n) > 0.5,
        "empty": pd.Series([None] * n, dtype="Float64"),
    })
    metrics = profile_frame(frame).quality["columnMetrics"]
    skipped = _ruled_out(frame, [str(c) for c in frame.columns], metrics)
    assert {"ok", "empty"} <= skipped and not {"ssn", "card"} & skipped
    expected = classify_pii(frame)
    got = classify_frame(frame, metrics)
    assert got.findings == expected.findings
    assert got.columns == expected.columns and got.rows == expected.rows


def test_a_frame_with_nothing_to_classify_reports_like_the_classifier() -> None:
    import pandas as pd

    from nbgov.capture.profile import profile_frame
    from nbgov.governance import classify_pii
    from nbgov.magics.governance import classify_frame

    frame = pd.DataFrame({"n": range(50), "x": [0.25] * 50, "ok": [True, False] * 25})
    got = classify_frame(frame, profile_frame(frame).quality["columnMetrics"])
    assert got == classify_pii(frame)


def test_a_frame_version_classified_before_is_not_classified_again(nb: Any, tmp_path: Path, capsys) -> None:
    """Running a cell again on the same data reuses the report of that frame version (the
    tags are recorded as before); a change the profile sees is classified anew."""
    ext = magics.extension_for(nb)
    cell = "contacts = pd.DataFrame({'email': list(emails), 'n': range(4)})"
    run(nb, cell)
    assert (ext._pii.classified, ext._pii.reused) == (1, 0)
    run(nb, cell)  # a new object, the same data: the same version
    assert (ext._pii.classified, ext._pii.reused) == (1, 1)
    run(nb, "contacts = pd.DataFrame({'email': list(emails), 'n': range(4)}).rename(columns={'n': 'k'})")
    run(nb, "contacts = pd.DataFrame({'email': emails[:3] + ['not an address'], 'n': range(4)})")
    assert (ext._pii.classified, ext._pii.reused) == (3, 1)
    assert [n for n in _notices(capsys.readouterr().err) if n.startswith("nbgov: PII")] == [
        "nbgov: PII in contacts: email (EMAIL_ADDRESS, PII) — tagged; see %pii contacts"]
    tags = _tags(tmp_path / "lineage.db", "dataframe://notebook", "test.ipynb/contacts")
    assert {(t["key"], t["value"], t["field"]) for t in tags} == {
        ("pii", "EMAIL_ADDRESS", "email"), ("policy_tag", "PII", "email")}


def test_without_a_profile_every_frame_is_classified(nb: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from nbgov.magics import extension

    ext = magics.extension_for(nb)
    monkeypatch.setattr(extension, "_profiler", lambda *args: None)  # no profiler: no version to key on
    ext._profile = None
    for _ in range(2):
        run(nb, "contacts = pd.DataFrame({'email': list(emails), 'n': range(4)})")
    assert (ext._pii.classified, ext._pii.reused) == (2, 0)


def test_a_cell_profiles_each_frame_once_for_its_events_and_the_pii_step(
        nb: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A frame read from a file is the file's input and a new frame in the namespace; the
    events and the PII step share one profile of it (``runs.per_object``)."""
    from nbgov.magics import extension

    profiled: list[int] = []
    real = extension._profiler

    def counting(*args: Any) -> Any:
        profile = real(*args)
        return lambda obj: profiled.append(id(obj)) or profile(obj)

    monkeypatch.setattr(extension, "_profiler", counting)
    ext = magics.extension_for(nb)
    ext._profile = None
    pd = pytest.importorskip("pandas")
    pd.DataFrame({"email": EMAILS, "n": range(4)}).to_csv(tmp_path / "people.csv", index=False)
    run(nb, "people = pd.read_csv('people.csv')")
    assert len(profiled) == 1 and profiled[0] == id(nb.user_ns["people"])
    assert ext._pii.classified == 1
