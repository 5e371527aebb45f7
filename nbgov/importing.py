"""Reading OpenLineage event files and importing them into a store.

Three input shapes are accepted, told apart by the first JSON value in the input:

* **NDJSON** — one event per line (blank lines skipped); read line by line, so a file
  of any size streams. A line that is not JSON is rejected alone and reading goes on.
* **JSON array** — ``[event, event, …]``; read element by element in chunks, so it
  streams too. A syntax error ends the file (the rest cannot be resynchronised).
* **one JSON document** holding a single event spread over several lines (e.g. a
  pretty-printed fixture): used when the first line alone is not JSON but the whole
  input is; otherwise the input is read as NDJSON.

Every event is validated against the OpenLineage spec (:mod:`nbgov.emit.validate`);
valid ones are stored in batches with :meth:`nbgov.store.Store.add_events`, invalid
ones are rejected one by one with their location (``file:LINE`` for NDJSON,
``file[INDEX]`` for an array element) and the path of the wrong field.

No click here: the command line wraps :func:`import_files`.
"""

from __future__ import annotations

import codecs
import json
import sys
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import IO, TYPE_CHECKING, Any

from nbgov.errors import NbgovError

if TYPE_CHECKING:
    from nbgov.store import Store

__all__ = [
    "EventSource",
    "ImportReport",
    "Rejection",
    "import_files",
    "read_events",
]

#: events per store transaction
BATCH_SIZE = 500
_CHUNK = 1 << 20


class ImportFileError(NbgovError):
    """An input file cannot be opened or read."""


@dataclass(frozen=True)
class EventSource:
    """Where one event came from.

    Attributes:
        file: the file name as given (``-`` for standard input).
        line: 1-based line where the event starts.
        index: 0-based position of the event in its file.
        array: whether the file is a JSON array (then locations use ``[index]``).
    """

    file: str
    line: int
    index: int
    array: bool = False

    def __str__(self) -> str:
        return f"{self.file}[{self.index}]" if self.array else f"{self.file}:{self.line}"


@dataclass(frozen=True)
class Rejection:
    """One problem with one input event.

    Attributes:
        source: where the event came from.
        path: JSON path of the wrong field (``run.runId``), ``""`` for the event itself.
        message: what is wrong.
    """

    source: EventSource
    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.source}: {self.path + ': ' if self.path else ''}{self.message}"

    def to_dict(self) -> dict[str, Any]:
        return {"file": self.source.file, "line": self.source.line, "index": self.source.index,
                "location": str(self.source), "path": self.path, "message": self.message}


@dataclass
class ImportReport:
    """What :func:`import_files` did.

    Attributes:
        read: events read from the inputs (valid or not).
        stored: events newly stored.
        duplicates: valid events that were already in the store.
        rejected: events not stored (each counted once, however many problems it had).
        problems: every problem found, in input order.
        queued: events put in the outbox for delivery.
        files: the inputs read.
    """

    read: int = 0
    stored: int = 0
    duplicates: int = 0
    rejected: int = 0
    problems: list[Rejection] = field(default_factory=list)
    queued: int = 0
    files: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.rejected == 0

    def to_dict(self) -> dict[str, Any]:
        return {"files": list(self.files), "read": self.read, "stored": self.stored,
                "duplicates": self.duplicates, "rejected": self.rejected, "queued": self.queued,
                "problems": [p.to_dict() for p in self.problems]}


# --------------------------------------------------------------------------- reading
def _open(name: str) -> tuple[IO[bytes], bool]:
    if name == "-":
        return sys.stdin.buffer, False
    try:
        return open(name, "rb"), True  # noqa: SIM115 - closed by the caller
    except OSError as exc:
        raise ImportFileError(f"cannot read {name}: {exc.strerror or exc}") from exc


def _text_chunks(stream: IO[bytes], name: str, size: int) -> Iterator[str]:
    decoder = codecs.getincrementaldecoder("utf-8-sig")()
    while True:
        try:
            data = stream.read(size)
        except OSError as exc:
            raise ImportFileError(f"cannot read {name}: {exc.strerror or exc}") from exc
        try:
            text = decoder.decode(data, final=not data)
        except UnicodeDecodeError as exc:
            raise ImportFileError(f"{name}: not UTF-8 text ({exc.reason} at byte {exc.start})") from exc
        if text:
            yield text
        if not data:
            return


