"""Fault injection: a failing nbgov part leaves the cell's outcome exactly as without nbgov.

Each case runs the same cell in a plain shell and with nbgov loaded and broken, and
compares the result, the displayed output and the exception (type and message). nbgov's
own one-line notice (stderr) is checked separately: shown once per kind of failure.
"""

from __future__ import annotations

import socket
import threading
import types
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from nbgov import magics
from nbgov.capture.hooks import Patch
from tests.capture.conftest import run, stored_events
from tests.spec import assert_spec_valid

CELL = ("df = pd.read_csv('in.csv')\n"
        "df.to_parquet('out.parquet')\n"
        "print('rows', len(df))\n"
        "df['v'].sum()")
FAILING_CELL = "pd.read_csv('missing.csv')"


def _outcome(shell: Any, capsys, code: str) -> tuple[Any, str, tuple[str, str] | None, str]:
    result = run(shell, code)
    captured = capsys.readouterr()
    error = result.error_in_exec
    return (result.result, captured.out, (type(error).__name__, str(error)) if error else None, captured.err)


def _plain(shell: Any, capsys, tmp_path: Path) -> list[tuple]:
    pd.DataFrame({"k": ["a", "b"], "v": [1, 2]}).to_csv(tmp_path / "in.csv", index=False)
    run(shell, "import pandas as pd")
    capsys.readouterr()
    return [_outcome(shell, capsys, CELL), _outcome(shell, capsys, FAILING_CELL)]


HIDDEN = "[... skipping hidden 1 frame]"


def _without_hook_frame(text: str) -> str:
    """The displayed traceback minus the one line IPython prints for the hook's own frame,
    which it hides (``__tracebackhide__``): the only difference a hooked call makes."""
    lines = text.splitlines(keepends=True)
    kept = [line for line in lines if HIDDEN not in line]
    assert len(lines) - len(kept) <= 1
    return "".join(kept).replace("\n\n\n", "\n\n")


def _same(plain: list[tuple], broken: list[tuple]) -> list[str]:
    assert len(plain) == len(broken)
    for (p_result, p_out, p_err, _), (b_result, b_out, b_err, _) in zip(plain, broken):
        assert b_result == p_result and b_err == p_err
        assert _without_hook_frame(b_out) == p_out
    return [b[3] for b in broken]


def _notices(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.startswith("nbgov: ")]


def test_store_unwritable(shell: Any, tmp_path: Path, capsys, monkeypatch: pytest.MonkeyPatch) -> None:
    plain = _plain(shell, capsys, tmp_path)
    (tmp_path / "blocker").write_text("a file where the store's folder should be")
    monkeypatch.setenv("NBGOV_STORE", str(tmp_path / "blocker" / "lineage.db"))
    run(shell, "%load_ext nbgov")
    load_err = capsys.readouterr().err
    errs = _same([*plain, plain[0]], [_outcome(shell, capsys, CELL), _outcome(shell, capsys, FAILING_CELL),
                                      _outcome(shell, capsys, CELL)])
    notices = _notices(load_err + "".join(errs))
    assert len(notices) == 1 and notices[0].startswith("nbgov: store failed (")
    assert magics.extension_for(shell).guard.counts["store"] >= 2


def test_emitter_raising(shell: Any, tmp_path: Path, capsys, monkeypatch: pytest.MonkeyPatch) -> None:
    plain = _plain(shell, capsys, tmp_path)
    monkeypatch.setenv("OPENLINEAGE__TRANSPORT__TYPE", "no-such-transport")  # the emitter's transport fails
    run(shell, "%load_ext nbgov")
    _same(plain, [_outcome(shell, capsys, CELL), _outcome(shell, capsys, FAILING_CELL)])
    ext = magics.extension_for(shell)
    ext._emitter.flush(5)
    assert ext.status()["emitter"]["errors"] >= 1
    run(shell, "%unload_ext nbgov")
    events = stored_events(tmp_path / "lineage.db")
    assert len(events) == 4  # session START, cell START + COMPLETE, session COMPLETE: stored, waiting
    assert_spec_valid(events)


