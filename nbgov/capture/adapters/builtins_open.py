"""``open()`` as a safety net: files the user's own cell code opens.

Hooked where a cell's ``open`` goes — not ``builtins.open``:

- IPython puts its own ``open`` into the user namespace, a wrapper that calls ``io.open``
  through the ``io_open`` global of ``IPython.core.interactiveshell``; that global is
  hooked (by name, when IPython is already in ``sys.modules``: capture never imports
  IPython). A cell's ``open(...)`` — and a function defined in a cell — goes through it;
  libraries call ``builtins.open`` and never do.
- ``pathlib.Path.open`` (``read_text``, ``write_bytes`` … call it).

``builtins.open`` and ``io.open`` are deliberately left alone: IPython always shows the
innermost frame of a traceback, even one marked ``__tracebackhide__``, so a Python
wrapper around the C ``open`` would appear in the traceback of every failing open — a
library's ``FileNotFoundError`` included. Code that calls ``builtins.open`` or
``io.open`` by those names is not seen.

Recorded only when all of these hold, so imports, caches and library internals never
show up:

- a capture is active and the call is not nested in another recorded call;
- the caller is the user's code: its frame's globals are the notebook's namespace
  (``__name__ == "__main__"`` — cells, functions defined in cells, ``%run`` scripts).
  Frames of ``pathlib`` and ``codecs`` are looked through, so ``Path("x").write_text()``
  in a cell counts; a library opening a file (``pandas.read_csv`` → ``open``, joblib,
  matplotlib's font cache) does not;
- the target is a path (not a file descriptor) outside the interpreter
  (``sys.prefix``, ``sys.base_prefix``, ``sys.exec_prefix``, site directories), not in
  ``/proc``, ``/dev``, ``/sys``, not bytecode (``.pyc``, ``__pycache__``), not IPython /
  Jupyter state (``~/.ipython``, ``~/.jupyter``, the kernel's cell files), and not the
  nbgov store (any ``.nbgov`` directory, ``NBGOV_STORE``);
- the open succeeded (a failing ``open`` records nothing and raises unchanged; its
  traceback shows nbgov's hook as the innermost frame, below IPython's own ``open``).

Modes: ``r`` (default) is an input; ``w``, ``a``, ``x`` are outputs; ``r+`` both. An
input carries the file's ``version`` (size and mtime); an output only its
``dataSource``, since the file is written after ``open`` returns.

The module also holds the helpers the other adapters of this family share:
:func:`user_frame` (is this frame the user's code?), :func:`ignored_path` (the filter
above) and :class:`Lifecycle` (run code when the registry installs / uninstalls).
"""

from __future__ import annotations

import functools
import logging
import os
import site
import sys
import types
from collections.abc import Callable
from typing import Any

from nbgov.capture import access as _access
from nbgov.capture.access import Access, Location
from nbgov.capture.hooks import ORIGINAL_ATTR, Patch, argument, file_facets

__all__ = ["MODULE", "Lifecycle", "ignored_path", "patches", "user_caller", "user_frame"]

MODULE = "builtins"

log = logging.getLogger(__name__)

#: modules whose frames are looked through to find who really opened a file
_TRANSPARENT = frozenset({"pathlib", "pathlib._local", "pathlib._abc", "codecs", "io", "_pyio",
                          "IPython.core.interactiveshell"})
_IPYTHON_SHELL = "IPython.core.interactiveshell"
_SYSTEM_DIRS = ("/proc/", "/dev/", "/sys/")


# ------------------------------------------------------------------ shared helpers
def user_frame(frame: types.FrameType | None) -> bool:
    """Whether ``frame`` runs the user's own code: code whose globals are the notebook's
    namespace (``__name__ == "__main__"``), as cells and functions defined in cells are."""
    return frame is not None and frame.f_globals.get("__name__") == "__main__"


def user_caller(depth: int = 2) -> types.FrameType | None:
    """The frame ``depth`` levels up (1 = the caller of the function calling this one),
    after looking through ``pathlib`` / ``codecs`` frames, if it is user code; else ``None``."""
    try:
        frame: types.FrameType | None = sys._getframe(depth)
    except ValueError:
        return None
    while frame is not None and frame.f_globals.get("__name__") in _TRANSPARENT:
        frame = frame.f_back
    return frame if user_frame(frame) else None


@functools.lru_cache(maxsize=1)
def _excluded_prefixes() -> tuple[str, ...]:
    dirs = {sys.prefix, sys.base_prefix, sys.exec_prefix, getattr(sys, "base_exec_prefix", sys.prefix)}
    try:
        dirs.update(site.getsitepackages())
    except AttributeError:  # pragma: no cover - virtualenv's old site.py
        pass
    try:
        dirs.add(site.getusersitepackages())
    except AttributeError:  # pragma: no cover
        pass
    home = os.path.expanduser("~")
    dirs.update(os.path.join(home, d) for d in (".ipython", ".jupyter", ".local/share/jupyter"))
    out = set()
    for d in dirs:
        if d:
            real = os.path.abspath(d)
            if real != os.sep:  # never exclude everything
                out.add(real.rstrip(os.sep) + os.sep)
    return tuple(sorted(out))


