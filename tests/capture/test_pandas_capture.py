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


# --------------------------------------------------------- schemas kept by reference
def test_read_schema_is_the_read_frames_columns_until_it_changes(tmp_path: Path, frame: pd.DataFrame) -> None:
    from nbgov.capture.access import DeferredFields
    from nbgov.capture.adapters.pandas import ReadSchema, frame_fields

    fresh = frame.copy()
    schema = ReadSchema(fresh)
    as_read = frame_fields(fresh)
    assert isinstance(schema, DeferredFields) and schema.unchanged(fresh)
    fresh.loc[0, "amount"] = 9.5  # values change, the schema does not
    assert schema.unchanged(fresh) and not schema.unchanged(frame)
    for change in ("fresh['new'] = 1", "fresh.rename(columns={'id': 'key'}, inplace=True)",
                   "fresh['id'] = fresh['id'].astype(str)", "fresh.drop(columns=['city'], inplace=True)"):
        changed, schema = frame.copy(), None
        schema = ReadSchema(changed)
        exec(change, {"fresh": changed})
        assert not schema.unchanged(changed), change
        assert tuple(schema) == as_read and schema == as_read and len(schema) == 3, change  # as read
        assert frame_fields(changed) != as_read, change


def test_a_frame_changed_after_its_read_or_write_keeps_the_columns_read_or_written(shell, tmp_path: Path) -> None:
    import json

    from tests.capture.conftest import run, stored_events

    pd.DataFrame({"a": [1, 2], "b": [0.5, 1.5]}).to_csv(tmp_path / "in.csv", index=False)
    run(shell, "import pandas as pd\n%load_ext nbgov")
    run(shell, "df = pd.read_csv('in.csv')\ndf.to_parquet('out.parquet')\n"
               "df['c'] = df['a'].astype(str)\ndf = df.rename(columns={'a': 'z'})")
    run(shell, "%unload_ext nbgov")
    end = [e for e in stored_events(tmp_path / "lineage.db") if e.get("eventType") == "COMPLETE" and e["inputs"]][-1]
    by_name = {d["name"].rsplit("/", 1)[-1]: d for d in [*end["inputs"], *end["outputs"]]}
    schema = {k: [(f["name"], f["type"]) for f in d["facets"]["schema"]["fields"]] for k, d in by_name.items()}
    assert schema["in.csv"] == schema["out.parquet"] == [("a", "int64"), ("b", "float64")]
    assert schema["df"] == [("z", "int64"), ("b", "float64"), ("c", str(pd.Series(["x"]).dtype))]
    # metrics measured after the cell describe the changed frame, so the file datasets get none
    assert "dataQualityMetrics" not in json.dumps(by_name["in.csv"]) + json.dumps(by_name["out.parquet"])
    assert by_name["df"]["facets"]["dataQualityMetrics"]["rowCount"] == 2


def test_deferred_fields_that_cannot_be_worked_out_are_empty_not_an_error() -> None:
    from nbgov.capture.access import Access, DeferredFields, Location

    class Broken(DeferredFields):
        def resolve(self):
            raise RuntimeError("the kept blocks are gone")

        def unchanged(self, obj):
            return False

    access = Access("input", Location.file("/tmp/x.csv"), "test", fields=Broken())
    assert isinstance(access.fields, DeferredFields)  # kept as given, not converted eagerly
    assert tuple(access.fields) == () and not access.fields and access.fields == ()