@pytest.fixture
def silent_server() -> Iterator[int]:
    """A loopback HTTP 'backend' that accepts connections and never answers."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(server.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield server.getsockname()[1]
    stop.set()
    thread.join()
    for conn in held:
        conn.close()
    server.close()


def test_emitter_hanging(shell: Any, tmp_path: Path, capsys, monkeypatch: pytest.MonkeyPatch,
                         silent_server: int) -> None:
    plain = _plain(shell, capsys, tmp_path)
    monkeypatch.setenv("OPENLINEAGE_URL", f"http://127.0.0.1:{silent_server}")
    run(shell, "%load_ext nbgov")
    run(shell, "%config Nbgov.close_timeout = 0.5")
    _same(plain, [_outcome(shell, capsys, CELL), _outcome(shell, capsys, FAILING_CELL)])
    run(shell, "%unload_ext nbgov")  # returns although the backend never answers
    assert magics.extension_for(shell) is None
    assert len(stored_events(tmp_path / "lineage.db")) == 4


def test_describe_raising(shell: Any, tmp_path: Path, capsys) -> None:
    plain = _plain(shell, capsys, tmp_path)
    plain += [_outcome(shell, capsys, "import json\njson.dumps({'a': 1})")]
    run(shell, "%load_ext nbgov")
    adapter = types.ModuleType("broken_adapter")
    adapter.MODULE = "json"

    def describe(args, kwargs, result):
        raise RuntimeError("describe broke")

    adapter.patches = lambda: [Patch("json:dumps", describe, via="json.dumps")]
    registry = magics.extension_for(shell)._registry
    registry.register(adapter)
    try:
        capsys.readouterr()
        errs = _same(plain, [_outcome(shell, capsys, CELL), _outcome(shell, capsys, FAILING_CELL),
                             _outcome(shell, capsys, "import json\njson.dumps({'a': 1})")])
    finally:
        registry.uninstall()
        registry.install_available()
    notices = _notices("".join(errs))
    assert notices == [notices[0]] and "capture:json.dumps failed (RuntimeError: describe broke)" in notices[0]


class Unprofilable(pd.DataFrame):
    """A frame nbgov's profiler fails on (see the test: the failure is injected there, as
    nbgov reads column types from the block manager, not from ``dtypes``)."""

    @property
    def _constructor(self):
        return Unprofilable

    @property
    def dtypes(self):
        raise RuntimeError("no dtypes here")


def test_facet_computation_raising(shell: Any, tmp_path: Path, capsys, monkeypatch) -> None:
    from nbgov.capture import profile

    real = profile._PROFILERS["pandas"]

    def failing(df: Any, *args: Any) -> Any:
        if isinstance(df, Unprofilable):
            raise RuntimeError("no dtypes here")
        return real(df, *args)

    monkeypatch.setitem(profile._PROFILERS, "pandas", failing)
    plain = _plain(shell, capsys, tmp_path)
    shell.user_ns["Unprofilable"] = Unprofilable
    code = "bad = Unprofilable({'x': [1, 2]})\nbad.to_pickle('bad.pkl')\nprint(bad.shape)"
    plain += [_outcome(shell, capsys, code)]
    run(shell, "%load_ext nbgov")
    capsys.readouterr()
    errs = _same(plain, [_outcome(shell, capsys, CELL), _outcome(shell, capsys, FAILING_CELL),
                         _outcome(shell, capsys, code)])
    notices = _notices("".join(errs))
    assert notices and all("RuntimeError: no dtypes here" in n for n in notices)
    assert len(notices) == len({n.split(" failed")[0] for n in notices})  # once per stage
    run(shell, "%unload_ext nbgov")
    assert_spec_valid(stored_events(tmp_path / "lineage.db"))


def test_failing_library_call_keeps_the_users_error(shell: Any, tmp_path: Path, capsys) -> None:
    plain = _plain(shell, capsys, tmp_path)
    run(shell, "%load_ext nbgov")
    capsys.readouterr()
    errs = _same(plain, [_outcome(shell, capsys, CELL), _outcome(shell, capsys, FAILING_CELL)])
    assert _notices("".join(errs)) == []
    run(shell, "%unload_ext nbgov")
    events = stored_events(tmp_path / "lineage.db")
    failed = [e for e in events if e["eventType"] == "FAIL"]
    assert len(failed) == 0  # the failing read touched no data: no run, nothing recorded
    assert_spec_valid(events)
    assert not any("missing.csv" in d["name"] for e in events for d in e["inputs"])
