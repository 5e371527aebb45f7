"""polars readers, lazy scans, writers and sinks as data accesses.

Hooked (through the ``polars`` module and its ``DataFrame`` / ``LazyFrame`` classes):

- **eager readers** ``read_csv``, ``read_parquet``, ``read_json``, ``read_ndjson``,
  ``read_ipc``, ``read_ipc_stream``, ``read_avro``, ``read_excel``, ``read_ods``: the
  file (or each file of a list) is an input; fields from the frame read, which is kept
  for profiling when one file was read.
- **SQL readers** ``read_database`` / ``read_database_uri``: as the pandas adapter does
  (:func:`nbgov.capture.adapters.pandas.connection_location`): a bare ``SELECT * FROM t``
  names the table, any other query records the database with the SQL text in
  :attr:`~nbgov.capture.access.Access.query`; ``DataFrame.write_database`` names its table.
- **lazy scans** ``scan_csv``, ``scan_parquet``, ``scan_ndjson``, ``scan_ipc`` record
  nothing: a scan reads no data. The read belongs to the cell that runs the query:
  ``LazyFrame.collect``, ``polars.collect_all`` and the ``LazyFrame.sink_*`` methods
  record every file the plan scans.
- **writers** ``DataFrame.write_csv``, ``write_parquet``, ``write_json``,
  ``write_ndjson``, ``write_ipc``, ``write_ipc_stream``, ``write_avro``,
  ``write_excel``: the file is an output, fields and profile from the frame.
- **sinks** ``LazyFrame.sink_parquet``, ``sink_csv``, ``sink_ipc``, ``sink_ndjson``: the
  scanned files are inputs, the target an output (fields from the plan's schema). A
  sink with ``lazy=True`` writes nothing yet and records nothing.

How the scanned files of a plan are found (:func:`scan_sources`): the text of
``LazyFrame.explain(optimized=False)`` — one ``<Format> SCAN [path, path, …]`` line per
scan, globs already expanded by polars, relative paths resolved against the working
directory at collect time. It is public, stable across polars 1.x–2.x, and never copies
in-memory data (``serialize()`` would embed every ``DataFrame`` in the plan). When
polars abbreviates a long list (``[a, ... 29 other sources]``) the JSON plan is read
instead, for that case only. A path holding ``", "`` is re-joined when the pieces do not
exist on disk. In-memory frames in a plan (``DF [...]``) are not files: the namespace
tracker sees them.

Fields of a collect's inputs are known only when the plan is a bare scan of one file
(``pl.scan_csv(p).collect()``): then the result is that file's content and is kept for
profiling. For any other plan the inputs carry no fields.
"""

from __future__ import annotations

import glob
import json
import os
import re
import sys
import warnings
from collections.abc import Iterable
from typing import Any

from nbgov.capture.access import Access
from nbgov.capture.hooks import Patch, argument, file_facets, location_for_path

MODULE = "polars"

__all__ = ["MODULE", "frame_fields", "patches", "scan_sources"]

#: eager readers; the path is argument 0 ``source``
_READERS = ("read_csv", "read_parquet", "read_json", "read_ndjson", "read_ipc", "read_ipc_stream",
            "read_avro", "read_excel", "read_ods")
#: DataFrame writers → keyword of their path argument (position 1, after self)
_WRITERS = {
    "write_csv": "file",
    "write_parquet": "file",
    "write_json": "file",
    "write_ndjson": "file",
    "write_ipc": "file",
    "write_ipc_stream": "file",
    "write_avro": "file",
    "write_excel": "workbook",
}
_SINKS = ("sink_parquet", "sink_csv", "sink_ipc", "sink_ndjson")

_SCAN_LINE = re.compile(r"^\s*(\w+) SCAN \[(.*)\]\s*$")
_ABBREVIATED = re.compile(r"^(.*), \.\.\. (\d+) other sources?$")
_PLAN_NOISE = re.compile(r"^\s*(PROJECT \*/\d+ COLUMNS|ESTIMATED ROWS: \d+)\s*$")


