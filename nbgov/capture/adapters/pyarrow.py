"""pyarrow's Parquet, CSV and dataset readers and writers as data accesses.

Hooked:

- ``pyarrow.parquet``: ``read_table``, ``read_pandas`` (input: the source as given — a
  file, each file of a list, or a dataset's root directory), ``write_table`` (output),
  ``write_to_dataset`` (output: the root directory), ``ParquetFile.read`` /
  ``read_row_group`` / ``read_row_groups`` / ``iter_batches`` (input: the file the
  ``ParquetFile`` was opened on) and ``ParquetDataset.read`` / ``read_pandas`` (input:
  the path(s) it was opened on, else its ``files``).
- ``pyarrow.csv``: ``read_csv`` and ``open_csv`` (input), ``write_csv`` (output).
- ``pyarrow.dataset``: ``dataset(...)`` (input: the path(s) given, a directory staying
  one dataset; else the dataset's ``files``) and ``write_dataset`` (output: ``base_dir``).

A directory is named as the directory, never as the part files inside it, so a dataset
written with ``write_dataset`` / ``write_to_dataset`` and read back by its root meet in
one lineage node.

Where a dataset read is recorded: pyarrow's ``Dataset`` and ``Scanner`` are compiled
(Cython) classes whose methods cannot be patched, so ``dataset.to_table()`` is not seen
itself; the read is recorded when the dataset is **opened** — ``ds.dataset(path)``
already lists the files and reads their schema. A dataset opened in one cell and read
in a later one is attributed to the opening cell.

A ``ParquetFile`` / ``ParquetDataset`` remembers its source in a side table (weak keys)
when it is opened in a capturing cell; a ``ParquetFile`` opened while nbgov was off or
before it loaded is not named (a ``ParquetDataset`` falls back to its ``files``).

Fields come from the Arrow schema (``str(field.type)``: ``int64``, ``string`` …); the
table read or written is kept for profiling when it is exactly one file's content.

When the hooks install: the adapter waits for ``pyarrow.parquet`` (``MODULE``), not for
``pyarrow`` itself — pandas imports ``pyarrow`` while pandas is still initialising, and
installing then would find pandas half-built. ``pyarrow.parquet`` is imported by the
user (``import pyarrow.parquet as pq``) or lazily by ``pd.read_parquet`` /
``to_parquet``, both after pandas is complete. ``patches()`` then imports
``pyarrow.csv`` (cheap) and ``pyarrow.dataset`` (about 20 ms; pyarrow's own pandas shim
imports pandas at that point if it is installed and not imported yet). So
``pyarrow.csv`` and ``pyarrow.dataset`` calls are seen from the first cell after
``pyarrow.parquet`` was imported; a session that uses only ``pyarrow.csv`` is not
seen (the adapter contract has one ``MODULE`` per adapter).
"""

from __future__ import annotations

import sys
import weakref
from collections.abc import Iterable
from typing import Any

from nbgov.capture.access import Access, Location
from nbgov.capture.hooks import Patch, argument, file_facets, location_for_path

MODULE = "pyarrow.parquet"

__all__ = ["MODULE", "patches", "table_fields"]

class _Opened:
    """Object → the locations it was opened on, by identity, dropped when the object dies
    (``ParquetDataset`` defines ``__eq__`` and so is not hashable)."""

    def __init__(self) -> None:
        self._by_id: dict[int, tuple[weakref.ref[Any], list[Location]]] = {}

    def __setitem__(self, obj: Any, locations: list[Location]) -> None:
        key = id(obj)
        by_id = self._by_id
        self._by_id[key] = (weakref.ref(obj, lambda _, key=key: by_id.pop(key, None)), locations)

    def get(self, obj: Any) -> list[Location] | None:
        found = self._by_id.get(id(obj))
        if found is None or found[0]() is not obj:
            return None
        return found[1]

    def __len__(self) -> int:
        return len(self._by_id)


