"""Macie-style batch scans: classify the columns of data files and record the tags.

:func:`scan_files` walks files and folders (recursively) for CSV/TSV, Parquet and JSON /
JSON Lines files, keeps those under an ``include`` prefix, picks a deterministic
``sampling_percentage`` of them (as Macie samples objects), reads a bounded, seeded
sample of each (never the whole of a big file), classifies it with
:func:`~nbgov.governance.pii.classify_pii` and — given a store — records the findings as
tags of the file's dataset (namespace ``file``, name the absolute path) with
:func:`~nbgov.governance.tags.record_tags`.

A file that cannot be read fails alone: its :class:`FileScan` carries one line saying
what went wrong and where (``line 5: expected 3 fields, saw 7``); the scan goes on.

Reading a sample of at most ``max_rows`` rows:

- CSV/TSV: the whole file if it has at most ``max_rows`` rows; else the first half
  from the top (parsed by pandas, quoting respected) plus seeded blocks of lines from
  byte offsets spread over the rest of the file (a block cut inside a quoted
  multi-line field is dropped). The delimiter is sniffed among ``, ; TAB |``.
- JSON Lines: the same, line by line; a malformed line in the top part fails the file.
- JSON: a document (an array of records or one object) is read whole; nested objects
  are flattened to ``a.b`` columns.
- Parquet: with pyarrow, the first rows of the first row group plus the first rows of
  seeded other row groups (only those are decoded); without pyarrow, pandas.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import math
import random
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from nbgov.emit.events import dataset_name_for
from nbgov.errors import ConfigError, NbgovError
from nbgov.governance.pii import CustomIdentifier, Likelihood, PiiConfigError, PiiReport, classify_pii
from nbgov.governance.tags import record_tags
from nbgov.governance.taxonomy import Taxonomy, load_taxonomy

if TYPE_CHECKING:
    from nbgov.store import Store

__all__ = [
    "DEFAULT_MAX_ROWS",
    "FORMATS",
    "FileReadError",
    "FileScan",
    "ScanError",
    "ScanReport",
    "find_files",
    "load_custom_identifiers",
    "read_sample",
    "scan_files",
]

#: file suffix -> format
FORMATS: Mapping[str, str] = {
    ".csv": "csv", ".tsv": "csv", ".parquet": "parquet", ".pq": "parquet",
    ".json": "json", ".jsonl": "jsonl", ".ndjson": "jsonl",
}
#: rows read per file unless told otherwise
DEFAULT_MAX_ROWS = 10_000
_BLOCKS = 8


class ScanError(NbgovError):
    """A scan's arguments are invalid (no such path, bad percentage, bad custom file)."""


class FileReadError(NbgovError):
    """One file could not be read: what went wrong and where.

    Attributes:
        path: the file.
        line: the 1-based line of the problem, when known.
        reason: what went wrong, without the path.
    """

    def __init__(self, path: str | Path, reason: str, *, line: int | None = None) -> None:
        where = f"{path}:{line}" if line is not None else str(path)
        super().__init__(f"{where}: {reason}")
        self.path = str(path)
        self.line = line
        self.reason = reason


@dataclass(frozen=True)
class FileScan:
    """The outcome of scanning one file.

    Attributes:
        path: the file's absolute path.
        format: ``csv``, ``parquet``, ``json`` or ``jsonl``.
        namespace: its OpenLineage dataset namespace (``file``).
        name: its OpenLineage dataset name (the absolute path).
        rows_sampled: rows classified.
        complete: whether every row of the file was read.
        fields: ``(column, type)`` of the columns read.
        report: the classification (None when the file failed).
        error: one line saying what went wrong and where (None when it did not).
    """

    path: str
    format: str
    namespace: str
    name: str
    rows_sampled: int = 0
    complete: bool = False
    fields: tuple[tuple[str, str], ...] = ()
    report: PiiReport | None = None
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None

    @property
    def pii_columns(self) -> tuple[str, ...]:
        return self.report.pii_columns if self.report else ()

    @property
    def info_types(self) -> tuple[str, ...]:
        """Distinct info types found, in finding order."""
        return tuple(dict.fromkeys(f.info_type for f in self.report.findings)) if self.report else ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "path": self.path, "format": self.format, "namespace": self.namespace, "name": self.name,
            "rows_sampled": self.rows_sampled, "complete": self.complete,
            "columns": [c for c, _ in self.fields], "pii_columns": list(self.pii_columns),
            "info_types": list(self.info_types),
            "findings": [f.to_dict() for f in self.report.findings] if self.report else [],
            "error": self.error,
        }


