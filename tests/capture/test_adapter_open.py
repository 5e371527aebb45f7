"""The open() safety net, in a real in-process IPython shell: only the user's own cell code
counts; imports, libraries, caches and the interpreter never show up."""

from __future__ import annotations

import builtins
import functools
import io
import os
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from nbgov.capture import access
from nbgov.capture.access import CellCapture, Location
from nbgov.capture.adapters import builtins_open
from nbgov.capture.adapters.builtins_open import ignored_path
from nbgov.capture.hooks import HookRegistry
from tests.capture.conftest import captured_cell, installed_hooks

Cell = Callable[[str], tuple[CellCapture, Any]]


@pytest.fixture
def hooks(request: pytest.FixtureRequest) -> Iterator[HookRegistry]:
    with installed_hooks(builtins_open, *getattr(request, "param", ())) as registry:
        yield registry


@pytest.fixture
def cell(shell: Any, hooks: HookRegistry) -> Cell:
    """Runs code as one cell of the real shell with a capture active."""
    return functools.partial(captured_cell, shell)


def _summary(capture: CellCapture) -> list[tuple[str, str, str]]:
    return [(a.direction, a.via, a.location.get("path") or "") for a in capture.accesses]


def test_user_reads_and_writes(cell: Cell, tmp_path: Path) -> None:
    (tmp_path / "in.txt").write_text("hello")
    (tmp_path / "both.txt").write_text("x")
    capture, result = cell(
        "with open('in.txt') as f: text = f.read()\n"
        "with open('out.txt', 'w') as f: f.write(text)\n"
        "with open('log.txt', 'a') as f: f.write('1')\n"
        "with open('new.bin', mode='xb') as f: f.write(b'1')\n"
        "with open('both.txt', 'r+') as f: f.write('y')\n"
        "import io, pathlib\n"
        "with io.open('io.txt', 'w') as f: f.write('2')\n"  # io.open by name: not hooked
        "pathlib.Path('path.txt').write_text('3')\n"
        "fd = os.open('fd.txt', os.O_CREAT | os.O_WRONLY) if False else None\n"
    )
    assert result.error_in_exec is None
    p = lambda name: str(tmp_path / name)
    assert _summary(capture) == [
        ("input", "open", p("in.txt")),
        ("output", "open", p("out.txt")),
        ("output", "open", p("log.txt")),
        ("output", "open", p("new.bin")),
        ("input", "open", p("both.txt")),
        ("output", "open", p("both.txt")),
        ("output", "pathlib.Path.open", p("path.txt")),
    ]
    read = capture.accesses[0]
    assert read.location == Location.file(tmp_path / "in.txt")
    assert read.facets["version"]["datasetVersion"].startswith("5-")
    assert read.facets["dataSource"] == {"name": "file", "uri": f"file://{tmp_path / 'in.txt'}"}
    written = capture.accesses[1]
    assert "version" not in written.facets  # written after open returned: not known yet
    assert written.facets["dataSource"]["uri"] == f"file://{tmp_path / 'out.txt'}"


def test_failing_open_records_nothing_and_raises_unchanged(cell: Cell, tmp_path: Path) -> None:
    capture, result = cell("open('missing.txt')")
    assert isinstance(result.error_in_exec, FileNotFoundError)
    assert result.error_in_exec.filename == "missing.txt"
    assert capture.accesses == [] and capture.errors == []
    capture, result = cell("open('x.txt', 'q')")
    assert isinstance(result.error_in_exec, ValueError) and "invalid mode" in str(result.error_in_exec)
    assert capture.accesses == []


def test_imports_and_library_internals_are_not_user_opens(cell: Cell, tmp_path: Path) -> None:
    (tmp_path / "data.csv").write_text("a,b\n1,2\n")
    (tmp_path / "mymodule.py").write_text("def save(p):\n    with open(p, 'w') as f:\n        f.write('lib')\n")
    sys.path.insert(0, str(tmp_path))
    try:
        capture, result = cell(
            "import json, csv, mymodule\n"
            "import pandas\n"
            "frame = pandas.read_csv('data.csv')\n"
            "mymodule.save('by_library.txt')\n"
            "json.dumps({'a': 1})\n"
        )
    finally:
        sys.path.remove(str(tmp_path))
        sys.modules.pop("mymodule", None)
    assert result.error_in_exec is None
    assert (tmp_path / "by_library.txt").read_text() == "lib"
    assert capture.accesses == []