#: ParquetFile / ParquetDataset → the locations it was opened on
_opened = _Opened()


def table_fields(obj: Any) -> tuple[tuple[str, str], ...] | None:
    """``(column, type)`` pairs of a pyarrow ``Table`` / ``RecordBatch`` / ``Schema`` /
    dataset, or ``None`` for anything else."""
    pa = sys.modules.get("pyarrow")
    if pa is None:
        return None
    schema = obj if isinstance(obj, pa.Schema) else getattr(obj, "schema", None)
    if not isinstance(schema, pa.Schema):
        return None
    return tuple((str(f.name), str(f.type)) for f in schema)


def _is_table(obj: Any) -> bool:
    pa = sys.modules.get("pyarrow")
    return pa is not None and isinstance(obj, (pa.Table, pa.RecordBatch))


def _accesses(direction: str, targets: Iterable[Any], via: str, data: Any) -> list[Access]:
    targets = list(targets)
    fields = table_fields(data)
    keep = data if _is_table(data) and len(targets) == 1 else None
    out = []
    for target in targets:
        location = target if isinstance(target, Location) else location_for_path(target)
        if location is not None:
            out.append(Access(direction, location, via, fields=fields, facets=file_facets(location), obj=keep))
    return out


def _many(source: Any) -> list[Any]:
    return list(source) if isinstance(source, (list, tuple)) else [source]


# -------------------------------------------------------------------- parquet
def _paths(source: Any) -> list[Any] | None:
    """A source given as path(s) — a file, a directory (a dataset's root) or a list —
    as a list; ``None`` for anything else (a buffer, a file system object)."""
    import os

    items = _many(source)
    if items and all(isinstance(s, (str, os.PathLike)) for s in items):
        return items
    return None


def _describe_read_table(via: str):
    def describe(args: tuple, kwargs: dict, result: Any) -> list[Access]:
        return _accesses("input", _many(argument(args, kwargs, 0, "source")), via, result)

    return describe


def _describe_write_table(args: tuple, kwargs: dict, result: Any) -> list[Access]:
    table = argument(args, kwargs, 0, "table")
    return _accesses("output", [argument(args, kwargs, 1, "where")], "pyarrow.parquet.write_table", table)


def _describe_write_to_dataset(args: tuple, kwargs: dict, result: Any) -> list[Access]:
    table = argument(args, kwargs, 0, "table")
    root = argument(args, kwargs, 1, "root_path")
    return _accesses("output", [root], "pyarrow.parquet.write_to_dataset", table)


def _describe_parquet_file_open(args: tuple, kwargs: dict, result: Any) -> list[Access]:
    location = location_for_path(argument(args, kwargs, 1, "source"))
    if location is not None:
        _opened[args[0]] = [location]
    return []


def _describe_parquet_dataset_open(args: tuple, kwargs: dict, result: Any) -> list[Access]:
    paths = _paths(argument(args, kwargs, 1, "path_or_paths"))
    if paths is not None:
        _opened[args[0]] = [loc for loc in map(location_for_path, paths) if loc is not None]
    return []


def _parquet_file_read(name: str) -> Patch:
    via = f"pyarrow.parquet.ParquetFile.{name}"

    def describe(args: tuple, kwargs: dict, result: Any) -> list[Access]:
        (location,) = _opened.get(args[0]) or (None,)
        if location is None:
            return []
        whole = name == "read" and argument(args, kwargs, 1, "columns") is None
        return [Access("input", location, via, fields=table_fields(args[0].schema_arrow),
                       facets=file_facets(location), obj=result if whole and _is_table(result) else None)]

    return Patch(f"pyarrow.parquet:ParquetFile.{name}", describe, via=via)


def _parquet_dataset_read(name: str) -> Patch:
    via = f"pyarrow.parquet.ParquetDataset.{name}"

    def describe(args: tuple, kwargs: dict, result: Any) -> list[Access]:
        locations = _opened.get(args[0])
        return _accesses("input", locations if locations is not None else args[0].files, via, result)

    return Patch(f"pyarrow.parquet:ParquetDataset.{name}", describe, via=via)