_Item = tuple[EventSource, Any, "Rejection | None"]


def read_events(name: str, stream: IO[bytes] | None = None, *, chunk_size: int = _CHUNK) -> Iterator[_Item]:
    """Yield ``(source, event, rejection)`` for every event in one input.

    ``rejection`` is set (and ``event`` is None) when the text at ``source`` is not JSON.

    Args:
        name: a file path, or ``-`` for standard input.
        stream: read this binary stream instead of opening ``name``.
        chunk_size: bytes read at a time.

    Raises:
        ImportFileError: the file cannot be opened, read or decoded as UTF-8.
    """
    close = False
    if stream is None:
        stream, close = _open(name)
    try:
        chunks = _text_chunks(stream, name, chunk_size)
        head = ""
        for chunk in chunks:
            head += chunk
            if head.strip():
                break
        stripped = head.lstrip()
        if not stripped:
            return
        lines_before = head[: len(head) - len(stripped)].count("\n")
        if stripped[0] == "[":
            yield from _read_array(name, head, chunks)
            return
        first_line = stripped.split("\n", 1)[0]
        if "\n" not in stripped:  # the first line may continue in the next chunk
            for chunk in chunks:
                head += chunk
                if "\n" in chunk:
                    break
            stripped = head.lstrip()
            first_line = stripped.split("\n", 1)[0]
        if _is_json(first_line) or not first_line.lstrip().startswith("{"):
            yield from _read_ndjson(name, head, chunks)
        else:
            yield from _read_document(name, head, chunks, lines_before)
    finally:
        if close:
            stream.close()


def _is_json(text: str) -> bool:
    try:
        json.loads(text)
    except ValueError:
        return False
    return True


def _read_ndjson(name: str, head: str, chunks: Iterator[str]) -> Iterator[_Item]:
    lineno = 0
    index = 0
    pending = head

    def lines() -> Iterator[str]:
        nonlocal pending
        while True:
            while "\n" in pending:
                line, pending = pending.split("\n", 1)
                yield line
            nxt = next(chunks, None)
            if nxt is None:
                if pending:
                    yield pending
                return
            pending += nxt

    for line in lines():
        lineno += 1
        if not line.strip():
            continue
        source = EventSource(name, lineno, index)
        index += 1
        try:
            yield source, json.loads(line), None
        except ValueError as exc:
            yield source, None, Rejection(source, "", f"invalid JSON: {_json_reason(exc)}")


def _read_document(name: str, head: str, chunks: Iterator[str], lines_before: int) -> Iterator[_Item]:
    text = head + "".join(chunks)
    try:
        value = json.loads(text)
    except ValueError:
        # not one document after all: NDJSON whose first line is broken
        yield from _read_ndjson(name, text, iter(()))
        return
    yield EventSource(name, lines_before + 1, 0), value, None


