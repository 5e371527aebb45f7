"""Column lineage of pandas cells in an in-process shell: which source the static pass reads
(``%%lineage`` bodies, line magics), edges across cells, spec-valid events, and the guard
(a failing column-lineage step is one counted notice; the cell and its run are unchanged)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from nbgov import magics
from nbgov.capture import columns
from nbgov.magics.runs import python_of
from tests.capture.conftest import run, stored_events
from tests.spec import assert_spec_valid

FRAMES = "dataframe://notebook"


@pytest.mark.parametrize(("source", "python"), [
    ("df2 = df[['a']]", "df2 = df[['a']]"),
    ("%%sql --out x\nSELECT 1", ""),
    ("%%bash\necho hi", ""),
    ("%%lineage --owner team:x\nout = df.copy()\n", "out = df.copy()\n"),
    ("%%time\nout = df.copy()", "out = df.copy()"),
])
def test_the_python_a_cell_runs(source: str, python: str) -> None:
    assert python_of(source) == python


def test_line_magics_become_python() -> None:
    code = python_of("%config SqlMagics.duckdb = 'w.duckdb'\nout = df.assign(x=1)\n!ls")
    assert "out = df.assign(x=1)" in code and "get_ipython()" in code
    assert "out" in columns.analyse(code).frames


def _outputs(events: list[dict], suffix: str) -> dict:
    (out,) = [o for e in events if e.get("eventType") == "COMPLETE" for o in e.get("outputs", [])
              if o["name"].endswith(suffix)]
    return out


def _edges(out: dict) -> dict[str, set[tuple]]:
    facet = out.get("facets", {}).get("columnLineage") or {"fields": {}}
    return {f: {(i["name"].rsplit("/", 1)[-1], i["field"], t["subtype"], t.get("masking"))
                for i in spec["inputFields"] for t in i["transformations"]}
            for f, spec in facet["fields"].items()}


def test_a_pandas_pipeline_across_cells(shell: Any, tmp_path: Path) -> None:
    pd.DataFrame({"id": [1, 2], "email": ["a@x.io", "b@y.io"], "amount": [3.0, 4.0]}).to_csv(
        tmp_path / "in.csv", index=False)
    run(shell, "%load_ext nbgov")
    run(shell, "%config Nbgov.classify_outputs = False")
    run(shell, "import hashlib\nimport pandas as pd\nraw = pd.read_csv('in.csv')")
    result = run(shell, "%%lineage --owner team:data\n"
                        "out = raw[raw.amount > 0].assign(\n"
                        "    domain=raw['email'].str.split('@').str[1],\n"
                        "    email_hash=raw['email'].map(lambda e: hashlib.sha256(e.encode()).hexdigest()),\n"
                        ").drop(columns=['email'])\n"
                        "out.to_parquet('out.parquet')\n"
                        "len(out)")
    assert result.result == 2
    run(shell, "%unload_ext nbgov")
    events = stored_events(tmp_path / "lineage.db")
    assert_spec_valid(events)
    assert _edges(_outputs(events, "/raw")) == {c: {("in.csv", c, "IDENTITY", False)} for c in ("id", "email", "amount")}
    assert _edges(_outputs(events, "/out")) == {
        "id": {("raw", "id", "IDENTITY", False)}, "amount": {("raw", "amount", "IDENTITY", False)},
        "domain": {("raw", "email", "TRANSFORMATION", False)},
        "email_hash": {("raw", "email", "TRANSFORMATION", True)},
    }
    out = _outputs(events, "/out")
    assert [(i["field"], i["transformations"][0]["subtype"]) for i in out["facets"]["columnLineage"]["dataset"]] == [
        ("amount", "FILTER")]
    assert _edges(_outputs(events, "out.parquet")) == {
        c: {("out", c, "IDENTITY", False)} for c in ("id", "amount", "domain", "email_hash")}


def test_sql_outputs_keep_the_sql_lineage(shell: Any, tmp_path: Path) -> None:
    run(shell, "%load_ext nbgov")
    run(shell, "%config Nbgov.classify_outputs = False")
    run(shell, "import pandas as pd\nraw = pd.DataFrame({'id': [1], 'email': ['a@x.io']})")
    run(shell, "%%sql --out picked\nSELECT id, upper(email) AS email FROM raw")
    run(shell, "%unload_ext nbgov")
    events = stored_events(tmp_path / "lineage.db")
    assert_spec_valid(events)
    # the SQL's TRANSFORMATION of email, not a same-name guess
    assert _edges(_outputs(events, "/picked")) == {"id": {("raw", "id", "IDENTITY", False)},
                                                    "email": {("raw", "email", "TRANSFORMATION", False)}}


def _ext(shell: Any) -> Any:
    return magics.extension_for(shell)


def test_a_failing_static_pass_is_a_notice_and_names_still_match(shell: Any, tmp_path: Path, capsys,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    run(shell, "%load_ext nbgov")
    run(shell, "%config Nbgov.classify_outputs = False")
    run(shell, "import pandas as pd\nraw = pd.DataFrame({'id': [1, 2], 'v': [3, 4]})")
    capsys.readouterr()

    def broken(code: str) -> Any:
        raise RuntimeError("static pass broke")

    monkeypatch.setattr(columns, "analyse", broken)
    result = run(shell, "out = raw[['id', 'v']]\nout['v'] = out['v'] * 2\nout.shape")
    result2 = run(shell, "out2 = raw.copy()\nout2.shape")
    err = capsys.readouterr().err
    assert result.result == (2, 2) and result.error_in_exec is None and result2.result == (2, 2)
    assert err.count("nbgov: column lineage failed (RuntimeError: static pass broke)") == 1  # once per kind
    assert _ext(shell).guard.counts["column lineage"] == 2
    run(shell, "%unload_ext nbgov")
    events = stored_events(tmp_path / "lineage.db")
    assert_spec_valid(events)
    # without the code, the names still match: IDENTITY where the column still shares its
    # memory with raw's (a copy-on-write selection), TRANSFORMATION where the values changed
    assert _edges(_outputs(events, "/out")) == {"id": {("raw", "id", "IDENTITY", False)},
                                                 "v": {("raw", "v", "TRANSFORMATION", False)}}


def test_a_failing_resolution_leaves_the_run_without_the_facet(shell: Any, tmp_path: Path, capsys,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    run(shell, "%load_ext nbgov")
    run(shell, "%config Nbgov.classify_outputs = False")
    run(shell, "import pandas as pd\nraw = pd.DataFrame({'id': [1, 2]})")
    capsys.readouterr()

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise KeyError("boom")

    monkeypatch.setattr(columns, "cell_column_lineage", broken)
    result = run(shell, "out = raw.copy()\nout.shape")
    err = capsys.readouterr().err
    assert result.result == (2, 1) and result.error_in_exec is None
    assert "nbgov: column lineage failed (KeyError" in err
    run(shell, "%unload_ext nbgov")
    events = stored_events(tmp_path / "lineage.db")
    assert_spec_valid(events)
    out = _outputs(events, "/out")  # the run and its datasets are kept, without column lineage
    assert "columnLineage" not in out.get("facets", {})


def test_a_frame_renamed_in_place_after_reading_keeps_the_files_columns(shell: Any, tmp_path: Path) -> None:
    """The file's schema is what the reader saw, not the frame's names at the end of the cell,
    and the renamed columns derive from the file's by position."""
    pd.DataFrame({"Customer ID": [1, 2], "E-mail": ["a@x.io", "b@y.io"]}).to_csv(tmp_path / "in.csv", index=False)
    run(shell, "%load_ext nbgov")
    run(shell, "%config Nbgov.classify_outputs = False")
    run(shell, "import pandas as pd\nraw = pd.read_csv('in.csv')\n"
               "raw.columns = raw.columns.str.lower().str.replace(' ', '_').str.replace('-', '')")
    run(shell, "%unload_ext nbgov")
    events = stored_events(tmp_path / "lineage.db")
    assert_spec_valid(events)
    (read,) = [i for e in events if e.get("eventType") == "COMPLETE" for i in e.get("inputs", [])
               if i["name"].endswith("in.csv")]
    assert [f["name"] for f in read["facets"]["schema"]["fields"]] == ["Customer ID", "E-mail"]
    assert _edges(_outputs(events, "/raw")) == {"customer_id": {("in.csv", "Customer ID", "IDENTITY", False)},
                                                 "email": {("in.csv", "E-mail", "IDENTITY", False)}}


