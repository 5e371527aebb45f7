"""The pyarrow adapter against real files: Parquet, CSV and datasets; pandas on top records pandas only."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

pa = pytest.importorskip("pyarrow")

import pyarrow.csv as pa_csv
import pyarrow.dataset as pa_ds
import pyarrow.parquet as pq

from nbgov.capture import access
from nbgov.capture.access import CellCapture, Location
from nbgov.capture.adapters import pyarrow as adapter
from nbgov.capture.hooks import HookRegistry
from tests.capture.conftest import active_capture, installed_hooks

FIELDS = (("id", "int64"), ("city", "string"))


@pytest.fixture
def registry() -> Iterator[HookRegistry]:
    with installed_hooks(adapter, "nbgov.capture.adapters.pandas") as reg:
        yield reg


@pytest.fixture
def capture(registry: HookRegistry) -> Iterator[CellCapture]:
    with active_capture() as cap:
        yield cap


@pytest.fixture
def table() -> pa.Table:
    return pa.table({"id": [1, 2, 3], "city": ["Oslo", None, "Rome"]})


def _rows(cap: CellCapture) -> list[tuple[str, Location, str, tuple | None]]:
    return [(a.direction, a.location, a.via, a.fields) for a in cap.accesses]


def _fresh() -> CellCapture:
    cap = CellCapture()
    access.activate(cap)
    return cap


def test_parquet_round_trip(tmp_path: Path, table: pa.Table, capture: CellCapture) -> None:
    path = tmp_path / "t.parquet"
    pq.write_table(table, path)
    back = pq.read_table(str(path))
    assert back.equals(table)
    assert _rows(capture) == [
        ("output", Location.file(path), "pyarrow.parquet.write_table", FIELDS),
        ("input", Location.file(path), "pyarrow.parquet.read_table", FIELDS),
    ]
    written, read = capture.accesses
    assert written.obj is table and read.obj is back
    assert read.facets["version"]["datasetVersion"].startswith(f"{path.stat().st_size}-")


def test_parquet_file_and_dataset(tmp_path: Path, table: pa.Table, capture: CellCapture) -> None:
    path = tmp_path / "t.parquet"
    pq.write_table(table, path)
    root = tmp_path / "by_city"
    pq.write_to_dataset(table, root)
    cap = _fresh()
    parquet_file = pq.ParquetFile(path)  # opening reads no rows
    assert cap.accesses == []
    whole = parquet_file.read()
    list(parquet_file.iter_batches(batch_size=1))
    pq.ParquetDataset(root).read()
    assert _rows(cap) == [
        ("input", Location.file(path), "pyarrow.parquet.ParquetFile.read", FIELDS),
        ("input", Location.file(root), "pyarrow.parquet.ParquetDataset.read", FIELDS),
    ]
    assert cap.accesses[0].obj is whole
    cap = _fresh()
    parquet_file.read(columns=["id"])  # a projection is not the file's content: no profile
    assert cap.accesses[0].obj is None


def test_csv(tmp_path: Path, table: pa.Table, capture: CellCapture) -> None:
    path = tmp_path / "t.csv"
    pa_csv.write_csv(table, path)
    read = pa_csv.read_csv(path)
    cap = _fresh()
    pa_csv.open_csv(str(path)).read_all()
    assert _rows(capture) == [
        ("output", Location.file(path), "pyarrow.csv.write_csv", FIELDS),
        ("input", Location.file(path), "pyarrow.csv.read_csv", FIELDS),
    ]
    assert capture.accesses[1].obj is read
    assert _rows(cap) == [("input", Location.file(path), "pyarrow.csv.open_csv", FIELDS)]


def test_dataset_is_read_when_opened_and_directories_stay_one_node(tmp_path: Path, table: pa.Table,
                                                                    capture: CellCapture) -> None:
    root = tmp_path / "ds"
    pa_ds.write_dataset(table, root, format="parquet")
    dataset = pa_ds.dataset(root, format="parquet")
    assert dataset.to_table().num_rows == 3
    (part,) = dataset.files
    pa_ds.dataset([part], format="parquet")
    assert _rows(capture) == [
        ("output", Location.file(root), "pyarrow.dataset.write_dataset", FIELDS),
        ("input", Location.file(root), "pyarrow.dataset.dataset", FIELDS),
        ("input", Location.file(part), "pyarrow.dataset.dataset", FIELDS),
    ]


def test_pandas_over_pyarrow_records_pandas_only(tmp_path: Path, capture: CellCapture) -> None:
    import pandas as pd

    path = tmp_path / "p.parquet"
    pd.DataFrame({"id": [1, 2]}).to_parquet(path)  # pandas → pyarrow.parquet.write_table
    pd.read_parquet(path)  # pandas → pyarrow.parquet.read_table / ParquetFile
    assert [(a.direction, a.via) for a in capture.accesses] == [
        ("output", "pandas.DataFrame.to_parquet"),
        ("input", "pandas.read_parquet"),
    ]


def test_failing_call_records_nothing_and_raises_the_users_error(tmp_path: Path, capture: CellCapture,
                                                                 registry: HookRegistry) -> None:
    missing = tmp_path / "missing.parquet"
    with pytest.raises(FileNotFoundError) as hooked:
        pq.read_table(missing)
    with pytest.raises(pa.ArrowInvalid) as hooked_csv:
        pa_csv.read_csv(pa.BufferReader(b"a,b\n1,2,3\n"))
    registry.uninstall()
    with pytest.raises(FileNotFoundError) as plain:
        pq.read_table(missing)
    assert str(hooked.value) == str(plain.value)
    assert "Expected 2 columns, got 3" in str(hooked_csv.value)
    assert capture.accesses == [] and capture.errors == []


def test_uninstall_restores_the_originals() -> None:
    originals = {
        "read_table": pq.read_table,
        "read_csv": pa_csv.read_csv,
        "dataset": pa_ds.dataset,
        "ParquetFile.read": pq.ParquetFile.__dict__["read"],
        "ParquetFile.__init__": pq.ParquetFile.__dict__["__init__"],
    }
    reg = HookRegistry()
    reg.register(adapter)
    reg.install_available()
    assert pa_csv.read_csv is not originals["read_csv"]
    assert pa_csv.read_csv.__nbgov_original__ is originals["read_csv"]
    assert pq.ParquetFile.__dict__["read"].__wrapped__ is originals["ParquetFile.read"]
    reg.uninstall()
    assert pq.read_table is originals["read_table"] and pa_csv.read_csv is originals["read_csv"]
    assert pa_ds.dataset is originals["dataset"]
    assert pq.ParquetFile.__dict__["read"] is originals["ParquetFile.read"]
    assert pq.ParquetFile.__dict__["__init__"] is originals["ParquetFile.__init__"]
