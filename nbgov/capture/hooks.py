"""Library hooks: wrap a library's readers and writers so a cell's data access is recorded.

An **adapter** is a module in ``nbgov.capture.adapters`` exposing::

    MODULE = "pandas"              # the library; hooks install once it is in sys.modules
    def patches() -> list[Patch]   # called at install time (the library is imported)

Importing an adapter module must be cheap: it imports its library inside
``patches()`` and its describe functions, never at module level.

A :class:`Patch` names a target ``"module:attr.path"`` (``"pandas:read_csv"``,
``"pandas:DataFrame.to_csv"``) and either a ``describe`` function — called after the
original returned, with ``(args, kwargs, result)``, returning the :class:`Access` list to
record — or a ``wrapper`` factory for hooks that need more (e.g. set a trace callback on
a connection ``sqlite3.connect`` returns). For methods ``args[0]`` is the instance (the
class for a classmethod).

The wrapper built by :func:`wrap`:

1. when no capture is active, or the call is nested inside another recorded call on the
   same thread, just returns ``original(*args, **kwargs)``;
2. otherwise calls the original FIRST, inside :func:`nbgov.capture.access.calling` — the
   user's exception propagates unchanged (same object, same traceback plus one frame
   hidden from IPython by ``__tracebackhide__``), and a failing call records nothing;
3. then runs ``describe`` (still marked as nested, so libraries it touches are not
   recorded) inside a guard: any ``Exception`` is logged at DEBUG and recorded with
   ``capture.fail("capture:<via>", exc)``, never raised; the result is returned as is.

:class:`HookRegistry` installs patches for the adapters whose library is imported
(:meth:`HookRegistry.install_available`, cheap enough for every cell) and restores
every original exactly (:meth:`HookRegistry.uninstall`).
"""

from __future__ import annotations

import functools
import importlib
import importlib.abc
import importlib.util
import logging
import os
import sys
import threading
import types
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from nbgov.capture import access as _access
from nbgov.capture.access import Access, Location

__all__ = [
    "Describe",
    "HookRegistry",
    "Patch",
    "argument",
    "file_facets",
    "location_for_path",
    "wrap",
]

log = logging.getLogger(__name__)

#: ``describe(args, kwargs, result) -> accesses``
Describe = Callable[[tuple, dict, Any], Iterable[Access]]

#: attribute set on every wrapper, pointing at the wrapped original
ORIGINAL_ATTR = "__nbgov_original__"


@dataclass(frozen=True)
class Patch:
    """One function or method to hook.

    Attributes:
        target: ``"module:attr.path"``, e.g. ``"pandas:read_csv"`` or
            ``"pandas:DataFrame.to_csv"``; the module is the one imported
            (``"pandas.io.parquet:read_parquet"`` works too).
        describe: ``(args, kwargs, result) -> Iterable[Access]``; see the module docs.
        via: the name recorded as :attr:`Access.via` and in error stages; defaults to
            the target with ``:`` replaced by ``.`` (``"pandas.DataFrame.to_csv"``).
        wrapper: instead of ``describe``, a factory ``original -> replacement`` for
            hooks :func:`wrap` cannot express. A custom wrapper must itself pass
            through when ``access.active()`` is ``None``, use ``access.calling()``
            around the original, never raise its own errors, and record with
            ``access.record`` / ``capture.fail``.
    """

    target: str
    describe: Describe | None = None
    via: str | None = None
    wrapper: Callable[[Callable[..., Any]], Callable[..., Any]] | None = None

    def __post_init__(self) -> None:
        if ":" not in self.target:
            raise ValueError(f"a patch target is 'module:attr.path', got {self.target!r}")
        if (self.describe is None) == (self.wrapper is None):
            raise ValueError(f"{self.target}: give exactly one of describe or wrapper")

    @property
    def name(self) -> str:
        return self.via or self.target.replace(":", ".")


