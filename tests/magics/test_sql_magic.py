"""%%sql / %sql in a real in-process InteractiveShell: engines, binding, results, errors,
and the events each run leaves in the store (every one checked against the spec)."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import pytest
from IPython.core.magic import Magics, cell_magic, line_magic, magics_class

from nbgov.magics.sql import bind_parameters
from tests.capture.conftest import cell_runs, run, stored_events
from tests.spec import assert_spec_valid

NB = "test.ipynb"
FRAMES = "dataframe://notebook"
MEMORY = "duckdb://:memory:"
DIRECT = {"type": "DIRECT", "subtype": "IDENTITY", "masking": False}
CHANGED = {"type": "DIRECT", "subtype": "TRANSFORMATION", "masking": False}


def _ends(tmp_path: Path) -> list[dict[str, Any]]:
    """The terminal event of every cell run, in the order the cells ran; the store's
    events pass the spec."""
    events = stored_events(tmp_path / "lineage.db")
    assert_spec_valid(events)
    runs = cell_runs(events)
    return sorted((r[-1] for r in runs.values()), key=lambda e: e["eventTime"])


def _io(event: dict[str, Any], key: str) -> dict[tuple[str, str], dict[str, Any]]:
    return {(d["namespace"], d["name"]): d for d in event[key]}


def _lineage(dataset: dict[str, Any]) -> dict[str, Any]:
    facet = dataset["facets"]["columnLineage"]
    return {"fields": {k: {(f["namespace"], f["name"], f["field"]): f["transformations"]
                           for f in v["inputFields"]} for k, v in facet["fields"].items()},
            "dataset": {(f["namespace"], f["name"], f["field"]): [t["subtype"] for t in f["transformations"]]
                        for f in facet["dataset"]}}


def _schema(dataset: dict[str, Any]) -> list[str]:
    return [f["name"] for f in dataset["facets"]["schema"]["fields"]]


def test_bind_parameters_translates_names_only_outside_quotes() -> None:
    bound = bind_parameters("SELECT {a}, '{a}', \"{a}\" -- {a}\nFROM t WHERE x = {b}; SELECT {{'k': {a}}}", "duckdb")
    assert bound.query == "SELECT $a, '{a}', \"{a}\" -- {a}\nFROM t WHERE x = $b; SELECT {'k': $a}"
    assert [(s.text, s.parameters) for s in bound.statements] == [
        ("SELECT $a, '{a}', \"{a}\" -- {a}\nFROM t WHERE x = $b;", ("a", "b")), ("SELECT {'k': $a}", ("a",))]
    alchemy = bind_parameters("SELECT ':x', a::int FROM t WHERE b = {v} AND c = '$$;'", "sqlalchemy")
    assert alchemy.query == "SELECT ':x', a::int FROM t WHERE b = :v AND c = '$$;'"
    assert alchemy.text == "SELECT '\\:x', a::int FROM t WHERE b = :v AND c = '$$;'"
    assert len(alchemy.statements) == 1


def test_frames_and_files_by_name_with_column_lineage(shell: Any, tmp_path: Path) -> None:
    (tmp_path / "orders.csv").write_text("id,cust,amount,status\n1,1,2.5,paid\n2,2,3.0,open\n3,1,1.0,paid\n")
    run(shell, "%load_ext nbgov")
    run(shell, "import pandas as pd\ncustomers = pd.DataFrame({'id': [1, 2], 'name': ['ana', 'bo']})")
    result = run(shell, "%%sql\nCREATE TABLE orders AS SELECT * FROM read_csv('orders.csv')")
    assert result.error_in_exec is None and result.result is None and "_sql" not in shell.user_ns
    status = "paid"
    shell.user_ns["status"] = status
    result = run(shell, "%%sql --out totals\nSELECT c.name, sum(o.amount) AS total\n"
                        "FROM orders o JOIN customers c ON o.cust = c.id\nWHERE o.status = {status}\n"
                        "GROUP BY c.name ORDER BY c.name")
    assert result.error_in_exec is None
    frame = shell.user_ns["totals"]
    assert isinstance(frame, pd.DataFrame) and frame.to_dict("list") == {"name": ["ana"], "total": [3.5]}
    assert result.result is frame  # shown as the cell's result
    run(shell, "%unload_ext nbgov")

    create, select = _ends(tmp_path)[-2:]
    csv = ("file", str(tmp_path / "orders.csv"))
    table = (MEMORY, f"{NB}/main.orders")
    assert create["job"]["facets"]["sql"]["query"] == "CREATE TABLE orders AS SELECT * FROM read_csv('orders.csv')"
    assert create["job"]["facets"]["sql"]["dialect"] == "duckdb"
    assert set(_io(create, "inputs")) == {csv} and set(_io(create, "outputs")) == {table}
    assert _schema(_io(create, "inputs")[csv]) == ["id", "cust", "amount", "status"]  # the engine read the file
    assert _lineage(_io(create, "outputs")[table]) == {
        "fields": {c: {(*csv, c): [DIRECT]} for c in ("id", "cust", "amount", "status")}, "dataset": {}}

    frame_ds = (FRAMES, f"{NB}/customers")
    assert select["job"]["facets"]["sql"]["query"].endswith("WHERE o.status = $status\nGROUP BY c.name ORDER BY c.name")
    assert set(_io(select, "inputs")) == {table, frame_ds}
    assert _schema(_io(select, "inputs")[table]) == ["id", "cust", "amount", "status"]
    assert _schema(_io(select, "inputs")[frame_ds]) == ["id", "name"]
    out = _io(select, "outputs")[(FRAMES, f"{NB}/totals")]
    assert _schema(out) == ["name", "total"]
    assert _lineage(out) == {
        "fields": {"name": {(*frame_ds, "name"): [DIRECT]},
                   "total": {(*table, "amount"): [{"type": "DIRECT", "subtype": "AGGREGATION", "masking": False}]}},
        "dataset": {(*table, "cust"): ["JOIN"], (*frame_ds, "id"): ["JOIN"], (*table, "status"): ["FILTER"],
                    (*frame_ds, "name"): ["GROUP_BY", "SORT"]},
    }
    # every input field of the facet names a dataset the run lists as an input
    names = {(f["namespace"], f["name"]) for f in out["facets"]["columnLineage"]["dataset"]}
    assert names <= set(_io(select, "inputs"))


def test_duckdb_file_multi_statement_insert_and_line_magic(shell: Any, tmp_path: Path) -> None:
    db = tmp_path / "wh.duckdb"
    run(shell, "%load_ext nbgov")
    result = run(shell, f"%%sql --conn wh=duckdb:///{db}\n"
                        "CREATE TABLE src AS SELECT range AS id, range * 10 AS v FROM range(3);\n"
                        "CREATE TABLE dst (id BIGINT, w BIGINT);\n"
                        "INSERT INTO dst SELECT id, v + 1 FROM src WHERE id > 0;\n"
                        "SELECT * FROM dst ORDER BY id")
    assert result.error_in_exec is None
    assert shell.user_ns["_sql"].to_dict("list") == {"id": [1, 2], "w": [11, 21]}
    line = run(shell, "%sql SELECT count(*) AS n FROM dst")  # the connection named last stays current
    assert line.result.to_dict("list") == {"n": [2]}
    run(shell, "%unload_ext nbgov")
    with duckdb.connect(str(db)) as con:  # a real file
        assert con.execute("SELECT count(*) FROM src").fetchone() == (3,)

    cell, counted = _ends(tmp_path)[-2:]
    ns = f"duckdb://{db}"
    src, dst, result_ds = (ns, "main.src"), (ns, "main.dst"), (FRAMES, f"{NB}/_sql")
    assert cell["job"]["facets"]["sql"]["dialect"] == "duckdb"
    assert set(_io(cell, "inputs")) == {src, dst}
    assert set(_io(cell, "outputs")) == {src, dst, result_ds}
    assert _lineage(_io(cell, "outputs")[dst]) == {
        "fields": {"id": {(*src, "id"): [DIRECT]}, "w": {(*src, "v"): [CHANGED]}},
        "dataset": {(*src, "id"): ["FILTER"]}}
    assert "columnLineage" not in _io(cell, "outputs")[src]["facets"]  # range() is no dataset: no input field
    assert _lineage(_io(cell, "outputs")[result_ds]) == {
        "fields": {"id": {(*dst, "id"): [DIRECT]}, "w": {(*dst, "w"): [DIRECT]}},
        "dataset": {(*dst, "id"): ["SORT"]}}
    assert set(_io(counted, "inputs")) == {dst}
    assert counted["job"]["facets"]["sql"]["query"] == "SELECT count(*) AS n FROM dst"


def test_sqlite_through_sqlalchemy_url_and_named_connection(shell: Any, tmp_path: Path) -> None:
    db = tmp_path / "app.db"
    run(shell, "%load_ext nbgov")
    shell.user_ns["limit"] = 5
    assert run(shell, f"%%sql --conn app=sqlite:///{db}\nCREATE TABLE a (id INTEGER, v REAL);\n"
                      "INSERT INTO a VALUES (1, 1.5), (2, 2.5), (9, 0.5)").error_in_exec is None
    run(shell, "%%sql --conn duckdb\nSELECT 1 AS one")  # switch away, then back by name
    result = run(shell, "%%sql --conn app\nCREATE TABLE b AS SELECT id, v * 2 AS w FROM a WHERE id < {limit};\n"
                        "SELECT * FROM b ORDER BY id")
    assert result.error_in_exec is None
    assert shell.user_ns["_sql"].to_dict("list") == {"id": [1, 2], "w": [3.0, 5.0]}
    run(shell, "%unload_ext nbgov")
    with sqlite3.connect(db) as con:
        assert con.execute("SELECT count(*) FROM b").fetchone() == (2,)

    end = _ends(tmp_path)[-1]
    ns = f"sqlite://{db}"
    a, b = (ns, "a"), (ns, "b")
    assert end["job"]["facets"]["sql"]["dialect"] == "sqlite"
    assert end["job"]["facets"]["sql"]["query"].startswith("CREATE TABLE b AS SELECT id, v * 2 AS w FROM a WHERE id < :limit;")
    assert set(_io(end, "inputs")) == {a, b}
    assert _schema(_io(end, "inputs")[a]) == ["id", "v"]  # from the SQLAlchemy inspector
    assert _lineage(_io(end, "outputs")[b]) == {
        "fields": {"id": {(*a, "id"): [DIRECT]}, "w": {(*a, "v"): [CHANGED]}}, "dataset": {(*a, "id"): ["FILTER"]}}
    assert _lineage(_io(end, "outputs")[(FRAMES, f"{NB}/_sql")])["fields"] == {
        "id": {(*b, "id"): [DIRECT]}, "w": {(*b, "w"): [DIRECT]}}


def test_values_are_bound_never_pasted(shell: Any, tmp_path: Path) -> None:
    run(shell, "%load_ext nbgov")
    run(shell, "%%sql\nCREATE TABLE t AS SELECT 1 AS id, 'x' AS name")
    shell.user_ns["x"] = "1; DROP TABLE t"
    result = run(shell, "%%sql --out found\nSELECT id, {{'k': name}} AS s FROM t WHERE name = {x}")
    assert result.error_in_exec is None and len(shell.user_ns["found"]) == 0  # a value, not SQL
    shell.user_ns["x"] = "x"
    assert run(shell, "%sql --out found SELECT id, {{'k': name}} AS s FROM t WHERE name = {x}").error_in_exec is None
    assert shell.user_ns["found"].to_dict("records") == [{"id": 1, "s": {"k": "x"}}]
    missing = run(shell, "%sql SELECT {nope}")
    assert type(missing.error_in_exec).__name__ == "UsageError" and "{nope} is not defined" in str(missing.error_in_exec)
    run(shell, "%unload_ext nbgov")
    for event in _ends(tmp_path):
        assert "1; DROP TABLE t" not in str(event)  # bound values never reach the events


def test_no_lineage_keeps_table_level_capture_only(shell: Any, tmp_path: Path) -> None:
    run(shell, "%load_ext nbgov")
    run(shell, "%%sql\nCREATE TABLE t AS SELECT 1 AS id")
    assert run(shell, "%%sql --no-lineage\nCREATE TABLE u AS SELECT id FROM t").error_in_exec is None
    run(shell, "%unload_ext nbgov")
    end = _ends(tmp_path)[-1]
    assert "dialect" not in end["job"]["facets"]["sql"]  # the DuckDB hook's own facet, not %%sql's
    outputs = _io(end, "outputs")
    assert set(outputs) == {(MEMORY, f"{NB}/main.u")}  # DuckDB's own hooks still saw the table
    assert "columnLineage" not in outputs[(MEMORY, f"{NB}/main.u")]["facets"]


def test_engine_error_fails_the_cell_with_the_engines_error(shell: Any, tmp_path: Path, capsys) -> None:
    run(shell, "%load_ext nbgov")
    capsys.readouterr()
    result = run(shell, "%%sql\nSELECT * FROM no_such_table")
    assert isinstance(result.error_in_exec, duckdb.CatalogException)
    shown = capsys.readouterr()
    assert "no_such_table" in shown.out + shown.err
    assert "nbgov" not in shown.out + shown.err  # no nbgov frame, no nbgov notice
    run(shell, "%unload_ext nbgov")
    assert _ends(tmp_path) == []  # it read and wrote nothing


def test_sql_the_engine_runs_but_sqlglot_cannot_parse(shell: Any, tmp_path: Path, capsys) -> None:
    run(shell, "%load_ext nbgov")
    run(shell, "%%sql\nCREATE TABLE t AS SELECT range AS v FROM range(5)")
    capsys.readouterr()
    for _ in range(2):
        result = run(shell, "%%sql\nSELECT v\nFROM t LIMIT 10 % 3")
        assert result.error_in_exec is None and len(shell.user_ns["_sql"]) == 1
    notices = [line for line in capsys.readouterr().err.splitlines() if line.startswith("nbgov:")]
    assert len(notices) == 1  # once per kind of failure
    assert "sql lineage failed (SqlParseError" in notices[0] and "line 2, column" in notices[0]
    run(shell, "%unload_ext nbgov")
    end = _ends(tmp_path)[-1]
    assert end["eventType"] == "COMPLETE" and end["job"]["facets"]["sql"]["query"] == "SELECT v\nFROM t LIMIT 10 % 3"


def test_bad_options_are_usage_errors(shell: Any) -> None:
    run(shell, "%load_ext nbgov")
    for line in ("%%sql --bogus\nSELECT 1", "%%sql --out\nSELECT 1", "%%sql --dialect nosuch\nSELECT 1",
                 "%%sql --conn nothing_here\nSELECT 1"):
        result = run(shell, line)
        assert type(result.error_in_exec).__name__ == "UsageError", line
    run(shell, "%unload_ext nbgov")


@magics_class
class _OtherSql(Magics):
    """What jupysql registers: its own %sql and %%sql."""

    @line_magic("sql")
    def sql_line(self, line: str) -> str:
        return "theirs"

    @cell_magic("sql")
    def sql_cell(self, line: str, cell: str) -> str:
        return "theirs"


def test_an_existing_sql_magic_is_never_replaced(shell: Any, tmp_path: Path, capsys) -> None:
    other = _OtherSql(shell)
    shell.register_magics(other)
    try:
        run(shell, "%load_ext nbgov")
        said = capsys.readouterr().out
        assert said.count("nbgov: %sql is already registered") == 1 and "%nbsql and %%nbsql" in said
        assert run(shell, "%sql SELECT 1").result == "theirs"
        result = run(shell, "%%nbsql --out mine\nSELECT 42 AS answer")
        assert result.error_in_exec is None and shell.user_ns["mine"].to_dict("list") == {"answer": [42]}
        run(shell, "%unload_ext nbgov")
        manager = shell.magics_manager
        assert manager.magics["cell"]["sql"].__self__ is other and "nbsql" not in manager.magics["cell"]
        end = _ends(tmp_path)[-1]
        assert end["job"]["facets"]["sql"]["query"] == "SELECT 42 AS answer"
    finally:
        for kind in ("line", "cell"):
            shell.magics_manager.magics[kind].pop("sql", None)
        shell.magics_manager.registry.pop("_OtherSql", None)
        while other in shell.configurables:
            shell.configurables.remove(other)


def test_sql_run_through_sqlalchemy_gets_column_lineage(shell: Any, tmp_path: Path) -> None:
    db = tmp_path / "lib.db"
    with sqlite3.connect(db) as con:
        con.execute("CREATE TABLE a (id INTEGER, v REAL)")
    run(shell, "%load_ext nbgov")
    run(shell, f"import sqlalchemy as sa\nengine = sa.create_engine('sqlite:///{db}')")
    result = run(shell, "with engine.begin() as c:\n"
                        "    c.execute(sa.text('CREATE TABLE b2 AS SELECT id, v * 3 AS w FROM a'))")
    assert result.error_in_exec is None
    run(shell, "%unload_ext nbgov")
    end = _ends(tmp_path)[-1]
    ns = f"sqlite://{db}"
    out = _io(end, "outputs")[(ns, "b2")]
    assert _lineage(out)["fields"] == {"id": {(ns, "a", "id"): [DIRECT]}, "w": {(ns, "a", "v"): [CHANGED]}}