def ignored_path(path: str) -> bool:
    """Whether an absolute ``path`` is never user data (see the module docs)."""
    if path.startswith(_SYSTEM_DIRS) or path.endswith((".pyc", ".pyo")):
        return True
    if path.startswith(_excluded_prefixes()):
        return True
    parts = path.split(os.sep)
    if "__pycache__" in parts or ".nbgov" in parts:
        return True
    parent = parts[-2] if len(parts) > 1 else ""
    if parent.startswith("ipykernel_"):  # ipykernel's cell files
        return True
    store = os.environ.get("NBGOV_STORE", "")
    if store and "://" not in store:
        store = os.path.abspath(os.path.expanduser(store))
        if path == store or path.startswith(store + "-"):  # the database, -wal, -shm, -journal
            return True
    return False


class Lifecycle:
    """A patch target that calls ``on()`` when a :class:`~nbgov.capture.hooks.HookRegistry`
    installs it and ``off()`` when the registry uninstalls it.

    For hooks that are not a function replacement — an event listener, methods patched on
    classes defined later — whose removal must follow :meth:`HookRegistry.uninstall`.
    The hook contract has no uninstall callback; this stands in for one: the registry
    replaces :attr:`hook` (``on``) and later deletes it again (``off``). Exceptions from
    ``on`` / ``off`` are logged at DEBUG, never raised. A second registry finds the hook
    already replaced and leaves it alone, so ``on`` never runs twice.

    Args:
        module: the dotted name of the module holding this object as ``attr``.
        attr: the module-level name of this object.
        on: called at install.
        off: called at uninstall.
    """

    def __init__(self, module: str, attr: str, on: Callable[[], None], off: Callable[[], None]) -> None:
        object.__setattr__(self, "_target", f"{module}:{attr}.hook")
        object.__setattr__(self, "_on", on)
        object.__setattr__(self, "_off", off)

    def hook(self) -> None:
        """The attribute the registry patches (does nothing)."""

    @property
    def on(self) -> bool:
        """Whether the registry has this installed."""
        return "hook" in vars(self)

    def patch(self) -> Patch:
        """The :class:`Patch` that runs ``on`` / ``off`` with the registry."""

        def replace(original: Callable[..., Any]) -> Callable[..., Any]:
            def hook() -> None:
                """Installed by nbgov."""

            setattr(hook, ORIGINAL_ATTR, original)
            return hook

        return Patch(self._target, wrapper=replace)

    def __setattr__(self, name: str, value: Any) -> None:
        object.__setattr__(self, name, value)
        if name == "hook":
            self._call(self._on, "install")

    def __delattr__(self, name: str) -> None:
        object.__delattr__(self, name)
        if name == "hook":
            self._call(self._off, "uninstall")

    def _call(self, fn: Callable[[], None], what: str) -> None:
        try:
            fn()
        except Exception:
            log.debug("%s of %s failed", what, self._target, exc_info=True)


# ------------------------------------------------------------------------ open()
def _directions(mode: str) -> tuple[str, ...]:
    if "r" in mode:
        return ("input", "output") if "+" in mode else ("input",)
    if any(c in mode for c in "wax"):
        return ("output",)
    return ("input",)


def describe_open(file: Any, mode: Any, via: str) -> list[Access]:
    """The accesses of a successful ``open(file, mode)`` made by user code."""
    if isinstance(file, os.PathLike):
        file = os.fspath(file)
    if isinstance(file, bytes):
        file = os.fsdecode(file)
    if not isinstance(file, str) or not file:
        return []  # a file descriptor
    location = Location.file(file)
    path = location.get("path") or ""
    if ignored_path(path) or os.path.isdir(path):
        return []
    out = []
    for direction in _directions(mode if isinstance(mode, str) else "r"):
        facets = file_facets(location)
        if direction == "output":
            facets.pop("version", None)  # written after open returns: unknown yet
        out.append(Access(direction, location, via, facets=facets))
    return out


def _open_wrapper(via: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    def factory(original: Callable[..., Any]) -> Callable[..., Any]:
        local = _access._local
        stage = f"capture:{via}"

        @functools.wraps(original)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            __tracebackhide__ = True
            capture = _access._active
            depth = getattr(local, "depth", 0)
            if capture is None or depth or user_caller(2) is None:
                return original(*args, **kwargs)
            local.depth = 1
            try:
                result = original(*args, **kwargs)
                try:
                    capture.extend(describe_open(argument(args, kwargs, 0, "file"),
                                                 argument(args, kwargs, 1, "mode", "r"), via))
                except Exception as exc:
                    log.debug("%s failed", stage, exc_info=True)
                    capture.fail(stage, exc)
            finally:
                local.depth = depth
            return result

        setattr(wrapper, ORIGINAL_ATTR, original)
        return wrapper

    return factory


def patches() -> list[Patch]:
    """IPython's ``io_open`` (when IPython is loaded) and ``pathlib.Path.open``."""
    out = [Patch("pathlib:Path.open", wrapper=_open_wrapper("pathlib.Path.open"), via="pathlib.Path.open")]
    if callable(getattr(sys.modules.get(_IPYTHON_SHELL), "io_open", None)):
        out.insert(0, Patch(f"{_IPYTHON_SHELL}:io_open", wrapper=_open_wrapper("open"), via="open"))
    return out