@pytest.mark.parametrize("hooks", [("nbgov.capture.adapters.pandas",)], indirect=True)
def test_nested_in_a_recorded_call_is_not_recorded_twice(cell: Cell, tmp_path: Path) -> None:
    (tmp_path / "data.csv").write_text("a,b\n1,2\n")
    capture, _ = cell("import pandas\nwith open('data.csv') as f: frame = pandas.read_csv(f)\n"
                      "frame.to_csv('copy.csv')")
    assert _summary(capture) == [
        ("input", "open", str(tmp_path / "data.csv")),  # the user's open, then pandas' read merged in
        ("output", "pandas.DataFrame.to_csv", str(tmp_path / "copy.csv")),
    ]


def test_functions_defined_in_cells_count(cell: Cell, tmp_path: Path) -> None:
    for name in ("a.txt", "b.txt"):
        (tmp_path / name).write_text(name)
    capture, _ = cell("def read(p):\n    with open(p) as f:\n        return f.read()\n"
                      "texts = list(map(read, ['a.txt', 'b.txt']))")
    assert _summary(capture) == [("input", "open", str(tmp_path / "a.txt")),
                                 ("input", "open", str(tmp_path / "b.txt"))]


def test_interpreter_system_and_nbgov_files_are_ignored(cell: Cell, tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / ".nbgov").mkdir()
    (tmp_path / ".nbgov" / "state").write_text("x")
    (tmp_path / "__pycache__").mkdir()
    (tmp_path / "__pycache__" / "m.pyc").write_bytes(b"x")
    monkeypatch.setenv("NBGOV_STORE", str(tmp_path / "lineage.db"))
    capture, result = cell(
        "import os, json\n"
        f"open({json_path()!r}).close()\n"
        "open('/proc/self/status').close()\n"
        "open(os.devnull, 'w').close()\n"
        "open('.nbgov/state').close()\n"
        "open('__pycache__/m.pyc', 'rb').close()\n"
        "open('lineage.db', 'w').close(); open('lineage.db-wal', 'w').close()\n"
        "fd = os.open('raw.txt', os.O_CREAT | os.O_WRONLY)\n"
        "open(fd, 'w').close()\n"
    )
    assert result.error_in_exec is None
    assert capture.accesses == []
    assert ignored_path(os.path.join(sys.prefix, "lib", "x.py"))
    assert not ignored_path(str(tmp_path / "data.csv"))


def json_path() -> str:
    import json

    return json.__file__


def test_no_capture_or_uninstalled_passes_through(shell: Any, tmp_path: Path) -> None:
    from IPython.core import interactiveshell

    original_open, original_io_open, original_path_open = builtins.open, io.open, Path.__dict__["open"]
    registry = HookRegistry()
    registry.register(builtins_open)
    assert registry.install_available() == ["IPython.core.interactiveshell:io_open", "pathlib:Path.open"]
    assert interactiveshell.io_open.__nbgov_original__ is original_io_open
    assert builtins.open is original_open and io.open is original_io_open  # never patched
    assert shell.run_cell("open('quiet.txt', 'w').close()").error_in_exec is None  # no capture: nothing
    assert sorted(registry.uninstall()) == ["IPython.core.interactiveshell:io_open", "pathlib:Path.open"]
    assert interactiveshell.io_open is original_io_open and Path.__dict__["open"] is original_path_open
    capture = CellCapture()
    access.activate(capture)
    try:
        shell.run_cell("open('after.txt', 'w').close()")
    finally:
        access.deactivate()
    assert capture.accesses == [] and (tmp_path / "after.txt").exists()