def frame_fields(obj: Any) -> tuple[tuple[str, str], ...] | None:
    """``(column, dtype)`` pairs of a polars ``DataFrame`` (or of a ``LazyFrame``'s schema)."""
    pl = sys.modules.get("polars")
    if pl is None:
        return None
    if isinstance(obj, pl.DataFrame):
        schema = obj.schema
    elif isinstance(obj, pl.LazyFrame):
        schema = obj.collect_schema()
    else:
        return None
    return tuple((str(name), str(dtype)) for name, dtype in schema.items())


def _is_frame(obj: Any) -> bool:
    pl = sys.modules.get("polars")
    return pl is not None and isinstance(obj, pl.DataFrame)


def _targets(source: Any) -> list[Any]:
    """A reader's source as a list of paths (polars accepts one path or a list)."""
    if isinstance(source, (list, tuple)):
        return list(source)
    return [source]


def _file_accesses(direction: str, sources: Iterable[Any], via: str, *,
                   fields: tuple[tuple[str, str], ...] | None = None, obj: Any = None) -> list[Access]:
    out = []
    for source in sources:
        location = location_for_path(source)
        if location is not None:
            out.append(Access(direction, location, via, fields=fields, facets=file_facets(location), obj=obj))
    return out


# ---------------------------------------------------------------- plan sources
def _split_paths(listing: str) -> list[str]:
    """``a.csv, b.csv`` → paths; pieces that do not exist are re-joined with the next."""
    pieces = listing.split(", ")
    out: list[str] = []
    pending = ""
    for piece in pieces:
        candidate = f"{pending}, {piece}" if pending else piece
        if "://" in candidate or os.path.exists(candidate) or glob.has_magic(candidate):
            out.append(candidate)
            pending = ""
        else:
            pending = candidate
    if pending:  # nothing existed: keep polars' own split
        out.extend(pending.split(", ") if not out else [pending])
    return out


