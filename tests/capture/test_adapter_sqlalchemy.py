"""The SQLAlchemy adapter: engine events give table datasets, once, and go away on uninstall."""

from __future__ import annotations

import types
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Engine

from nbgov.capture import access
from nbgov.capture.access import CellCapture, Location
from nbgov.capture.adapters import sqlalchemy as adapter
from nbgov.capture.adapters.sqlalchemy import engine_location
from nbgov.capture.hooks import HookRegistry
from tests.capture.conftest import active_capture, installed_hooks

LISTENER = adapter._after_cursor_execute


@pytest.fixture
def hooks() -> Iterator[HookRegistry]:
    with installed_hooks("nbgov.capture.adapters.pandas", "nbgov.capture.adapters.sqlite3",
                         "nbgov.capture.adapters.sqlalchemy") as registry:
        yield registry


@pytest.fixture
def capture(hooks: HookRegistry) -> Iterator[CellCapture]:
    with active_capture() as cap:
        yield cap


def _summary(capture: CellCapture) -> list[tuple]:
    return [(a.direction, a.via, a.location.get("table"), a.query, dict(a.facets)) for a in capture.accesses]


def test_statements_give_table_datasets(tmp_path: Path, capture: CellCapture) -> None:
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'shop.db'}")
    with engine.begin() as con:
        con.execute(sa.text("CREATE TABLE orders (id INTEGER PRIMARY KEY, email TEXT, qty INT)"))
        con.execute(sa.text("INSERT INTO orders VALUES (:id, :email, :qty)"),
                    [{"id": 1, "email": "ana@example.com", "qty": 2}, {"id": 2, "email": "bo@example.com", "qty": 7}])
        con.execute(sa.text("SELECT o.id FROM orders o WHERE o.qty > :q"), {"q": 1}).fetchall()
        con.execute(sa.text("CREATE TABLE big AS SELECT * FROM orders WHERE qty > 5"))
        con.execute(sa.text("DROP TABLE big"))
    db = str(tmp_path / "shop.db")
    assert {a.location for a in capture.accesses} == {Location.of("sqlite", path=db, table="orders"),
                                                       Location.of("sqlite", path=db, table="big")}
    assert _summary(capture) == [
        ("output", "sqlalchemy.execute", "orders", None, {"lifecycleStateChange": {"lifecycleStateChange": "CREATE"}}),
        ("input", "sqlalchemy.execute", "orders", "SELECT o.id FROM orders o WHERE o.qty > ?", {}),
        ("output", "sqlalchemy.execute", "big", "CREATE TABLE big AS SELECT * FROM orders WHERE qty > 5",
         {"lifecycleStateChange": {"lifecycleStateChange": "DROP"}}),  # CREATE then DROP: the later wins
    ]
    assert not any("example.com" in (a.query or "") for a in capture.accesses)  # bound values are never kept
    engine.dispose()


def test_orm_and_core_constructs(tmp_path: Path, capture: CellCapture) -> None:
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'core.db'}")
    meta = sa.MetaData()
    items = sa.Table("items", meta, sa.Column("id", sa.Integer, primary_key=True), sa.Column("name", sa.String))
    meta.create_all(engine)  # reflection (PRAGMA …) records nothing; CREATE TABLE does
    with engine.begin() as con:
        con.execute(items.insert(), [{"name": "a"}, {"name": "b"}])
        con.execute(sa.select(items.c.name).where(items.c.id > 1)).fetchall()
        con.execute(items.update().values(name="z"))
    assert [(a.direction, a.location.get("table")) for a in capture.accesses] == [
        ("output", "items"), ("input", "items")]
    engine.dispose()


def test_failing_statement_records_nothing_and_raises_unchanged(tmp_path: Path, capture: CellCapture) -> None:
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'f.db'}")
    with engine.begin() as con:
        con.execute(sa.text("CREATE TABLE t (id INTEGER PRIMARY KEY)"))
    before = list(capture.accesses)
    with engine.connect() as con:
        with pytest.raises(sa.exc.OperationalError) as raised:
            con.execute(sa.text("SELECT * FROM nowhere"))
        con.rollback()
        with pytest.raises(sa.exc.IntegrityError) as duplicate:
            con.execute(sa.text("INSERT INTO t VALUES (1), (1)"))
    assert "no such table: nowhere" in str(raised.value)
    assert "UNIQUE constraint failed" in str(duplicate.value)
    assert capture.accesses == before and capture.errors == []
    engine.dispose()


