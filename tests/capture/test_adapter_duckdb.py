"""The DuckDB adapter against real database files: files and tables read or written by SQL,
DataFrames scanned by name, lazy relations recorded when they read."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

duckdb = pytest.importorskip("duckdb")

import pandas as pd

from nbgov.capture import access
from nbgov.capture.access import CellCapture, Location
from nbgov.capture.adapters import duckdb as adapter
from nbgov.capture.hooks import HookRegistry
from tests.capture.conftest import active_capture, installed_hooks


@pytest.fixture
def registry() -> Iterator[HookRegistry]:
    with installed_hooks(adapter) as reg:
        yield reg


@pytest.fixture
def capture(registry: HookRegistry) -> Iterator[CellCapture]:
    with active_capture() as cap:
        yield cap


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """``tmp_path`` as the working directory, with ``x.parquet`` and ``x.csv`` written
    without any capture."""
    monkeypatch.chdir(tmp_path)
    con = duckdb.connect()
    con.execute("COPY (SELECT 1 AS id, 'Oslo' AS city UNION ALL SELECT 2, 'Rome') TO 'x.parquet' (FORMAT parquet)")
    con.execute("COPY (SELECT 1 AS id, 9.5 AS amount) TO 'x.csv' (HEADER)")
    con.close()
    return tmp_path


def _rows(cap: CellCapture) -> list[tuple[str, Location, str]]:
    return [(a.direction, a.location, a.via) for a in cap.accesses]


def _fresh() -> CellCapture:
    cap = CellCapture()
    access.activate(cap)
    return cap


def _table(db: Path | str, name: str, schema: str = "main") -> Location:
    return Location.of("duckdb", path=str(db), schema=schema, table=name)


def test_files_and_tables_by_sql(workdir: Path, capture: CellCapture) -> None:
    db = workdir / "shop.duckdb"
    con = duckdb.connect(str(db))
    via = "duckdb.DuckDBPyConnection.execute"
    ctas = "CREATE TABLE orders AS SELECT * FROM 'x.parquet'"
    con.execute(ctas)
    copy = "COPY (SELECT o.id, city, amount FROM orders o JOIN read_csv_auto('x.csv') c USING (id)) TO 'out.csv' (HEADER)"
    con.execute(copy)
    con.execute("INSERT INTO main.orders SELECT id + 10, city FROM read_parquet(['x.parquet'])")
    con.execute("COPY orders FROM 'x.parquet'")
    con.execute("COPY orders TO 'orders.parquet' (FORMAT parquet)")
    con.execute("UPDATE orders SET city = 'Bergen' WHERE id = 1")
    con.execute("DELETE FROM orders WHERE id > 10")
    con.execute("CREATE VIEW v AS SELECT * FROM orders")  # moves no data
    assert con.execute("SELECT count(*) FROM orders").fetchall() == [(4,)]
    con.close()
    parquet, csv = Location.file(workdir / "x.parquet"), Location.file(workdir / "x.csv")
    assert _rows(capture) == [
        ("input", parquet, via),
        ("output", _table(db, "orders"), via),
        ("input", csv, via),
        ("input", _table(db, "orders"), via),
        ("output", Location.file(workdir / "out.csv"), via),
        ("output", Location.file(workdir / "orders.parquet"), via),
    ]
    first, _, _, _, out_csv, _ = capture.accesses
    assert first.query == ctas and out_csv.query == copy
    assert first.facets["dataSource"] == {"name": "file", "uri": f"file://{workdir / 'x.parquet'}"}
    assert all(a.fields is None for a in capture.accesses)


def test_dataframes_scanned_by_name(workdir: Path, capture: CellCapture) -> None:
    frame = pd.DataFrame({"id": [1, 2], "city": ["Oslo", "Rome"]})
    con = duckdb.connect()
    assert con.execute("SELECT count(*) FROM frame").fetchall() == [(2,)]  # the user's global, as without nbgov

    def in_a_function() -> list:
        local_frame = frame.head(1)  # noqa: F841 - read by the SQL, as DuckDB finds it
        return duckdb.execute("SELECT * FROM local_frame").fetchall()

    assert in_a_function() == [(1, "Oslo")]
    con.execute("CREATE TABLE frame AS SELECT 42 AS answer")  # a catalog table wins over the variable
    assert con.execute("SELECT * FROM frame").fetchall() == [(42,)]
    assert _rows(capture) == [
        ("input", Location.of("dataframe", name="frame"), "duckdb.DuckDBPyConnection.execute"),
        ("input", Location.of("dataframe", name="local_frame"), "duckdb.execute"),
        ("output", _table(":memory:", "frame"), "duckdb.DuckDBPyConnection.execute"),
        ("input", _table(":memory:", "frame"), "duckdb.DuckDBPyConnection.execute"),
    ]


def test_replacement_scans_work_with_hooks_and_no_capture(workdir: Path, registry: HookRegistry) -> None:
    hidden = pd.DataFrame({"v": [7]})

    def query() -> list:
        inner_frame = hidden  # noqa: F841 - read by the SQL
        return duckdb.sql("SELECT * FROM inner_frame").fetchall()

    assert access.active() is None
    assert query() == [(7,)]
    assert duckdb.connect().execute("SELECT * FROM hidden").fetchall() == [(7,)]


def test_lazy_relations_read_when_materialised(workdir: Path, capture: CellCapture) -> None:
    frame = pd.DataFrame({"id": [2], "note": ["b"]})  # noqa: F841 - read by the SQL
    rel = duckdb.sql("SELECT p.id, city, note FROM 'x.parquet' p JOIN frame USING (id)")
    assert capture.accesses == []  # built, not read
    assert rel.df().to_dict("records") == [{"id": 2, "city": "Rome", "note": "b"}]
    assert _rows(capture) == [
        ("input", Location.of("dataframe", name="frame"), "duckdb.DuckDBPyRelation.df"),
        ("input", Location.file(workdir / "x.parquet"), "duckdb.DuckDBPyRelation.df"),
    ]
    cap = _fresh()
    rel.filter("id > 0").write_parquet("joined.parquet")  # a derived relation keeps its sources
    assert _rows(cap) == [
        ("input", Location.of("dataframe", name="frame"), "duckdb.DuckDBPyRelation.write_parquet"),
        ("input", Location.file(workdir / "x.parquet"), "duckdb.DuckDBPyRelation.write_parquet"),
        ("output", Location.file(workdir / "joined.parquet"), "duckdb.DuckDBPyRelation.write_parquet"),
    ]
    cap = _fresh()
    bundle = duckdb.sql("SELECT * FROM read_csv('x.csv')")._repr_mimebundle_()  # the notebook display reads
    assert "text/plain" in bundle
    db = workdir / "w.duckdb"
    con = duckdb.connect(str(db))
    con.sql("SELECT * FROM 'x.parquet'").create("cities")
    assert _rows(cap) == [
        ("input", Location.file(workdir / "x.csv"), "duckdb.DuckDBPyRelation._repr_mimebundle_"),
        ("input", Location.file(workdir / "x.parquet"), "duckdb.DuckDBPyRelation.create"),
        ("output", _table(db, "cities"), "duckdb.DuckDBPyRelation.create"),
    ]


def test_sql_runs_non_select_statements_now(workdir: Path, capture: CellCapture) -> None:
    duckdb.sql("COPY (SELECT * FROM 'x.parquet') TO 'copy.csv'")
    con = duckdb.connect()
    rel = con.sql("CREATE TABLE t AS SELECT * FROM 'x.csv'; SELECT * FROM t")  # a script: the last SELECT is lazy
    assert _rows(capture) == [
        ("input", Location.file(workdir / "x.parquet"), "duckdb.sql"),
        ("output", Location.file(workdir / "copy.csv"), "duckdb.sql"),
        ("input", Location.file(workdir / "x.csv"), "duckdb.DuckDBPyConnection.sql"),
        ("output", _table(":memory:", "t"), "duckdb.DuckDBPyConnection.sql"),
    ]
    rel.fetchall()
    assert _rows(capture)[-1] == ("input", _table(":memory:", "t"), "duckdb.DuckDBPyRelation.fetchall")


def test_attached_databases_and_pending_results(workdir: Path, capture: CellCapture) -> None:
    other = workdir / "other.duckdb"
    con = duckdb.connect()
    con.execute(f"ATTACH '{other}' AS other")
    con.execute("CREATE TABLE other.sales AS SELECT 5 AS n")
    con.execute("SELECT * FROM other.sales")
    assert con.fetchall() == [(5,)]  # describing the query never touched the user's pending result
    assert _rows(capture) == [
        ("output", _table(other, "sales"), "duckdb.DuckDBPyConnection.execute"),
        ("input", _table(other, "sales"), "duckdb.DuckDBPyConnection.execute"),
    ]


def test_nested_calls_record_the_outermost_only(workdir: Path, capture: CellCapture) -> None:
    con = duckdb.connect()
    rel = con.sql("SELECT * FROM 'x.parquet'")
    rel.pl()  # may call arrow() / fetch_arrow_table() inside
    with access.calling():
        con.execute("SELECT * FROM 'x.csv'").fetchall()
    assert _rows(capture) == [("input", Location.file(workdir / "x.parquet"), "duckdb.DuckDBPyRelation.pl")]


def test_failing_sql_records_nothing_and_raises_the_users_error(workdir: Path, capture: CellCapture,
                                                                registry: HookRegistry) -> None:
    con = duckdb.connect()
    with pytest.raises(duckdb.CatalogException) as hooked:
        con.execute("SELECT * FROM no_such_table")
    with pytest.raises(duckdb.IOException) as hooked_copy:
        duckdb.sql("COPY (SELECT 1) TO '/no/such/dir/x.csv'")
    registry.uninstall()
    with pytest.raises(duckdb.CatalogException) as plain:
        con.execute("SELECT * FROM no_such_table")
    assert str(hooked.value) == str(plain.value)
    assert "/no/such/dir" in str(hooked_copy.value)
    assert capture.accesses == [] and capture.errors == []
    assert not access.nested()


def test_uninstall_restores_the_originals() -> None:
    con_cls, rel_cls = duckdb.DuckDBPyConnection, duckdb.DuckDBPyRelation
    originals = {
        "duckdb.sql": duckdb.sql,
        "duckdb.execute": duckdb.execute,
        "execute": con_cls.__dict__["execute"],
        "sql": con_cls.__dict__["sql"],
        "df": rel_cls.__dict__["df"],
        "__repr__": rel_cls.__dict__["__repr__"],
    }
    reg = HookRegistry()
    reg.register(adapter)
    reg.install_available()
    assert duckdb.sql.__nbgov_original__ is originals["duckdb.sql"]
    assert con_cls.__dict__["execute"].__nbgov_original__ is originals["execute"]
    assert rel_cls.__dict__["df"].__wrapped__ is originals["df"]
    reg.uninstall()
    assert duckdb.sql is originals["duckdb.sql"] and duckdb.execute is originals["duckdb.execute"]
    assert con_cls.__dict__["execute"] is originals["execute"] and con_cls.__dict__["sql"] is originals["sql"]
    assert rel_cls.__dict__["df"] is originals["df"] and rel_cls.__dict__["__repr__"] is originals["__repr__"]


@pytest.mark.parametrize(("sql", "kind", "reads", "files", "writes_table", "writes_file"), [
    ("WITH c AS (SELECT * FROM t) SELECT * FROM c, s.u WHERE x IN (SELECT x FROM w)", "SELECT",
     [("t",), ("s", "u"), ("w",)], [], None, None),
    ("SELECT * FROM read_parquet(['a.parquet', 'b.parquet']) UNION ALL SELECT * FROM 'c.csv'", "SELECT",
     [("c.csv",)], ["a.parquet", "b.parquet"], None, None),
    ("COPY (SELECT * FROM t) TO 'o.parquet' (FORMAT parquet)", "COPY", [("t",)], [], None, "o.parquet"),
    ('COPY "My Table" (a, b) FROM \'in.csv\' (HEADER)', "COPY", [], ["in.csv"], ("My Table",), None),
    ("INSERT OR REPLACE INTO db.s.t (a) BY NAME SELECT a FROM u ON CONFLICT DO NOTHING", "INSERT",
     [("u",)], [], ("db", "s", "t"), None),
    ("INSERT INTO t VALUES (1)", "INSERT", [], [], ("t",), None),
    ("INSERT INTO t (SELECT * FROM u)", "INSERT", [("u",)], [], ("t",), None),
    ("CREATE OR REPLACE TEMP TABLE IF NOT EXISTS t AS SELECT * FROM read_csv_auto('x.csv')", "CREATE",
     [], ["x.csv"], ("t",), None),
    ("CREATE TABLE t (a INT)", "CREATE", [], [], None, None),
    ("CREATE VIEW v AS SELECT * FROM t", "CREATE", [], [], None, None),
    ("UPDATE t SET a = 1", "UPDATE", [], [], ("t",), None),
    ("DELETE FROM s.t WHERE a = 1", "DELETE", [], [], ("s", "t"), None),
    ("ATTACH 'x.duckdb'", "ATTACH", [], [], None, None),
])
def test_analyse(sql: str, kind: str, reads: list, files: list, writes_table: tuple | None,
                 writes_file: str | None) -> None:
    io = adapter.analyse(sql, kind)
    assert (io.reads, io.files, io.writes_table, io.writes_file) == (reads, files, writes_table, writes_file)