def _read_array(name: str, head: str, chunks: Iterator[str]) -> Iterator[_Item]:
    decoder = json.JSONDecoder()
    buf = head
    pos = buf.index("[") + 1
    line = 1 + buf.count("\n", 0, pos)
    index = 0
    eof = False

    def more() -> bool:
        nonlocal buf, pos, eof
        nxt = next(chunks, None)
        if nxt is None:
            eof = True
            return False
        buf = buf[pos:] + nxt
        pos = 0
        return True

    def skip_ws() -> None:
        nonlocal pos, line
        while True:
            while pos < len(buf) and buf[pos] in " \t\r\n":
                if buf[pos] == "\n":
                    line += 1
                pos += 1
            if pos < len(buf) or not more():
                return

    expect_value = True
    first = True
    while True:
        skip_ws()
        if pos >= len(buf):
            at = EventSource(name, line, index, array=True)
            yield at, None, Rejection(at, "", "invalid JSON: the array is not closed with ']'")
            return
        ch = buf[pos]
        if ch == "]" and (first or not expect_value):
            pos += 1
            skip_ws()
            if pos < len(buf):
                at = EventSource(name, line, index, array=True)
                yield at, None, Rejection(at, "", "invalid JSON: extra data after the closing ']'")
            return
        if not expect_value:
            if ch != ",":
                at = EventSource(name, line, index, array=True)
                yield at, None, Rejection(at, "", f"invalid JSON: expected ',' or ']' but found {ch!r}")
                return
            pos += 1
            expect_value = True
            continue
        source = EventSource(name, line, index, array=True)
        while True:
            try:
                value, end = decoder.raw_decode(buf, pos)
                # a number or literal at the very end of the buffer may continue in the next chunk
                if end >= len(buf) and not eof and more():
                    continue
                break
            except json.JSONDecodeError as exc:
                if not eof and more():
                    continue
                yield source, None, Rejection(source, "", f"invalid JSON: {exc.msg} (line {exc.lineno})")
                return
        line += buf.count("\n", pos, end)
        pos = end
        index += 1
        first = False
        expect_value = False
        yield source, value, None


def _json_reason(exc: ValueError) -> str:
    if isinstance(exc, json.JSONDecodeError):
        return f"{exc.msg} (column {exc.colno})"
    return str(exc)


# --------------------------------------------------------------------------- importing
def _problems(event: Any, validate: bool) -> list[tuple[str, str]]:
    if not isinstance(event, Mapping):
        return [("", f"an event must be a JSON object, not {_json_type(event)}")]
    if not validate:
        return []
    from nbgov.emit.validate import default_validator

    return [(p.path, p.message) for p in default_validator().validate(event)]


def _json_type(value: Any) -> str:
    return {list: "an array", str: "a string", bool: "a boolean", type(None): "null"}.get(
        type(value), "a number" if isinstance(value, (int, float)) else type(value).__name__
    )


def import_files(
    store: Store,
    names: Iterable[str],
    *,
    emit: bool = False,
    validate: bool = True,
    batch_size: int = BATCH_SIZE,
    on_problem: Callable[[Rejection], None] | None = None,
    streams: Mapping[str, IO[bytes]] | None = None,
) -> ImportReport:
    """Import event files into ``store``, keeping valid events and rejecting invalid ones.

    Args:
        store: where to store the events.
        names: file paths; ``-`` reads standard input.
        emit: also queue newly stored events for the configured OpenLineage backend.
        validate: check each event against the OpenLineage spec; when False only the
            structure the graph needs is checked (by the store).
        batch_size: events per store transaction.
        on_problem: called with each problem as soon as it is found.
        streams: binary streams to read instead of opening the named files.

    Returns:
        An :class:`ImportReport`.

    Raises:
        ImportFileError: a file cannot be opened, read or decoded; events of earlier
            batches stay stored (importing again is idempotent).
        StoreError: the store failed.
    """
    report = ImportReport()
    batch: list[tuple[EventSource, Mapping[str, Any]]] = []

    def reject(problem: Rejection) -> None:
        report.problems.append(problem)
        if on_problem is not None:
            on_problem(problem)

    def flush() -> None:
        if not batch:
            return
        result = store.add_events([e for _, e in batch], emit=emit, batch_size=max(len(batch), 1))
        report.stored += result.stored
        report.duplicates += result.duplicates
        if emit:
            report.queued += result.stored
        for err in result.rejected:
            source = batch[err.index or 0][0]
            report.rejected += 1
            reject(Rejection(source, err.path, err.reason))
        batch.clear()

    for name in names:
        report.files.append(name)
        stream = (streams or {}).get(name)
        for source, event, rejection in read_events(name, stream):
            report.read += 1
            if rejection is not None:
                report.rejected += 1
                reject(rejection)
                continue
            problems = _problems(event, validate)
            if problems:
                report.rejected += 1
                for path, message in problems:
                    reject(Rejection(source, path, message))
                continue
            batch.append((source, event))
            if len(batch) >= batch_size:
                flush()
        flush()
    return report