@dataclass(frozen=True)
class ScanReport:
    """The outcome of :func:`scan_files`.

    Attributes:
        files: one per file scanned (failed ones included), in path order.
        skipped: files found but left out by ``sampling_percentage``.
        recorded: whether findings were written to a store.
    """

    files: tuple[FileScan, ...]
    skipped: int = 0
    recorded: bool = False
    failed: tuple[FileScan, ...] = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "failed", tuple(f for f in self.files if not f.ok))

    @property
    def ok(self) -> bool:
        return not self.failed

    @property
    def with_pii(self) -> tuple[FileScan, ...]:
        return tuple(f for f in self.files if f.pii_columns)

    def to_dict(self) -> dict[str, Any]:
        return {
            "scanned": len(self.files), "failed": len(self.failed), "skipped": self.skipped,
            "files_with_pii": len(self.with_pii), "recorded": self.recorded,
            "files": [f.to_dict() for f in self.files],
        }

    def to_frame(self) -> pd.DataFrame:
        """One row per file: ``path, format, rows_sampled, pii_columns, info_types, error``."""
        return pd.DataFrame(
            [(f.path, f.format, f.rows_sampled, ", ".join(f.pii_columns), ", ".join(f.info_types), f.error)
             for f in self.files],
            columns=["path", "format", "rows_sampled", "pii_columns", "info_types", "error"],
        )

    def __repr__(self) -> str:
        return (f"ScanReport({len(self.files)} files, {len(self.with_pii)} with PII, {len(self.failed)} failed,"
                f" {self.skipped} skipped)")


# --------------------------------------------------------------------- finding files
def _relative(path: Path, root: Path) -> str:
    return path.name if path == root else path.relative_to(root).as_posix()


def find_files(
    paths: Iterable[str | Path],
    *,
    include: Sequence[str] = (),
    sampling_percentage: float = 100.0,
    seed: int = 0,
) -> tuple[list[Path], int]:
    """The data files to scan under ``paths``, and how many sampling left out.

    Folders are walked recursively (hidden entries, starting with ``.``, are skipped);
    files are kept by suffix (:data:`FORMATS`). A file named directly is kept whatever
    its name, if its suffix is known.

    Args:
        paths: files and folders.
        include: keep only files whose path relative to the folder given starts with
            one of these prefixes (``2024/`` or ``raw/cust``); a file given directly is
            matched by its name.
        sampling_percentage: keep this percentage of the files found (at least one),
            chosen by a seeded hash of the relative path, so the choice is repeatable.
        seed: changes which files are chosen.

    Returns:
        ``(files, skipped)``: absolute paths, sorted and unique, and the count left out.

    Raises:
        ScanError: a path does not exist, or the percentage is not in (0, 100].
    """
    if not (isinstance(sampling_percentage, (int, float)) and 0 < sampling_percentage <= 100):
        raise ScanError(f"sampling percentage must be in (0, 100], got {sampling_percentage!r}")
    prefixes = [p.strip().removeprefix("./") for p in include if p and p.strip()]
    found: dict[Path, str] = {}
    for given in paths:
        root = Path(given).expanduser()
        if not root.exists():
            raise ScanError(f"no such file or folder: {given}")
        root = root.resolve()
        candidates = [root] if root.is_file() else sorted(
            p for p in root.rglob("*")
            if p.is_file() and not any(part.startswith(".") for part in p.relative_to(root).parts)
        )
        for path in candidates:
            if path.suffix.lower() not in FORMATS:
                continue
            rel = _relative(path, root)
            if prefixes and not any(rel.startswith(p) for p in prefixes):
                continue
            found.setdefault(path, rel)
    files = sorted(found)
    if sampling_percentage >= 100 or not files:
        return files, 0
    keep = max(1, math.ceil(len(files) * sampling_percentage / 100))
    ranked = sorted(files, key=lambda p: hashlib.sha256(f"{seed}:{found[p]}".encode()).hexdigest())
    chosen = sorted(ranked[:keep])
    return chosen, len(files) - len(chosen)