def _json_sources(lf: Any) -> list[str]:
    """Every ``Scan`` source path of the plan, from its JSON serialisation."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        plan = json.loads(lf.serialize(format="json"))
    found: list[str] = []
    stack = [plan]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            scan = node.get("Scan")
            if isinstance(scan, dict):
                paths = (scan.get("sources") or {}).get("Paths") or []
                for path in paths:
                    text = path.get("inner") if isinstance(path, dict) else path
                    if isinstance(text, str):
                        found.extend(sorted(glob.glob(text)) if glob.has_magic(text) and "://" not in text
                                     else [text])
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    return found


def _plan_text(lf: Any) -> str:
    return lf.explain(optimized=False)


def scan_sources(lf: Any, plan: str | None = None) -> list[str]:
    """The files a ``LazyFrame``'s plan scans, in plan order, without duplicates.

    Args:
        lf: a polars ``LazyFrame``.
        plan: its ``explain(optimized=False)`` text, when the caller has it already.

    Returns:
        The paths or URLs as polars will read them (relative paths as given).
    """
    plan = _plan_text(lf) if plan is None else plan
    found: list[str] = []
    abbreviated = False
    for line in plan.splitlines():
        match = _SCAN_LINE.match(line)
        if match is None:
            continue
        listing = match.group(2)
        short = _ABBREVIATED.match(listing)
        if short is not None:
            abbreviated = True
            break
        found.extend(_split_paths(listing))
    if abbreviated:
        found = _json_sources(lf)
    return list(dict.fromkeys(found))


def _bare_scan(plan: str) -> bool:
    """Whether the plan is one scan and nothing else (its result is the file's content)."""
    lines = [line for line in plan.splitlines() if line.strip() and not _PLAN_NOISE.match(line)]
    return len(lines) == 1 and _SCAN_LINE.match(lines[0]) is not None


def _plan_inputs(lf: Any, via: str, result: Any = None) -> list[Access]:
    plan = _plan_text(lf)
    sources = scan_sources(lf, plan)
    if len(sources) == 1 and _is_frame(result) and _bare_scan(plan):
        return _file_accesses("input", sources, via, fields=frame_fields(result), obj=result)
    return _file_accesses("input", sources, via)


# ----------------------------------------------------------------- describers
def _reader(name: str) -> Patch:
    via = f"polars.{name}"

    def describe(args: tuple, kwargs: dict, result: Any) -> list[Access]:
        sources = _targets(argument(args, kwargs, 0, "source"))
        framed = _is_frame(result)
        return _file_accesses("input", sources, via, fields=frame_fields(result) if framed else None,
                              obj=result if framed and len(sources) == 1 else None)

    return Patch(f"polars:{name}", describe, via=via)


def _writer(name: str, keyword: str) -> Patch:
    via = f"polars.DataFrame.{name}"

    def describe(args: tuple, kwargs: dict, result: Any) -> list[Access]:
        frame = args[0]
        target = argument(args, kwargs, 1, keyword)
        if target is None:  # returns the text instead of writing
            return []
        return _file_accesses("output", [target], via, fields=frame_fields(frame), obj=frame)

    return Patch(f"polars:DataFrame.{name}", describe, via=via)


def _describe_collect(args: tuple, kwargs: dict, result: Any) -> list[Access]:
    if not _is_frame(result):  # background=True: an InProcessQuery, nothing read yet
        return []
    return _plan_inputs(args[0], "polars.LazyFrame.collect", result)


def _describe_collect_all(args: tuple, kwargs: dict, result: Any) -> list[Access]:
    if not isinstance(result, list):  # lazy=True
        return []
    frames = argument(args, kwargs, 0, "lazy_frames")
    out: list[Access] = []
    for lf, df in zip(frames, result):
        out.extend(_plan_inputs(lf, "polars.collect_all", df))
    return out


def _sink(name: str) -> Patch:
    via = f"polars.LazyFrame.{name}"

    def describe(args: tuple, kwargs: dict, result: Any) -> list[Access]:
        pl = sys.modules["polars"]
        if isinstance(result, pl.LazyFrame):  # lazy=True: nothing written yet
            return []
        lf = args[0]
        target = argument(args, kwargs, 1, "path")
        out = _plan_inputs(lf, via)
        location = location_for_path(target)
        if location is not None:
            out.append(Access("output", location, via, fields=frame_fields(lf), facets=file_facets(location)))
        return out

    return Patch(f"polars:LazyFrame.{name}", describe, via=via)


# ------------------------------------------------------------------------- SQL
def _describe_read_database(name: str) -> Patch:
    via = f"polars.{name}"
    con_keyword = "uri" if name == "read_database_uri" else "connection"

    def describe(args: tuple, kwargs: dict, result: Any) -> list[Access]:
        from nbgov.capture.adapters.pandas import sql_read_access

        query = argument(args, kwargs, 0, "query")
        framed = _is_frame(result)
        return sql_read_access(query if isinstance(query, str) else str(query),
                               argument(args, kwargs, 1, con_keyword), via,
                               fields=frame_fields(result) if framed else None, obj=result if framed else None)

    return Patch(f"polars:{name}", describe, via=via)


def _describe_write_database(args: tuple, kwargs: dict, result: Any) -> list[Access]:
    from nbgov.capture.adapters.pandas import connection_location

    frame = args[0]
    table = str(argument(args, kwargs, 1, "table_name"))
    con = argument(args, kwargs, 2, "connection")
    schema, _, name = table.rpartition(".")
    location = connection_location(con, name, schema or None)
    if location is None:
        return []
    return [Access("output", location, "polars.DataFrame.write_database", fields=frame_fields(frame), obj=frame)]


def patches() -> list[Patch]:
    """The polars patches (polars is imported by the caller already)."""
    pl = sys.modules.get("polars") or __import__("polars")
    out = [_reader(name) for name in _READERS if hasattr(pl, name)]
    out += [_describe_read_database(name) for name in ("read_database", "read_database_uri") if hasattr(pl, name)]
    out += [_writer(name, keyword) for name, keyword in _WRITERS.items() if hasattr(pl.DataFrame, name)]
    if hasattr(pl.DataFrame, "write_database"):
        out.append(Patch("polars:DataFrame.write_database", _describe_write_database,
                         via="polars.DataFrame.write_database"))
    out.append(Patch("polars:LazyFrame.collect", _describe_collect, via="polars.LazyFrame.collect"))
    if hasattr(pl, "collect_all"):
        out.append(Patch("polars:collect_all", _describe_collect_all, via="polars.collect_all"))
    out += [_sink(name) for name in _SINKS if hasattr(pl.LazyFrame, name)]
    return out

