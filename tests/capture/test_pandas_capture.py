"""The pandas adapter against real files and databases, without IPython."""

from __future__ import annotations

import io
import sqlite3
from pathlib import Path

import pandas as pd
import pytest

from nbgov.capture import access
from nbgov.capture.access import CellCapture, Location
from nbgov.capture.adapters import default_registry
from nbgov.capture.adapters.pandas import bare_table, connection_location


@pytest.fixture
def capture():
    registry = default_registry()
    registry.install_available()
    cap = CellCapture()
    access.activate(cap)
    yield cap
    access.deactivate()
    registry.uninstall()


@pytest.fixture
def frame() -> pd.DataFrame:
    return pd.DataFrame({"id": [1, 2, 3], "city": ["Oslo", None, "Rome"], "amount": [1.5, 2.0, None]})


def _summary(cap: CellCapture) -> list[tuple[str, str, str, str | None]]:
    return [(a.direction, a.via, a.location.kind, a.location.get("table") or a.location.get("path"))
            for a in cap.accesses]


def test_files_round_trip(tmp_path: Path, frame: pd.DataFrame, capture: CellCapture) -> None:
    csv, parquet, js, pkl, feather = (tmp_path / n for n in ("a.csv", "b.parquet", "c.json", "d.pkl", "e.feather"))
    frame.to_csv(csv, index=False)
    back = pd.read_csv(str(csv))
    back.to_parquet(parquet)
    pd.read_parquet(parquet).to_json(js)
    pd.read_json(js).to_pickle(pkl)
    pd.read_pickle(pkl).to_feather(feather)
    pd.read_feather(feather)
    pd.read_table(csv, sep=",")  # same file, same direction: merged
    assert _summary(capture) == [
        ("output", "pandas.DataFrame.to_csv", "file", str(csv)),
        ("input", "pandas.read_csv", "file", str(csv)),
        ("output", "pandas.DataFrame.to_parquet", "file", str(parquet)),
        ("input", "pandas.read_parquet", "file", str(parquet)),
        ("output", "pandas.DataFrame.to_json", "file", str(js)),
        ("input", "pandas.read_json", "file", str(js)),
        ("output", "pandas.DataFrame.to_pickle", "file", str(pkl)),
        ("input", "pandas.read_pickle", "file", str(pkl)),
        ("output", "pandas.DataFrame.to_feather", "file", str(feather)),
        ("input", "pandas.read_feather", "file", str(feather)),
    ]
    read = capture.accesses[1]
    assert read.fields == (("id", "int64"), ("city", str(back["city"].dtype)), ("amount", "float64"))
    assert read.obj is not back and read.obj.equals(back)  # merged: the later read_table frame
    size = csv.stat().st_size
    assert read.facets["version"]["datasetVersion"].startswith(f"{size}-")
    assert read.facets["dataSource"] == {"name": "file", "uri": f"file://{csv}"}


def test_unrecorded_targets(frame: pd.DataFrame, capture: CellCapture) -> None:
    text = frame.to_csv()
    pd.read_csv(io.StringIO(text))
    frame.to_json()
    assert capture.accesses == []


def test_failing_read_records_nothing(tmp_path: Path, capture: CellCapture) -> None:
    with pytest.raises(FileNotFoundError) as raised:
        pd.read_csv(tmp_path / "missing.csv")
    assert str(tmp_path / "missing.csv") in str(raised.value)
    assert capture.accesses == [] and capture.errors == []


def test_sql_tables_and_queries(tmp_path: Path, frame: pd.DataFrame, capture: CellCapture) -> None:
    db = tmp_path / "shop.db"
    con = sqlite3.connect(db)
    frame.to_sql("orders", con, index=False)
    pd.read_sql("SELECT * FROM orders", con)
    pd.read_sql_query("select city, sum(amount) from orders group by city", con)
    con.close()
    assert _summary(capture) == [
        ("output", "pandas.DataFrame.to_sql", "sqlite", "orders"),
        ("input", "pandas.read_sql", "sqlite", "orders"),
        ("input", "pandas.read_sql_query", "sqlite", str(db)),
    ]
    query = capture.accesses[2]
    assert query.location == Location.of("sqlite", path=str(db))
    assert query.query.startswith("select city")


def test_sqlalchemy_nested_calls_recorded_once(tmp_path: Path, frame: pd.DataFrame, capture: CellCapture) -> None:
    sqlalchemy = pytest.importorskip("sqlalchemy")
    db = tmp_path / "warehouse.db"
    engine = sqlalchemy.create_engine(f"sqlite:///{db}")
    frame.to_sql("sales", engine, index=False)
    got = pd.read_sql_table("sales", engine)  # pandas → SQLAlchemy → sqlite3, recorded once
    pd.read_sql("sales", engine)  # a bare table name through read_sql
    engine.dispose()
    assert _summary(capture) == [
        ("output", "pandas.DataFrame.to_sql", "sqlite", "sales"),
        ("input", "pandas.read_sql_table", "sqlite", "sales"),
    ]
    assert capture.accesses[1].location.get("path") == str(db)
    assert len(got) == 3


def test_connection_locations_and_bare_tables() -> None:
    assert connection_location("postgresql+psycopg://u:pw@db.example:5433/sales", "t") == Location.of(
        "postgres", host="db.example", port=5433, database="sales", schema="public", table="t")
    assert connection_location("mysql://h/shop") == Location.of("mysql", host="h", database="shop")
    assert connection_location(object()) is None
    assert bare_table("SELECT * FROM analytics.orders;") == ("analytics", "orders")
    assert bare_table('"My Table"') == (None, "My Table")
    assert bare_table("select id from t") is None
    assert bare_table("select * from a join b on a.x = b.x") is None