# -------------------------------------------------------------------------- reading
def _skip_lines(fh: Any, count: int) -> None:
    """Move past ``count`` non-blank lines."""
    seen = 0
    while seen < count:
        line = fh.readline()
        if not line:
            return
        seen += bool(line.strip())


def _block_lines(fh: Any, start: int, size: int, want: int, seed: int) -> list[list[bytes]]:
    """Blocks of about ``want`` lines in all, from seeded offsets in ``[start, size)``."""
    if want <= 0 or start >= size:
        return []
    rng = random.Random(seed)
    per_block = math.ceil(want / _BLOCKS)
    offsets = sorted(start + int(rng.random() * (size - start)) for _ in range(_BLOCKS))
    blocks, end = [], start
    for offset in offsets:
        offset = max(offset, end)
        if offset >= size:
            break
        fh.seek(offset)
        if offset > 0:
            fh.seek(offset - 1)
            if fh.read(1) != b"\n":
                fh.readline()  # drop the partial line
        lines = []
        while len(lines) < per_block:
            line = fh.readline()
            if not line:
                break
            if line.strip():
                lines.append(line)
        end = fh.tell()
        if lines:
            blocks.append(lines)
    return blocks


def _sniff(sample: bytes, suffix: str) -> str:
    if suffix == ".tsv":
        return "\t"
    try:
        return csv.Sniffer().sniff(sample.decode("utf-8", "replace"), delimiters=",;\t|").delimiter
    except csv.Error:
        return ","


_LINE = re.compile(r"line (\d+)")


def _read_csv(path: Path, max_rows: int, seed: int) -> tuple[pd.DataFrame, bool]:
    with open(path, "rb") as fh:
        first = fh.read(65536)
    if not first.strip():
        return pd.DataFrame(), True
    sep = _sniff(first, path.suffix.lower())
    options: dict[str, Any] = {"sep": sep, "dtype": str, "encoding": "utf-8", "encoding_errors": "replace",
                               "skip_blank_lines": True}
    try:
        head = pd.read_csv(path, nrows=max_rows + 1, **options)
    except pd.errors.EmptyDataError:
        return pd.DataFrame(), True
    except pd.errors.ParserError as exc:
        text = " ".join(str(exc).split())
        match = _LINE.search(text)
        reason = _LINE.sub("", text.split("C error: ", 1)[-1]).replace(" in ,", ",").strip()
        reason = reason[0].lower() + reason[1:] if reason else reason
        raise FileReadError(path, f"malformed CSV: {reason}", line=int(match.group(1)) if match else None) from None
    if len(head) <= max_rows:
        return head, True
    keep = max_rows // 2
    head = head.iloc[:keep]
    columns = [str(c) for c in head.columns]
    frames = [head]
    with open(path, "rb") as fh:
        _skip_lines(fh, keep + 1)  # header + kept rows (approximate with quoted newlines; blocks may overlap)
        start = fh.tell()
        size = path.stat().st_size
        for lines in _block_lines(fh, start, size, max_rows - keep, seed):
            try:
                block = pd.read_csv(io.BytesIO(b"".join(lines)), header=None, names=columns, index_col=False,
                                    on_bad_lines="skip", **options)
            except (pd.errors.ParserError, pd.errors.EmptyDataError, ValueError):
                continue  # a block cut inside a quoted field: drop it
            frames.append(block)
    return pd.concat(frames, ignore_index=True).iloc[:max_rows], False