@pytest.mark.parametrize("rename", [
    "df.columns = df.columns.str.lower()",
    "df.rename(columns=str.lower, inplace=True)",
    "df.rename(columns={'ID': 'id', 'Email': 'email'}, inplace=True)",
])
def test_a_frame_from_an_earlier_cell_renamed_in_place(shell: Any, tmp_path: Path, rename: str) -> None:
    """The rename happens in its own cell: the frame read is the frame as it was before the
    cell (its old columns and types), and the new columns derive from the old by the rename —
    so a tag on ``Email`` reaches ``email``."""
    run(shell, "%load_ext nbgov")
    run(shell, "import pandas as pd\n"
               "df = pd.DataFrame({'ID': [1, 2], 'Email': ['ana@example.com', 'bo@example.org']})")
    run(shell, "%config Nbgov.classify_outputs = False")  # the tag on email can only come by lineage
    run(shell, rename)
    run(shell, "%unload_ext nbgov")
    events = stored_events(tmp_path / "lineage.db")
    assert_spec_valid(events)
    last = [e for e in events if e.get("eventType") == "COMPLETE" and e.get("outputs")][-1]
    (read,) = last["inputs"]
    assert [(f["name"], f["type"]) for f in read["facets"]["schema"]["fields"]] == [("ID", "int64"), ("Email", "str")]
    assert "dataQualityMetrics" not in read.get("inputFacets", {})  # the metrics were of the renamed frame
    (out,) = last["outputs"]
    assert _edges(out) == {"id": {("df", "ID", "IDENTITY", False)}, "email": {("df", "Email", "IDENTITY", False)}}
    from nbgov.governance import effective_tags
    from nbgov.store import open_store

    with open_store(str(tmp_path / "lineage.db")) as store:
        tags = effective_tags(store, f"datasetField:{out['namespace']}:{out['name']}:email", keys=("pii",))
    assert {(t.value, t.source) for t in tags} == {("EMAIL_ADDRESS", "LINEAGE")}


