"""The polars adapter against real files: eager reads and writes, scans recorded at collect, sinks."""

from __future__ import annotations

import inspect
import sqlite3
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest

pl = pytest.importorskip("polars")

from nbgov.capture import access
from nbgov.capture.access import Access, CellCapture, Location
from nbgov.capture.adapters import polars as adapter
from nbgov.capture.hooks import HookRegistry
from tests.capture.conftest import active_capture, installed_hooks

FIELDS = (("id", "Int64"), ("city", "String"), ("amount", "Float64"))


@pytest.fixture
def registry() -> Iterator[HookRegistry]:
    with installed_hooks(adapter, "nbgov.capture.adapters.pandas") as reg:
        yield reg


@pytest.fixture
def capture(registry: HookRegistry) -> Iterator[CellCapture]:
    with active_capture() as cap:
        yield cap


@pytest.fixture
def frame() -> pl.DataFrame:
    return pl.DataFrame({"id": [1, 2, 3], "city": ["Oslo", None, "Rome"], "amount": [1.5, 2.0, None]})


@pytest.fixture
def files(tmp_path: Path, frame: pl.DataFrame) -> dict[str, Path]:
    """The frame in every format, written before any capture."""
    paths = {ext: tmp_path / f"data.{ext}" for ext in ("csv", "parquet", "json", "ndjson", "arrow")}
    frame.write_csv(paths["csv"])
    frame.write_parquet(paths["parquet"])
    frame.write_json(paths["json"])
    frame.write_ndjson(paths["ndjson"])
    frame.write_ipc(paths["arrow"])
    return paths


def _rows(cap: CellCapture) -> list[tuple[str, Location, str, tuple | None]]:
    return [(a.direction, a.location, a.via, a.fields) for a in cap.accesses]


def _fresh(capture: CellCapture) -> CellCapture:
    """A new capture for the next step (the fixture's one is replaced)."""
    cap = CellCapture()
    access.activate(cap)
    return cap


def test_eager_readers(files: dict[str, Path], frame: pl.DataFrame, capture: CellCapture) -> None:
    read = pl.read_csv(files["csv"])
    pl.read_parquet(str(files["parquet"]))
    pl.read_json(files["json"])
    pl.read_ndjson(files["ndjson"])
    pl.read_ipc(files["arrow"])
    assert _rows(capture) == [
        ("input", Location.file(files["csv"]), "polars.read_csv", FIELDS),
        ("input", Location.file(files["parquet"]), "polars.read_parquet", FIELDS),
        ("input", Location.file(files["json"]), "polars.read_json", FIELDS),
        ("input", Location.file(files["ndjson"]), "polars.read_ndjson", FIELDS),
        ("input", Location.file(files["arrow"]), "polars.read_ipc", FIELDS),
    ]
    first = capture.accesses[0]
    assert first.obj is read  # kept for profiling
    size = files["csv"].stat().st_size
    assert first.facets["version"]["datasetVersion"].startswith(f"{size}-")
    assert first.facets["dataSource"] == {"name": "file", "uri": f"file://{files['csv']}"}


def test_writers(tmp_path: Path, frame: pl.DataFrame, capture: CellCapture) -> None:
    targets = {name: tmp_path / f"out.{ext}" for name, ext in
               (("csv", "csv"), ("parquet", "parquet"), ("json", "json"), ("ndjson", "ndjson"), ("ipc", "arrow"))}
    for name, path in targets.items():
        getattr(frame, f"write_{name}")(path)
    text = frame.write_csv()  # returns the text: nothing written
    assert text.startswith("id,city,amount")
    assert _rows(capture) == [
        ("output", Location.file(path), f"polars.DataFrame.write_{name}", FIELDS) for name, path in targets.items()
    ]
    assert all(a.obj is frame for a in capture.accesses)