def wrap(original: Callable[..., Any], describe: Describe, via: str) -> Callable[..., Any]:
    """A wrapper of ``original`` that records what ``describe`` says about each outermost call.

    Args:
        original: the function (for a method, the plain function; the registry handles
            classmethod, staticmethod and property descriptors).
        describe: ``(args, kwargs, result) -> Iterable[Access]``.
        via: the call's name for :attr:`Access.via` and error stages.

    Returns:
        A function with ``original``'s name, docstring and signature (``functools.wraps``)
        and an ``__nbgov_original__`` attribute.
    """
    local = _access._local
    stage = f"capture:{via}"

    @functools.wraps(original)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        __tracebackhide__ = True
        capture = _access._active
        depth = getattr(local, "depth", 0)
        if capture is None or depth:
            return original(*args, **kwargs)
        local.depth = 1
        try:
            result = original(*args, **kwargs)
            try:
                accesses = describe(args, kwargs, result)
                if accesses:
                    capture.extend(accesses)
            except Exception as exc:
                log.debug("%s failed", stage, exc_info=True)
                capture.fail(stage, exc)
        finally:
            local.depth = depth
        return result

    setattr(wrapper, ORIGINAL_ATTR, original)
    return wrapper


# ----------------------------------------------------------------- the registry
@dataclass
class _Installed:
    patch: Patch
    owner: Any
    attr: str
    had_own: bool  # the attribute was in owner.__dict__ (else inherited / module-level absent)
    raw: Any  # exactly what was there (descriptor included)
    replacement: Any


_MISSING = object()


def _resolve(target: str) -> tuple[Any, str]:
    module_name, path = target.split(":", 1)
    obj: Any = sys.modules.get(module_name) or importlib.import_module(module_name)
    *owners, attr = path.split(".")
    for name in owners:
        obj = getattr(obj, name)
    return obj, attr


def _replacement(raw: Any, patch: Patch) -> Any:
    def make(fn: Callable[..., Any]) -> Callable[..., Any]:
        if patch.wrapper is not None:
            return patch.wrapper(fn)
        assert patch.describe is not None
        return wrap(fn, patch.describe, patch.name)

    if isinstance(raw, classmethod):
        return classmethod(make(raw.__func__))
    if isinstance(raw, staticmethod):
        return staticmethod(make(raw.__func__))
    if isinstance(raw, property):
        if raw.fget is None:
            raise TypeError(f"{patch.target}: property has no getter")
        return property(make(raw.fget), raw.fset, raw.fdel, raw.__doc__)
    if not callable(raw):
        raise TypeError(f"{patch.target}: not callable ({type(raw).__name__})")
    return make(raw)


def _is_ours(value: Any) -> bool:
    for candidate in (value, getattr(value, "__func__", None), getattr(value, "fget", None)):
        if candidate is not None and hasattr(candidate, ORIGINAL_ATTR):
            return True
    return False