# ------------------------------------------------------------------------ csv
def _describe_read_csv(via: str):
    def describe(args: tuple, kwargs: dict, result: Any) -> list[Access]:
        data = result if _is_table(result) else getattr(result, "schema", None)
        return _accesses("input", [argument(args, kwargs, 0, "input_file")], via, data)

    return describe


def _describe_write_csv(args: tuple, kwargs: dict, result: Any) -> list[Access]:
    data = argument(args, kwargs, 0, "data")
    return _accesses("output", [argument(args, kwargs, 1, "output_file")], "pyarrow.csv.write_csv", data)


# -------------------------------------------------------------------- dataset
def _describe_dataset(args: tuple, kwargs: dict, result: Any) -> list[Access]:
    paths = _paths(argument(args, kwargs, 0, "source"))
    if paths is None:  # a file system, in-memory data or other datasets
        paths = list(getattr(result, "files", None) or [])
    return _accesses("input", paths, "pyarrow.dataset.dataset", getattr(result, "schema", None))


def _describe_write_dataset(args: tuple, kwargs: dict, result: Any) -> list[Access]:
    data = argument(args, kwargs, 0, "data")
    base_dir = argument(args, kwargs, 1, "base_dir")
    return _accesses("output", [base_dir], "pyarrow.dataset.write_dataset", getattr(data, "schema", None))


def patches() -> list[Patch]:
    """The pyarrow patches; imports ``pyarrow.parquet``, ``pyarrow.csv`` and ``pyarrow.dataset``."""
    import importlib

    # by sys.modules, not attribute: right after its import ``pyarrow.parquet`` is not
    # yet an attribute of the ``pyarrow`` package
    parquet = importlib.import_module("pyarrow.parquet")
    importlib.import_module("pyarrow.csv")
    importlib.import_module("pyarrow.dataset")
    out = [
        Patch("pyarrow.parquet:read_table", _describe_read_table("pyarrow.parquet.read_table"),
              via="pyarrow.parquet.read_table"),
        Patch("pyarrow.parquet:write_table", _describe_write_table, via="pyarrow.parquet.write_table"),
        Patch("pyarrow.parquet:write_to_dataset", _describe_write_to_dataset, via="pyarrow.parquet.write_to_dataset"),
        Patch("pyarrow.parquet:ParquetFile.__init__", _describe_parquet_file_open,
              via="pyarrow.parquet.ParquetFile"),
        Patch("pyarrow.parquet:ParquetDataset.__init__", _describe_parquet_dataset_open,
              via="pyarrow.parquet.ParquetDataset"),
        Patch("pyarrow.csv:read_csv", _describe_read_csv("pyarrow.csv.read_csv"), via="pyarrow.csv.read_csv"),
        Patch("pyarrow.csv:open_csv", _describe_read_csv("pyarrow.csv.open_csv"), via="pyarrow.csv.open_csv"),
        Patch("pyarrow.csv:write_csv", _describe_write_csv, via="pyarrow.csv.write_csv"),
        Patch("pyarrow.dataset:dataset", _describe_dataset, via="pyarrow.dataset.dataset"),
        Patch("pyarrow.dataset:write_dataset", _describe_write_dataset, via="pyarrow.dataset.write_dataset"),
    ]
    if hasattr(parquet, "read_pandas"):
        out.append(Patch("pyarrow.parquet:read_pandas", _describe_read_table("pyarrow.parquet.read_pandas"),
                         via="pyarrow.parquet.read_pandas"))
    out += [_parquet_file_read(name) for name in ("read", "read_row_group", "read_row_groups", "iter_batches")
            if hasattr(parquet.ParquetFile, name)]
    out += [_parquet_dataset_read(name) for name in ("read", "read_pandas")
            if hasattr(parquet.ParquetDataset, name)]
    return out