def test_scan_reads_at_collect(files: dict[str, Path], frame: pl.DataFrame, capture: CellCapture,
                               tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    lazy = (pl.scan_parquet("data.parquet")
            .join(pl.scan_csv(files["csv"]), on="id", suffix="_csv")
            .filter(pl.col("amount") > 0))
    assert capture.accesses == []  # a scan reads nothing
    result = lazy.collect()
    assert result.height == 2
    assert _rows(capture) == [
        ("input", Location.file(files["parquet"]), "polars.LazyFrame.collect", None),
        ("input", Location.file(files["csv"]), "polars.LazyFrame.collect", None),
    ]
    assert all(a.obj is None for a in capture.accesses)

    cap = _fresh(capture)
    bare = pl.scan_ndjson(files["ndjson"]).collect()  # a bare scan: the result is the file's content
    pl.concat([pl.scan_ipc(files["arrow"]), pl.scan_ipc(files["arrow"])]).collect()
    assert _rows(cap) == [
        ("input", Location.file(files["ndjson"]), "polars.LazyFrame.collect", FIELDS),
        ("input", Location.file(files["arrow"]), "polars.LazyFrame.collect", None),
    ]
    assert cap.accesses[0].obj is bare


def test_many_sources_and_collect_all(tmp_path: Path, frame: pl.DataFrame, capture: CellCapture) -> None:
    parts = [tmp_path / f"part-{i:02}.parquet" for i in range(12)]
    for path in parts:
        frame.write_parquet(path)
    capture = _fresh(capture)
    # polars abbreviates a long source list in explain(); the JSON plan lists them all
    assert "other sources" in pl.scan_parquet(parts).explain(optimized=False)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the fallback's deprecation warning is not the user's
        pl.scan_parquet(parts).collect()
    pl.collect_all([pl.scan_parquet(str(tmp_path / "part-0*.parquet")), pl.scan_parquet(parts[11])])
    assert [a.location for a in capture.accesses] == [Location.file(p) for p in parts]
    assert [a.via for a in capture.accesses] == ["polars.LazyFrame.collect"] * 12


def test_sinks(files: dict[str, Path], tmp_path: Path, capture: CellCapture) -> None:
    out = tmp_path / "sunk.parquet"
    pl.scan_csv(files["csv"]).select("id", "city").sink_parquet(out)
    pl.scan_parquet(files["parquet"]).sink_ndjson(tmp_path / "later.ndjson", lazy=True)  # writes nothing yet
    assert _rows(capture) == [
        ("input", Location.file(files["csv"]), "polars.LazyFrame.sink_parquet", None),
        ("output", Location.file(out), "polars.LazyFrame.sink_parquet", (("id", "Int64"), ("city", "String"))),
    ]
    assert out.exists() and not (tmp_path / "later.ndjson").exists()


def test_read_database_follows_the_sql_convention(tmp_path: Path, capture: CellCapture) -> None:
    db = tmp_path / "shop.db"
    con = sqlite3.connect(db)
    con.execute("CREATE TABLE orders (id INTEGER, amount REAL)")
    con.execute("INSERT INTO orders VALUES (1, 2.5)")
    con.commit()
    pl.read_database("SELECT * FROM orders", con)
    query = "SELECT id, sum(amount) AS total FROM orders GROUP BY id"
    pl.read_database(query, con)
    con.close()
    assert [(a.direction, a.location, a.via, a.query) for a in capture.accesses] == [
        ("input", Location.of("sqlite", path=str(db), table="orders"), "polars.read_database", None),
        ("input", Location.of("sqlite", path=str(db)), "polars.read_database", query),
    ]


def test_nested_calls_record_the_outermost_only(files: dict[str, Path], capture: CellCapture) -> None:
    # polars' readers may scan and collect inside; calls inside nbgov's own work record nothing
    pl.read_parquet(files["parquet"])
    with access.calling():
        pl.scan_csv(files["csv"]).collect()
        pl.read_csv(files["csv"])
    assert [a.via for a in capture.accesses] == ["polars.read_parquet"]


def test_failing_call_records_nothing_and_raises_the_users_error(tmp_path: Path, capture: CellCapture,
                                                                 registry: HookRegistry) -> None:
    missing = tmp_path / "missing.csv"
    with pytest.raises(FileNotFoundError) as hooked:
        pl.read_csv(missing)
    with pytest.raises(Exception) as lazily:
        pl.scan_parquet(tmp_path / "missing.parquet").collect()
    registry.uninstall()
    with pytest.raises(FileNotFoundError) as plain:
        pl.read_csv(missing)
    with pytest.raises(Exception) as plain_lazily:
        pl.scan_parquet(tmp_path / "missing.parquet").collect()
    assert str(hooked.value) == str(plain.value)
    assert type(lazily.value) is type(plain_lazily.value) and str(lazily.value) == str(plain_lazily.value)
    assert capture.accesses == [] and capture.errors == []
    assert not access.nested()


def test_describe_failure_is_recorded_not_raised(files: dict[str, Path], capture: CellCapture,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(lf, plan=None):
        raise RuntimeError("plan unreadable")

    monkeypatch.setattr(adapter, "scan_sources", broken)
    result = pl.scan_csv(files["csv"]).collect()
    assert result.height == 3
    assert capture.accesses == []
    ((stage, exc),) = capture.errors
    assert stage == "capture:polars.LazyFrame.collect" and str(exc) == "plan unreadable"


def test_uninstall_restores_the_originals() -> None:
    originals = {
        "read_csv": pl.read_csv,
        "collect": pl.LazyFrame.__dict__["collect"],
        "write_parquet": pl.DataFrame.__dict__["write_parquet"],
        "sink_csv": pl.LazyFrame.__dict__["sink_csv"],
    }
    reg = HookRegistry()
    reg.register(adapter)
    installed = reg.install_available()
    assert {"polars:read_csv", "polars:LazyFrame.collect", "polars:scan_csv"} & set(installed) == {
        "polars:read_csv", "polars:LazyFrame.collect"}  # scans are not hooked: they read nothing
    # polars decorates its own readers, so unwrap one level: ours
    assert pl.read_csv is not originals["read_csv"] and pl.read_csv.__wrapped__ is originals["read_csv"]
    assert pl.read_csv.__nbgov_original__ is originals["read_csv"]
    assert inspect.signature(pl.read_csv) == inspect.signature(originals["read_csv"])
    reg.uninstall()
    assert pl.read_csv is originals["read_csv"]
    assert pl.LazyFrame.__dict__["collect"] is originals["collect"]
    assert pl.DataFrame.__dict__["write_parquet"] is originals["write_parquet"]
    assert pl.LazyFrame.__dict__["sink_csv"] is originals["sink_csv"]


def test_scan_sources_reads_the_plan(tmp_path: Path, frame: pl.DataFrame) -> None:
    odd = tmp_path / "a, b.csv"  # a path polars prints with its list separator inside
    frame.write_csv(odd)
    plain = tmp_path / "c.csv"
    frame.write_csv(plain)
    lf = pl.concat([pl.scan_csv([odd, plain]), frame.lazy()])
    assert adapter.scan_sources(lf) == [str(odd), str(plain)]
    assert adapter.scan_sources(frame.lazy()) == []


def test_access_records_are_hashable_values(files: dict[str, Path], capture: CellCapture) -> None:
    pl.read_csv(files["csv"])
    (got,) = capture.accesses
    assert got == Access("input", Location.file(files["csv"]), "polars.read_csv", fields=FIELDS,
                         facets=got.facets)


# ------------------------------------------------------------------ real kernel
NOTEBOOK = Path(__file__).resolve().parents[1] / "notebooks" / "adapters_columnar.ipynb"


def test_real_kernel_columnar_notebook(tmp_path: Path) -> None:
    """tests/notebooks/adapters_columnar.ipynb in a real kernel (nbclient, as papermill and CI
    run notebooks): a polars scan read by the cell that collects and writes, a DuckDB COPY,
    pyarrow Parquet, and a polars frame DuckDB reads by name — exactly, in the store."""
    nbclient = pytest.importorskip("nbclient")
    nbformat = pytest.importorskip("nbformat")
    pytest.importorskip("ipykernel")
    pytest.importorskip("duckdb")
    import os

    from tests.capture.conftest import cell_runs, stored_events
    from tests.spec import assert_spec_valid

    (tmp_path / "sales.csv").write_text("city,amount\nOslo,1.5\nRome,4.0\nOslo,2.0\nRome,-1.0\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NBGOV_", "OPENLINEAGE", "JPY_SESSION"))}
    env.update(NBGOV_STORE=str(tmp_path / "lineage.db"), NBGOV_NOTEBOOK="adapters_columnar.ipynb", NBGOV_EMIT="0")
    nb = nbformat.read(NOTEBOOK, as_version=4)
    old = dict(os.environ)
    os.environ.clear()
    os.environ.update(env)  # the kernel inherits this process's environment
    try:
        nbclient.NotebookClient(nb, kernel_name="python3", timeout=120,
                                resources={"metadata": {"path": str(tmp_path)}}).execute()
    finally:
        os.environ.clear()
        os.environ.update(old)

    errors = [o for c in nb.cells for o in c.get("outputs", []) if o.output_type == "error"
              or (o.get("name") == "stderr" and "nbgov" in o.get("text", ""))]
    assert errors == []
    assert "[('Oslo', 3.5), ('Rome', 3.0)]" in "".join(
        o.get("data", {}).get("text/plain", "") for o in nb.cells[-1].outputs)  # the DuckDB query saw `orders`
    assert pl.read_csv(tmp_path / "big.csv").to_dicts() == [{"city": "Oslo", "amount": 3.5}, {"city": "Rome", "amount": 4.0}]

    events = stored_events(tmp_path / "lineage.db")
    assert_spec_valid(events)
    final = {}
    for runs in cell_runs(events).values():
        assert [e["eventType"] for e in runs] == ["START", "COMPLETE"]
        source = runs[-1]["job"]["facets"]["sourceCode"]["sourceCode"]
        final[source] = ({(d["namespace"], d["name"]) for d in runs[-1]["inputs"]},
                         {(d["namespace"], d["name"]) for d in runs[-1]["outputs"]})

    def file(name: str) -> tuple[str, str]:
        return ("file", str(tmp_path / name))

    def frame(name: str) -> tuple[str, str]:
        return ("dataframe://notebook", f"adapters_columnar.ipynb/{name}")

    sources = [c.source for c in nb.cells if c.cell_type == "code"]
    scan, collect, copy, arrow, read, create = sources[2:]
    assert final == {
        scan: (set(), {frame("lazy")}),  # the scan read nothing; the tracker sees the new LazyFrame
        collect: ({frame("lazy"), file("sales.csv")}, {file("by_city.parquet")}),
        copy: ({file("by_city.parquet")}, {file("big.csv")}),
        arrow: ({file("by_city.parquet")}, {file("copy.parquet")}),
        read: ({file("sales.csv")}, {frame("orders")}),
        create: ({frame("orders"), ("duckdb://:memory:", "adapters_columnar.ipynb/main.totals")},
                 {("duckdb://:memory:", "adapters_columnar.ipynb/main.totals")}),
    }
    copy_end = next(r[-1] for r in cell_runs(events).values()
                    if r[-1]["job"]["facets"]["sourceCode"]["sourceCode"] == copy)
    by_city = next(d for d in copy_end["inputs"] if d["name"] == str(tmp_path / "by_city.parquet"))
    size = (tmp_path / "by_city.parquet").stat().st_size
    assert by_city["facets"]["version"]["datasetVersion"].startswith(f"{size}-")