def test_a_frame_from_an_earlier_cell_with_a_column_inserted_in_place(shell: Any, tmp_path: Path) -> None:
    """Inserting a column shifts pandas' blocks in place: the columns read are still the old
    ones (names kept even where the types cannot be recovered)."""
    run(shell, "%load_ext nbgov")
    run(shell, "%config Nbgov.classify_outputs = False")
    run(shell, "import pandas as pd\ndf = pd.DataFrame({'a': [1, 2], 'b': [0.5, 1.5]})")
    run(shell, "df.insert(0, 'x', df['a'] * 2)")
    run(shell, "%unload_ext nbgov")
    events = stored_events(tmp_path / "lineage.db")
    last = [e for e in events if e.get("eventType") == "COMPLETE" and e.get("outputs")][-1]
    (read,) = last["inputs"]
    assert [f["name"] for f in read["facets"]["schema"]["fields"]] == ["a", "b"]
    (out,) = last["outputs"]
    assert [f["name"] for f in out["facets"]["schema"]["fields"]] == ["x", "a", "b"]
    assert _edges(out)["x"] >= {("df", "a", "TRANSFORMATION", False)}


def test_a_melted_email_column_passes_its_tag_to_value(shell: Any, tmp_path: Path) -> None:
    """``melt`` moves the values of its value columns into ``value`` (DIRECT) and their names
    into ``variable`` (INDIRECT): the tag on ``email`` reaches ``value``, not ``variable``."""
    run(shell, "%load_ext nbgov")
    run(shell, "import pandas as pd\n"
               "orders = pd.DataFrame({'order_id': [1, 2, 3], 'cust': [1, 2, 1], 'amount': [3.0, 4.0, 5.0]})\n"
               "custs = pd.DataFrame({'cust': [1, 2], 'email': ['ana@example.com', 'bo@example.org'],\n"
               "                      'country': ['DE', 'FR']})")
    run(shell, "%config Nbgov.classify_outputs = False")  # the tag on value can only come by lineage
    result = run(shell, "m = orders.merge(custs, on='cust')\n"
                        "long = m.melt(id_vars=['order_id'], value_vars=['amount', 'email'])\n"
                        "long.shape")
    assert result.result == (6, 3)
    run(shell, "%unload_ext nbgov")
    events = stored_events(tmp_path / "lineage.db")
    assert_spec_valid(events)
    out = _outputs(events, "/long")
    assert _edges(out) == {"order_id": {("m", "order_id", "IDENTITY", False)},
                           "variable": {("m", "amount", "GROUP_BY", None), ("m", "email", "GROUP_BY", None)},
                           "value": {("m", "amount", "TRANSFORMATION", False), ("m", "email", "TRANSFORMATION", False)}}
    from nbgov.governance import effective_tags
    from nbgov.store import open_store

    node = f"datasetField:{out['namespace']}:{out['name']}"
    with open_store(str(tmp_path / "lineage.db")) as store:
        value = effective_tags(store, f"{node}:value", keys=("pii",))
        variable = effective_tags(store, f"{node}:variable", keys=("pii",))
    assert {(t.value, t.source) for t in value} == {("EMAIL_ADDRESS", "LINEAGE")}
    assert [t.node.rsplit(":", 1)[1] for t in value] == ["value"]
    assert {p.rsplit(":", 1)[1] for t in value for p in t.path} == {"email", "value"}
    assert variable == []