class HookRegistry:
    """The adapters nbgov knows and the patches it installed.

    One registry per process is enough (the notebook face keeps one, shared by every
    shell); patches are process-wide, like the libraries they patch.
    """

    def __init__(self) -> None:
        self._adapters: dict[str, types.ModuleType] = {}
        self._installed: dict[str, _Installed] = {}
        self._done: set[str] = set()  # adapters whose patches were attempted
        self.errors: list[tuple[str, BaseException]] = []
        self._watcher: _ImportWatcher | None = None

    def register(self, adapter: str | types.ModuleType) -> None:
        """Know an adapter (a module, or its dotted name, imported now — cheaply).

        Raises:
            ImportError: the adapter module cannot be imported.
            TypeError: it has no ``MODULE`` / ``patches``.
        """
        module = importlib.import_module(adapter) if isinstance(adapter, str) else adapter
        if not isinstance(getattr(module, "MODULE", None), str) or not callable(getattr(module, "patches", None)):
            raise TypeError(f"{module.__name__} is not an adapter: it needs MODULE and patches()")
        self._adapters[module.__name__] = module

    @property
    def adapters(self) -> list[str]:
        return list(self._adapters)

    @property
    def installed(self) -> list[str]:
        """The targets now patched, in install order."""
        return list(self._installed)

    def install_available(self) -> list[str]:
        """Install the patches of every adapter whose library is in ``sys.modules``.

        Never imports a library. Each adapter is attempted once (until :meth:`uninstall`);
        a patch that fails to install (the library changed) is logged at DEBUG, kept in
        :attr:`errors` as ``("hooks:<target>", exc)`` and skipped — never raised.

        Returns:
            The targets newly patched.
        """
        new: list[str] = []
        for name, adapter in self._adapters.items():
            if name in self._done or not _imported(adapter.MODULE):
                continue
            self._done.add(name)
            try:
                patches: Sequence[Patch] = adapter.patches()
            except Exception as exc:
                log.debug("adapter %s failed to list its patches", name, exc_info=True)
                self.errors.append((f"hooks:{name}", exc))
                continue
            for patch in patches:
                try:
                    if self._install(patch):
                        new.append(patch.target)
                except Exception as exc:
                    log.debug("could not patch %s", patch.target, exc_info=True)
                    self.errors.append((f"hooks:{patch.target}", exc))
        return new

    def watch_imports(self) -> None:
        """Also install an adapter's patches right after its library is imported.

        A finder at the front of ``sys.meta_path`` looks only at the registered
        adapters' top-level ``MODULE`` names not imported yet; for those it lets the
        normal finders find the module and runs :meth:`install_available` once the
        module's code has run — so ``import pandas as pd; pd.read_csv(...)`` in one cell
        is seen. Every other import passes straight through. :meth:`uninstall` removes it.
        """
        if self._watcher is None:
            self._watcher = _ImportWatcher(self)
            sys.meta_path.insert(0, self._watcher)

    def _pending_modules(self) -> set[str]:
        return {a.MODULE for n, a in self._adapters.items() if n not in self._done}

    def _install(self, patch: Patch) -> bool:
        if patch.target in self._installed:
            return False
        owner, attr = _resolve(patch.target)
        own = owner.__dict__ if isinstance(owner, type) else vars(owner)
        had_own = attr in own
        raw = own[attr] if had_own else getattr(owner, attr, _MISSING)
        if raw is _MISSING:
            raise AttributeError(f"{patch.target}: no such attribute")
        if _is_ours(raw):  # patched by another registry: leave it to that one
            return False
        replacement = _replacement(raw, patch)
        setattr(owner, attr, replacement)
        self._installed[patch.target] = _Installed(patch, owner, attr, had_own, raw, replacement)
        return True

    def uninstall(self) -> list[str]:
        """Restore every original exactly (an inherited method is deleted again), in
        reverse install order. A target someone else re-patched since is left alone
        (their patch wraps ours, which then passes through).

        Returns:
            The targets restored.
        """
        watcher, self._watcher = self._watcher, None
        if watcher is not None:
            try:
                sys.meta_path.remove(watcher)
            except ValueError:
                pass
        restored = []
        for target, item in reversed(list(self._installed.items())):
            own = item.owner.__dict__ if isinstance(item.owner, type) else vars(item.owner)
            if own.get(item.attr, _MISSING) is not item.replacement:
                log.debug("%s was re-patched by someone else; left in place", target)
                continue
            try:
                if item.had_own:
                    setattr(item.owner, item.attr, item.raw)
                else:
                    delattr(item.owner, item.attr)
                restored.append(target)
            except Exception as exc:  # pragma: no cover - a read-only owner
                log.debug("could not restore %s", target, exc_info=True)
                self.errors.append((f"hooks:{target}", exc))
        self._installed.clear()
        self._done.clear()
        return restored


class _ImportWatcher(importlib.abc.MetaPathFinder):
    """Runs ``registry.install_available()`` right after a watched library is imported."""

    def __init__(self, registry: HookRegistry) -> None:
        self._registry = registry
        self._local = threading.local()

    def find_spec(self, fullname: str, path: Any = None, target: Any = None) -> Any:
        if getattr(self._local, "busy", False) or fullname not in self._registry._pending_modules():
            return None
        self._local.busy = True
        try:
            spec = importlib.util.find_spec(fullname)
        except Exception:  # noqa: BLE001 - let the normal import machinery report it
            return None
        finally:
            self._local.busy = False
        if spec is None or spec.loader is None or not hasattr(spec.loader, "exec_module"):
            return None
        spec.loader = _InstallingLoader(spec.loader, self._registry)
        return spec