def _flatten(records: list[Any]) -> pd.DataFrame:
    if records and all(isinstance(r, dict) for r in records):
        frame = pd.json_normalize(records)
    else:
        frame = pd.DataFrame({"value": records})
    for column in frame.columns:
        if frame[column].dtype == object:
            frame[column] = frame[column].map(
                lambda v: json.dumps(v, ensure_ascii=False, default=str) if isinstance(v, (list, dict)) else v
            )
    return frame


def _json_line(path: Path, line: bytes, number: int | None) -> Any:
    try:
        return json.loads(line)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        if number is None:
            raise
        col = f", column {exc.colno}" if isinstance(exc, json.JSONDecodeError) else ""
        reason = exc.msg if isinstance(exc, json.JSONDecodeError) else "not UTF-8 text"
        raise FileReadError(path, f"invalid JSON{col}: {reason}", line=number) from None


def _read_jsonl(path: Path, max_rows: int, seed: int) -> tuple[pd.DataFrame, bool]:
    records: list[Any] = []
    with open(path, "rb") as fh:
        number = 0
        kept_end = 0
        while len(records) < max_rows + 1:
            line = fh.readline()
            if not line:
                return _flatten(records), True
            number += 1
            if not line.strip():
                continue
            records.append(_json_line(path, line, number))
            if len(records) == max_rows // 2:
                kept_end = fh.tell()
        records = records[: max_rows // 2]
        for lines in _block_lines(fh, kept_end, path.stat().st_size, max_rows - len(records), seed):
            for line in lines:
                try:
                    records.append(json.loads(line))
                except (json.JSONDecodeError, UnicodeDecodeError):
                    continue  # a broken line far in the file: skipped, the sample is still valid
    return _flatten(records[:max_rows]), False


def _read_json(path: Path, max_rows: int, seed: int) -> tuple[pd.DataFrame, bool]:
    raw = path.read_bytes()
    if not raw.strip():
        return pd.DataFrame(), True
    try:
        doc = json.loads(raw)
    except json.JSONDecodeError as exc:
        if exc.msg == "Extra data":  # one object per line: JSON Lines named .json
            return _read_jsonl(path, max_rows, seed)
        raise FileReadError(path, f"invalid JSON, column {exc.colno}: {exc.msg}", line=exc.lineno) from None
    except UnicodeDecodeError:
        raise FileReadError(path, "invalid JSON: not UTF-8 text") from None
    records = doc if isinstance(doc, list) else [doc]
    if len(records) <= max_rows:
        return _flatten(records), True
    rng = random.Random(seed)
    keep = max_rows // 2
    rest = sorted(rng.sample(range(keep, len(records)), max_rows - keep))
    return _flatten(records[:keep] + [records[i] for i in rest]), False


def _read_parquet(path: Path, max_rows: int, seed: int) -> tuple[pd.DataFrame, bool, list[tuple[str, str]]]:
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError:
        try:
            frame = pd.read_parquet(path)
        except ImportError as exc:
            raise FileReadError(path, f"reading Parquet needs pyarrow or fastparquet ({exc})") from None
        except Exception as exc:  # noqa: BLE001 — the engines raise errors with no common base
            raise FileReadError(path, f"not a readable Parquet file: {exc}") from None
        return frame.iloc[:max_rows], len(frame) <= max_rows, []
    try:
        pf = pq.ParquetFile(path)
        total = pf.metadata.num_rows
        if total <= max_rows:
            table = pf.read()
        elif pf.num_row_groups == 1:
            table = pa.Table.from_batches([next(pf.iter_batches(batch_size=max_rows))])
        else:
            first = next(pf.iter_batches(batch_size=max_rows // 2, row_groups=[0]))
            others = list(range(1, pf.num_row_groups))
            random.Random(seed).shuffle(others)
            picked = sorted(others[:_BLOCKS])
            per = math.ceil((max_rows - first.num_rows) / len(picked))
            batches = [first] + [next(pf.iter_batches(batch_size=per, row_groups=[g])) for g in picked]
            table = pa.Table.from_batches(batches).slice(0, max_rows)
        while any(pa.types.is_struct(f.type) for f in table.schema):
            table = table.flatten()
        fields = [(f.name, str(f.type)) for f in table.schema]
        frame = table.to_pandas()
    except (pa.ArrowException, OSError, StopIteration) as exc:
        text = " ".join(str(exc).split()).split(". ")[0] or type(exc).__name__
        raise FileReadError(path, f"not a readable Parquet file: {text}") from None
    return frame, total <= max_rows, fields


def _type_of(column: pd.Series) -> str:
    kind = column.dtype.kind
    simple = {"i": "integer", "u": "integer", "f": "double", "b": "boolean", "M": "timestamp"}
    if kind in simple:
        return simple[kind]
    values = column.dropna()
    inferred = pd.api.types.infer_dtype(values, skipna=True)
    if inferred == "integer":
        return "integer"
    if inferred in ("floating", "mixed-integer-float"):
        return "double"
    if inferred == "boolean":
        return "boolean"
    if inferred != "string":
        return "string"
    values = values[values.str.strip() != ""]
    if values.empty or pd.to_numeric(values, errors="coerce").isna().any():
        return "string"
    return "integer" if values.str.fullmatch(r"\s*[-+]?\d+\s*").all() else "double"


def read_sample(
    path: str | Path, *, max_rows: int = DEFAULT_MAX_ROWS, seed: int = 0
) -> tuple[pd.DataFrame, bool, list[tuple[str, str]]]:
    """A bounded, seeded sample of a data file (see the module docstring for how).

    Args:
        path: a CSV/TSV, Parquet, JSON or JSON Lines file (by suffix).
        max_rows: at most this many rows.
        seed: changes which rows beyond the first ones are read.

    Returns:
        ``(frame, complete, fields)``: the rows read (CSV and JSON Lines cells as text),
        whether that is the whole file, and ``(column, type)`` per column.

    Raises:
        FileReadError: the file cannot be read or is malformed (with the line, when known).
        ScanError: the suffix is not a known format, or ``max_rows`` < 2.
    """
    if not isinstance(max_rows, int) or isinstance(max_rows, bool) or max_rows < 2:
        raise ScanError(f"max_rows must be an int >= 2, got {max_rows!r}")
    file = Path(path)
    fmt = FORMATS.get(file.suffix.lower())
    if fmt is None:
        raise ScanError(f"{file}: unknown format (expected one of {', '.join(sorted(FORMATS))})")
    try:
        if fmt == "parquet":
            frame, complete, fields = _read_parquet(file, max_rows, seed)
        else:
            reader = {"csv": _read_csv, "jsonl": _read_jsonl, "json": _read_json}[fmt]
            frame, complete = reader(file, max_rows, seed)
            fields = []
    except OSError as exc:
        raise FileReadError(file, f"cannot read: {exc.strerror or exc}") from None
    frame.columns = [str(c) for c in frame.columns]
    if not fields:
        fields = [(c, _type_of(frame[c])) for c in frame.columns]
    return frame, complete, fields


# --------------------------------------------------------------- custom identifiers
def load_custom_identifiers(path: str | Path) -> list[CustomIdentifier]:
    """Macie-style custom identifiers from a YAML or JSON file.

    The file holds a list of ``{name, regex, keywords, max_distance, ignore_words}``
    mappings (or a mapping with that list under ``custom_identifiers``).

    Raises:
        ConfigError: the file cannot be read or parsed, or an identifier is invalid —
            the message names the file (and the line, for syntax errors).
    """
    import yaml

    file = Path(path).expanduser()
    try:
        text = file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read: {exc}", source=str(file)) from None
    try:
        data = json.loads(text) if file.suffix.lower() == ".json" else yaml.safe_load(text)
    except json.JSONDecodeError as exc:
        raise ConfigError(f"invalid JSON, column {exc.colno}: {exc.msg}", source=f"{file}:{exc.lineno}") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise ConfigError(f"invalid YAML: {problem}",
                          source=f"{file}:{mark.line + 1}" if mark is not None else str(file)) from None
    if isinstance(data, Mapping) and "custom_identifiers" in data:
        data = data["custom_identifiers"]
    if data is None:
        return []
    if not isinstance(data, list):
        raise ConfigError("expected a list of custom identifiers", source=str(file))
    try:
        return _identifiers(data)
    except PiiConfigError as exc:
        raise ConfigError(str(exc), source=str(file)) from None


def _identifiers(items: Iterable[Mapping[str, Any] | CustomIdentifier]) -> list[CustomIdentifier]:
    out = [CustomIdentifier.from_mapping(c, index=i) for i, c in enumerate(items)]
    names = [c.name for c in out]
    if len(set(names)) != len(names):
        raise PiiConfigError("custom identifier names must be unique", field="custom")
    return out


# --------------------------------------------------------------------------- scanning
def scan_files(
    paths: Iterable[str | Path],
    *,
    include: Sequence[str] = (),
    sampling_percentage: float = 100.0,
    max_rows: int = DEFAULT_MAX_ROWS,
    custom: Iterable[Mapping[str, Any] | CustomIdentifier] | None = None,
    min_likelihood: Likelihood | str | int = "LIKELY",
    seed: int = 0,
    store: Store | None = None,
    taxonomy: Taxonomy | None = None,
    emit: bool = False,
    on_file: Callable[[FileScan, int, int], None] | None = None,
) -> ScanReport:
    """Scan data files for PII and (given a store) record the findings as column tags.

    Args:
        paths: files and folders (see :func:`find_files`).
        include: path prefixes to keep, relative to each folder given.
        sampling_percentage: the percentage of files to scan (deterministic).
        max_rows: rows read per file at most (see :func:`read_sample`).
        custom: custom identifiers for :func:`~nbgov.governance.pii.classify_pii`.
        min_likelihood: findings below this level are left out.
        seed: changes which files and rows are sampled.
        store: record each file's findings there (:func:`~nbgov.governance.tags.record_tags`);
            None records nothing.
        taxonomy: policy tags for the findings; default :func:`load_taxonomy`.
        emit: also queue the recorded events for the OpenLineage backend.
        on_file: called after each file with ``(file_scan, index, total)`` — for progress.

    Returns:
        A :class:`ScanReport`; unreadable files are in it with their error.

    Raises:
        ScanError: a path does not exist or an argument is invalid.
        PiiConfigError: a custom identifier is invalid.
        StoreError: the store cannot be written.
    """
    files, skipped = find_files(paths, include=include, sampling_percentage=sampling_percentage, seed=seed)
    customs = _identifiers(custom) if custom is not None else []
    threshold = Likelihood.parse(min_likelihood)
    tax = taxonomy or load_taxonomy()
    results: list[FileScan] = []
    for index, path in enumerate(files):
        namespace, name = dataset_name_for("file", path=str(path))
        base = {"path": str(path), "format": FORMATS[path.suffix.lower()], "namespace": namespace, "name": name}
        try:
            frame, complete, fields = read_sample(path, max_rows=max_rows, seed=seed)
        except FileReadError as exc:
            result = FileScan(**base, error=str(exc))
        else:
            report = classify_pii(frame, custom=customs, min_likelihood=threshold, seed=seed)
            result = FileScan(**base, rows_sampled=len(frame), complete=complete, fields=tuple(fields),
                              report=report)
            if store is not None:
                record_tags(store, namespace, name, report, fields=fields, taxonomy=tax, emit=emit)
        results.append(result)
        if on_file is not None:
            on_file(result, index, len(files))
    return ScanReport(tuple(results), skipped=skipped, recorded=store is not None)