def test_pandas_through_an_engine_is_recorded_once(tmp_path: Path, capture: CellCapture) -> None:
    url = f"sqlite:///{tmp_path / 'p.db'}"
    engine = sa.create_engine(url)
    pd.DataFrame({"a": [1, 2]}).to_sql("src", engine, index=False)
    pd.read_sql("SELECT * FROM src", engine)
    pd.read_sql_table("src", url)
    db = str(tmp_path / "p.db")
    assert [(a.direction, a.via, a.location) for a in capture.accesses] == [
        ("output", "pandas.DataFrame.to_sql", Location.of("sqlite", path=db, table="src")),
        ("input", "pandas.read_sql", Location.of("sqlite", path=db, table="src")),
    ]
    assert {a.via for a in capture.accesses} == {"pandas.DataFrame.to_sql", "pandas.read_sql"}
    engine.dispose()


def test_uninstall_removes_the_listener(tmp_path: Path) -> None:
    registry = HookRegistry()
    registry.register(adapter)
    assert not event.contains(Engine, "after_cursor_execute", LISTENER)
    assert registry.install_available() == ["nbgov.capture.adapters.sqlalchemy:_LIFECYCLE.hook"]
    assert event.contains(Engine, "after_cursor_execute", LISTENER)
    second = HookRegistry()
    second.register(adapter)
    assert second.install_available() == []  # already on: not listened twice
    second.uninstall()
    assert event.contains(Engine, "after_cursor_execute", LISTENER)
    registry.uninstall()
    assert not event.contains(Engine, "after_cursor_execute", LISTENER)
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'u.db'}")
    capture = CellCapture()
    access.activate(capture)
    try:
        with engine.begin() as con:
            con.execute(sa.text("CREATE TABLE t (a)"))
    finally:
        access.deactivate()
    assert capture.accesses == []
    engine.dispose()


def test_locations_from_urls_never_hold_passwords(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pg = sa.create_engine("postgresql+psycopg://ana:s3cret@db.example:5433/sales")  # never connects
    assert engine_location(pg, "orders", "shop") == Location.of(
        "postgres", host="db.example", port=5433, database="sales", schema="shop", table="orders")
    assert engine_location(pg, "orders") == Location.of(
        "postgres", host="db.example", port=5433, database="sales", schema="public", table="orders")
    mysql = types.SimpleNamespace(url=sa.engine.make_url("mysql+pymysql://root:pw@localhost/crm"))
    assert engine_location(mysql, "leads") == Location.of("mysql", host="localhost", database="crm", table="leads")
    monkeypatch.chdir(tmp_path)
    duck = types.SimpleNamespace(url=sa.engine.make_url("duckdb:///w.duckdb"))
    assert engine_location(duck, "t", "main") == Location.of("duckdb", path=str(tmp_path / "w.duckdb"), table="t")
    memory = sa.create_engine("sqlite://")
    assert engine_location(memory, "t") == Location.of("sqlite", path=":memory:", table="t")
    assert engine_location(memory, "t", "temp") is None
    assert "s3cret" not in str(engine_location(pg, "orders")) and "pw" not in str(engine_location(mysql, "x"))
    pg.dispose()


@pytest.mark.postgres
def test_postgres_tables(postgres_url: str, capture: CellCapture) -> None:
    url = sa.engine.make_url(postgres_url).set(drivername="postgresql+psycopg")
    schema = postgres_url.rsplit("search_path%3D", 1)[1]
    engine = sa.create_engine(url)
    with engine.begin() as con:
        con.execute(sa.text(f'CREATE TABLE "{schema}".sales (region TEXT, amount INT)'))
        con.execute(sa.text(f'INSERT INTO "{schema}".sales VALUES (:r, :a)'), [{"r": "n", "a": 1}])
        con.execute(sa.text(f'SELECT region FROM "{schema}".sales')).fetchall()
        con.execute(sa.text("SELECT count(*) FROM pg_catalog.pg_class")).fetchall()  # the catalog: nothing
    expected = Location.of("postgres", host=url.host, port=url.port, database=url.database, schema=schema,
                           table="sales")
    assert [(a.direction, a.location) for a in capture.accesses] == [("output", expected), ("input", expected)]
    if url.password:
        assert all(url.password not in str(a.location) for a in capture.accesses)
    engine.dispose()