def _imported(module_name: str) -> bool:
    """Whether a library is in ``sys.modules`` AND finished importing.

    Libraries import each other part-way through their own import (pandas imports
    pyarrow before pandas itself is complete): patching a module whose code is still
    running finds attributes missing, so such a module counts as not imported yet.
    """
    module = sys.modules.get(module_name)
    if module is None:
        return False
    spec = getattr(module, "__spec__", None)
    return not getattr(spec, "_initializing", False)


class _InstallingLoader(importlib.abc.Loader):
    """Delegates to the real loader; after the module ran, puts the real loader back
    on the module and installs the hooks."""

    def __init__(self, loader: Any, registry: HookRegistry) -> None:
        self._loader = loader
        self._registry = registry

    def __getattr__(self, name: str) -> Any:
        return getattr(self._loader, name)

    def create_module(self, spec: Any) -> Any:
        return self._loader.create_module(spec)

    def exec_module(self, module: types.ModuleType) -> None:
        spec = getattr(module, "__spec__", None)
        try:
            self._loader.exec_module(module)
        finally:
            if spec is not None:
                spec.loader = self._loader
            if getattr(module, "__loader__", None) is self:
                module.__loader__ = self._loader
        if spec is not None:
            # The module's code has run to the end; importlib clears this flag right after
            # we return, so clear it now for install_available to treat it as imported.
            spec._initializing = False
        try:
            self._registry.install_available()
        except Exception:
            log.debug("installing hooks after import failed", exc_info=True)


# ------------------------------------------------------------- helpers for adapters
def argument(args: tuple, kwargs: dict, index: int, name: str, default: Any = None) -> Any:
    """A call's argument by keyword ``name`` or position ``index`` (``args`` includes self)."""
    if name in kwargs:
        return kwargs[name]
    return args[index] if len(args) > index else default


_URL_SCHEMES_LOCAL = ("file",)


def location_for_path(target: Any) -> Location | None:
    """The location a library reads or writes when given ``target``.

    - ``str`` / ``os.PathLike`` → ``Location.file`` (absolute path); ``file://`` URLs too.
    - other URLs (``s3://``, ``gs://``, ``https://`` …) → ``Location.of(scheme, url=…)``
      with user and password removed.
    - an open file object whose ``name`` is a path (``open("x.csv")``) → that file.
    - anything else (``io.BytesIO``, sockets, file descriptors, ``None``) → ``None``:
      not recorded, there is nothing to name.
    """
    if isinstance(target, os.PathLike):
        target = os.fspath(target)
    if isinstance(target, bytes):
        try:
            target = os.fsdecode(target)
        except UnicodeDecodeError:
            return None
    if isinstance(target, str):
        if not target.strip():
            return None
        if "://" in target:
            parts = urlsplit(target)
            scheme = parts.scheme.lower()
            if scheme in _URL_SCHEMES_LOCAL:
                return Location.file(parts.path)
            netloc = parts.hostname or ""
            if parts.port:
                netloc += f":{parts.port}"
            return Location.of(scheme, url=urlunsplit((scheme, netloc, parts.path, "", "")))
        return Location.file(target)
    name = getattr(target, "name", None)  # an open file
    readable = "r" in str(getattr(target, "mode", "r"))
    if (isinstance(name, str) and hasattr(target, "read" if readable else "write")
            and (os.path.isabs(name) or os.path.exists(name))):
        return Location.file(name)
    return None


def file_facets(location: Location) -> dict[str, dict[str, Any]]:
    """Facets known at access time for a local file: ``version`` (size and mtime) and
    ``dataSource``; empty for other kinds or a file that does not exist.

    Uses ``nbgov.capture.profile.profile_file`` when available, else ``os.stat``.
    """
    if location.kind != "file":
        return {}
    path = location.get("path") or ""
    try:
        from nbgov.capture.profile import profile_file
    except ImportError:  # not installed yet in a partial checkout: stat directly
        try:
            st = os.stat(path)
        except OSError:
            return {}
        version = f"{st.st_size}-{st.st_mtime_ns}"
    else:
        found = profile_file(path)
        if found is None:
            return {}
        version = found.version
    return {
        "version": {"datasetVersion": version},
        "dataSource": {"name": "file", "uri": "file://" + path.replace(os.sep, "/")},
    }
