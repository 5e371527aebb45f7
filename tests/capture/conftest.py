"""Fixtures for capture tests: a real in-process IPython shell with nbgov's environment
isolated (store under ``tmp_path``, no OpenLineage backend), and store readers."""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest


def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for key in list(os.environ):
        if key.startswith(("NBGOV_", "OPENLINEAGE", "JPY_SESSION_NAME")):
            monkeypatch.delenv(key, raising=False)


@pytest.fixture(scope="session")
def _ipython() -> Iterator[Any]:
    from IPython.core.interactiveshell import InteractiveShell

    real_main = sys.modules["__main__"]
    shell = InteractiveShell.instance()
    # IPython makes its user module the process's __main__; other tests (multiprocessing's
    # spawn, for one) need the real one back, so it is swapped in only while a shell test runs.
    sys.modules["__main__"] = real_main
    yield shell
    sys.modules["__main__"] = real_main


@pytest.fixture
def shell(_ipython: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """The session's InteractiveShell, in ``tmp_path``, nbgov not loaded, store at
    ``tmp_path/lineage.db``, notebook named ``test.ipynb``."""
    from nbgov.capture import access

    _clean_env(monkeypatch)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("NBGOV_STORE", str(tmp_path / "lineage.db"))
    monkeypatch.setenv("NBGOV_NOTEBOOK", "test.ipynb")
    real_main = sys.modules["__main__"]
    sys.modules["__main__"] = _ipython.user_module
    _ipython.reset(new_session=False)
    _forget(_ipython)
    try:
        yield _ipython
    finally:
        _forget(_ipython)
        access.deactivate()
        sys.modules["__main__"] = real_main


def _forget(shell: Any) -> None:
    """nbgov unloaded and its configuration dropped, as in a fresh shell."""
    from nbgov import magics

    if "nbgov" in shell.extension_manager.loaded:
        shell.extension_manager.unload_extension("nbgov")
    magics.unload_ipython_extension(shell)
    shell.config.pop("Nbgov", None)


def run(shell: Any, code: str) -> Any:
    """Run one cell; returns IPython's ExecutionResult."""
    return shell.run_cell(code)


@contextlib.contextmanager
def active_capture() -> Iterator[Any]:
    """A fresh ``CellCapture``, active for the block (the adapters' view of a cell, without
    the extension)."""
    from nbgov.capture import access
    from nbgov.capture.access import CellCapture

    capture = CellCapture()
    access.activate(capture)
    try:
        yield capture
    finally:
        access.deactivate()


def captured_cell(shell: Any, code: str) -> tuple[Any, Any]:
    """Run ``code`` as one cell with a fresh ``CellCapture`` active; returns
    ``(capture, ExecutionResult)``."""
    with active_capture() as capture:
        result = shell.run_cell(code)
    return capture, result


@contextlib.contextmanager
def installed_hooks(*adapters: Any) -> Iterator[Any]:
    """A ``HookRegistry`` with ``adapters`` (modules or dotted names) registered and installed
    for the block, uninstalled after it."""
    from nbgov.capture.hooks import HookRegistry

    registry = HookRegistry()
    for adapter in adapters:
        registry.register(adapter)
    registry.install_available()
    try:
        yield registry
    finally:
        registry.uninstall()


def stored_events(path: Path) -> list[dict[str, Any]]:
    """Every event in the store at ``path``, in store order."""
    from nbgov.store import open_store

    with open_store(str(path)) as store:
        return list(store.events())


def cell_runs(events: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """Cell events by job name (the notebook's own session events left out)."""
    out: dict[str, list[dict[str, Any]]] = {}
    for event in events:
        job_type = (event.get("job") or {}).get("facets", {}).get("jobType", {}).get("jobType")  # DatasetEvents too
        if job_type == "CELL":
            out.setdefault(event["job"]["name"], []).append(event)
    return out
