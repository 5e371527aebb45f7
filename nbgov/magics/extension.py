"""The notebook extension: configuration, cell hooks, ``%nbgov`` and ``%%lineage``.

One :class:`Nbgov` per shell (``_extensions[id(shell)]``). Loading registers the
``pre_run_cell`` / ``post_run_cell`` callbacks, the magics and the configurable, opens
the store, writes the session's START and starts the background emitter; unloading
undoes each step (the session's COMPLETE is written, the emitter is closed with a
bounded wait, the store closed, the library hooks restored when the last shell
unloads). Nothing here patches the shell.

Per cell: ``pre_run_cell`` installs hooks for libraries imported since the last cell
(cheap), activates a :class:`~nbgov.capture.access.CellCapture` and lets the frame
tracker look at the namespace; ``post_run_cell`` deactivates it, collects what the cell
read and wrote, and — when it touched data, or ``capture_empty_cells`` is on, or it is
a ``%%lineage`` cell — writes the cell's START and COMPLETE/FAIL to the store and
wakes the emitter. Every step runs inside the :class:`~nbgov.magics.guard.Guard`.
"""

from __future__ import annotations

import ast
import atexit
import datetime as dt
import functools
import logging
import os
import threading
from typing import Any

from IPython.core.error import UsageError
from IPython.core.magic import Magics, cell_magic, line_magic, magics_class, no_var_expand
from IPython.core.magic_arguments import argument, magic_arguments, parse_argstring
from traitlets import Bool, CaselessStrEnum, Float, Int, Unicode, default, observe

from nbgov.capture import access as _access
from nbgov.capture.access import Access, CellCapture, Location
from nbgov.capture.hooks import HookRegistry, location_for_path
from nbgov.magics import runs
from nbgov.magics.guard import Guard
from nbgov.magics.naming import cell_key, notebook_name
from nbgov.model.redact import redact_url

__all__ = ["Nbgov", "NbgovExtension"]

log = logging.getLogger(__name__)

_TRUE = ("1", "true", "yes", "on")
_FALSE = ("0", "false", "no", "off", "")


def _env_bool(name: str, fallback: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return fallback
    value = value.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    log.debug("ignoring %s=%r (not a boolean)", name, value)
    return fallback


def _env_int(name: str, fallback: int) -> int:
    try:
        return int(os.environ[name])
    except (KeyError, ValueError):
        return fallback


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


# ------------------------------------------------------------ process-wide hooks
class _Hooks:
    """The library hooks are process-wide: installed for the first shell, removed after the last."""

    def __init__(self) -> None:
        self.registry: HookRegistry | None = None
        self.users = 0
        self.lock = threading.Lock()

    def acquire(self) -> HookRegistry:
        with self.lock:
            if self.registry is None:
                from nbgov.capture.adapters import default_registry

                self.registry = default_registry()
                self.registry.watch_imports()
            self.users += 1
            return self.registry

    def release(self) -> None:
        with self.lock:
            self.users = max(self.users - 1, 0)
            if self.users == 0 and self.registry is not None:
                self.registry.uninstall()
                self.registry = None


HOOKS = _Hooks()


def _frame_tracker() -> Any:
    try:
        from nbgov.capture.frames import FrameTracker
    except ImportError:
        return None
    return FrameTracker()


def _profiler(sample_rows: int, exact_cells: int) -> Any:
    try:
        from nbgov.capture.profile import profile_frame
    except ImportError:
        return None
    return functools.partial(profile_frame, sample_rows=sample_rows, exact_cells=exact_cells)


# ------------------------------------------------------------------ the extension
@magics_class
class Nbgov(Magics):
    """nbgov in one IPython shell: traits, cell hooks, ``%nbgov`` and ``%%lineage``.

    Configure with ``%config Nbgov.<trait> = value``, ``c.Nbgov.<trait>`` in
    ``ipython_config.py``, or ``NBGOV_*`` environment variables (in that order of
    precedence: configuration beats the environment, which beats the defaults).
    """

    enabled = Bool(help="Capture lineage (NBGOV_ENABLED; %nbgov on|off)").tag(config=True)
    store = Unicode(help="Lineage store: a path, sqlite:///path or postgresql://… "
                         "(NBGOV_STORE, default .nbgov/lineage.db)").tag(config=True)
    namespace = Unicode(help="OpenLineage job namespace (NBGOV_NAMESPACE, default 'notebook')").tag(config=True)
    notebook = Unicode(help="The notebook's job name, when the front end does not tell "
                            "(NBGOV_NOTEBOOK)").tag(config=True)
    capture_empty_cells = Bool(help="Record cells that touched no data "
                                    "(NBGOV_CAPTURE_EMPTY_CELLS)").tag(config=True)
    profile_max_rows = Int(help="Rows above which distinct counts are estimated from a sample of this "
                                "many rows; row, null counts and min/max stay exact up to "
                                "profile_exact_max_cells (NBGOV_PROFILE_MAX_ROWS)").tag(config=True)
    profile_exact_max_cells = Int(help="Cells (rows x columns) above which a sampled frame's null counts "
                                       "and min/max come from the sample too, so that a cell touching a "
                                       "huge frame does not spend most of its time in whole-column passes "
                                       "(NBGOV_PROFILE_EXACT_MAX_CELLS)").tag(config=True)
    emit = Bool(help="Send events to the configured OpenLineage backend in the background "
                     "(NBGOV_EMIT)").tag(config=True)
    close_timeout = Float(2.0, help="Seconds unload waits for the emitter").tag(config=True)
    on_violation = CaselessStrEnum(("ignore", "warn", "raise"), help="After a cell that recorded lineage, "
                                   "check the policy and warn or fail the cell (NBGOV_ON_VIOLATION)").tag(config=True)
    policy = Unicode(help="Policy YAML for the after-cell check (NBGOV_POLICY; default: built-in rules)"
                     ).tag(config=True)
    classify_outputs = Bool(help="Classify the DataFrames a cell writes for PII and tag them "
                                 "(NBGOV_CLASSIFY_OUTPUTS)").tag(config=True)
    pii_max_rows = Int(help="Frames with more rows are not classified (NBGOV_PII_MAX_ROWS)").tag(config=True)

    @default("enabled")
    def _default_enabled(self) -> bool:
        return _env_bool("NBGOV_ENABLED", True)

    @default("store")
    def _default_store(self) -> str:
        from nbgov.store import store_location

        return store_location(None)

    @default("namespace")
    def _default_namespace(self) -> str:
        return os.environ.get("NBGOV_NAMESPACE", "").strip() or "notebook"

    @default("notebook")
    def _default_notebook(self) -> str:
        return os.environ.get("NBGOV_NOTEBOOK", "").strip()

    @default("capture_empty_cells")
    def _default_capture_empty(self) -> bool:
        return _env_bool("NBGOV_CAPTURE_EMPTY_CELLS", False)

    @default("profile_max_rows")
    def _default_profile_rows(self) -> int:
        return _env_int("NBGOV_PROFILE_MAX_ROWS", 20_000)

    @default("profile_exact_max_cells")
    def _default_profile_exact_cells(self) -> int:
        from nbgov.capture.profile import EXACT_CELLS

        return _env_int("NBGOV_PROFILE_EXACT_MAX_CELLS", EXACT_CELLS)

    @default("emit")
    def _default_emit(self) -> bool:
        return _env_bool("NBGOV_EMIT", True)

    @default("on_violation")
    def _default_on_violation(self) -> str:
        value = os.environ.get("NBGOV_ON_VIOLATION", "").strip().lower()
        return value if value in ("ignore", "warn", "raise") else "ignore"

    @default("policy")
    def _default_policy(self) -> str:
        return os.environ.get("NBGOV_POLICY", "").strip()

    @default("classify_outputs")
    def _default_classify(self) -> bool:
        return _env_bool("NBGOV_CLASSIFY_OUTPUTS", True)

    @default("pii_max_rows")
    def _default_pii_rows(self) -> int:
        return _env_int("NBGOV_PII_MAX_ROWS", 1_000_000)

    def __init__(self, shell: Any, **kwargs: Any) -> None:
        super().__init__(shell=shell, config=shell.config, **kwargs)
        self.guard = Guard()
        self.runs_captured = 0
        self._registry: HookRegistry | None = None
        self._store: Any = None
        self._emitter: Any = None
        self._session: runs.Session | None = None
        self._session_stored = False
        self._frames = None
        self._snapshot: Any = None
        self._profile = None
        self._capture: CellCapture | None = None
        self._cell_started: dt.datetime | None = None
        self._lineage: Any = None
        self._sql: Any = None  # nbgov.magics.sql.SqlMagics: %sql / %%sql
        self._models: Any = None  # nbgov.magics.policy.ModelGovernance: model facets, metrics, policy
        self._pii: Any = None  # nbgov.magics.governance.PiiMagics: %pii, PII tags, schema notices
        self._registered = False

    # ------------------------------------------------------------- lifecycle
    def register(self) -> Nbgov:
        """Hook into the shell (see the module docs). Idempotent."""
        if self._registered:
            return self
        shell = self.shell  # Magics.__init__ already made us one of shell.configurables
        shell.register_magics(self)
        with self.guard.running("sql"):
            from nbgov.magics.sql import SqlMagics

            self._sql = SqlMagics(shell, self).register()
        with self.guard.running("pii"):
            from nbgov.magics.governance import PiiMagics

            self._pii = PiiMagics(shell, self).register()
        shell.events.register("pre_run_cell", self.pre_run_cell)
        shell.events.register("post_run_cell", self.post_run_cell)
        with self.guard.running("policy"):
            from nbgov.magics.policy import ModelGovernance

            self._models = ModelGovernance(self).register()
        atexit.register(self._at_exit)
        self._registered = True
        with self.guard.running("hooks"):
            self._registry = HOOKS.acquire()
            self._registry.install_available()
        with self.guard.running("frames"):
            self._frames = _frame_tracker()
        self._session = runs.Session(
            namespace=self.namespace,
            notebook=notebook_name(shell.user_ns, self.notebook),
            run_id="",
            started=_now(),
        )
        with self.guard.running("store"):
            start = runs.session_event(self._session, "START")
            self._session.run_id = start["run"]["runId"]
            self._write([start], session=True)
        return self

    def unregister(self) -> None:
        """Undo :meth:`register`: every callback, magic and hook; write the session's
        COMPLETE; close the emitter (bounded wait) and the store. Idempotent."""
        if not self._registered:
            return
        self._registered = False
        shell = self.shell
        for event, callback in (("pre_run_cell", self.pre_run_cell), ("post_run_cell", self.post_run_cell)):
            try:
                shell.events.unregister(event, callback)
            except ValueError:
                pass
        models, self._models = self._models, None
        if models is not None:
            with self.guard.running("policy"):
                models.unregister()
        if _access.active() is self._capture and self._capture is not None:
            _access.deactivate()
        self._capture = None
        while self in shell.configurables:
            shell.configurables.remove(self)
        manager = shell.magics_manager
        for kind, name in (("line", "nbgov"), ("line", "lineage"), ("cell", "lineage")):
            bound = manager.magics[kind].get(name)
            if getattr(bound, "__self__", None) is self:
                del manager.magics[kind][name]
        if manager.registry.get(type(self).__name__) is self:
            del manager.registry[type(self).__name__]
        pii, self._pii = self._pii, None
        if pii is not None:
            with self.guard.running("pii"):
                pii.unregister()
        sql, self._sql = self._sql, None
        if sql is not None:
            with self.guard.running("sql"):
                sql.unregister()
        try:
            atexit.unregister(self._at_exit)
        except Exception:  # noqa: BLE001, S110 - nothing to undo
            pass
        self._finish_session()
        if self._registry is not None:
            self._registry = None
            with self.guard.running("hooks"):
                HOOKS.release()

    def _finish_session(self) -> None:
        if self._session is not None and self._session_stored:
            with self.guard.running("store"):
                self._write([runs.session_event(self._session, "COMPLETE", when=_now())], session=True)
        self._close_backends()

    def _close_backends(self) -> None:
        emitter, self._emitter = self._emitter, None
        if emitter is not None:
            with self.guard.running("emit"):
                emitter.close(self.close_timeout)
        store, self._store = self._store, None
        if store is not None:
            with self.guard.running("store"):
                store.close()

    def _at_exit(self) -> None:  # the kernel exits without %unload_ext
        try:
            self._finish_session()
        except Exception:
            log.debug("nbgov exit failed", exc_info=True)

    @observe("store")
    def _store_changed(self, change: Any) -> None:
        # also fires while __init__ loads c.Nbgov.store from a config file, before _store exists
        if change["old"] != change["new"] and getattr(self, "_store", None) is not None:
            self._close_backends()
            self._session_stored = False  # the new store gets the session's START too

    # ------------------------------------------------------------------ store
    def _open_store(self) -> Any:
        if self._store is None:
            from nbgov.store import open_store

            with _access.calling():  # nbgov's own database work is not the cell's lineage
                self._store = open_store(self.store or None)
        return self._store

    def _write(self, events: list[dict[str, Any]], *, session: bool = False) -> Any:
        """Store events (raises on failure: callers guard), then wake the emitter; returns
        the store's ``ImportResult``."""
        if not session and self._session is not None and not self._session_stored:
            events = [runs.session_event(self._session, "START"), *events]
        store = self._open_store()
        with _access.calling():
            result = store.add_events(events, emit=self.emit)
        if result.rejected:
            raise result.rejected[0]
        self._session_stored = True
        if self.emit:
            with self.guard.running("emit"):
                self._wake_emitter()
        return result

    def _wake_emitter(self) -> None:
        if self._emitter is None:
            from nbgov.emit.emitter import Emitter
            from nbgov.store import open_store

            self._emitter = Emitter(functools.partial(open_store, self.store or None)).start()
        self._emitter.wake()

    # ------------------------------------------------------------- cell hooks
    def pre_run_cell(self, info: Any) -> None:
        """IPython ``pre_run_cell`` callback: start capturing the cell."""
        try:
            self._capture = None
            self._lineage = None
            self._snapshot = None
            if not self.enabled or getattr(info, "silent", False):
                return
            self._cell_started = _now()
            registry = self._registry
            if registry is not None:
                registry.install_available()
                while registry.errors:
                    stage, exc = registry.errors.pop()
                    self.guard.report(stage, exc)
            capture = CellCapture()
            self._capture = capture
            _access.activate(capture)
            if self._frames is not None:
                with self.guard.running("frames"), _access.calling():
                    self._snapshot = self._frames.before(self.shell.user_ns, self._code_of(info))
        except Exception as exc:  # noqa: BLE001 - IPython would print a traceback
            self.guard.report("pre_run_cell", exc)

    def post_run_cell(self, result: Any) -> None:
        """IPython ``post_run_cell`` callback: record the cell's run if it touched data."""
        try:
            capture, self._capture = self._capture, None
            lineage, self._lineage = self._lineage, None
            if capture is not None and _access.active() is capture:
                _access.deactivate()
            if capture is None or not self.enabled or getattr(result, "error_before_exec", None) is not None:
                return
            for stage, exc in capture.errors:
                self.guard.report(stage, exc)
            groups: list[list[Access]] = [capture.accesses]
            snapshot, self._snapshot = self._snapshot, None
            if self._frames is not None and snapshot is not None:
                with self.guard.running("frames"), _access.calling():
                    groups.append(self._frame_accesses(snapshot))
            if lineage is not None:
                groups.append(lineage.accesses)
            if any(a.via == "open" and a.direction == "output" for a in capture.accesses):
                with self.guard.running("capture:pickle.dump"), _access.calling():
                    from nbgov.capture.adapters.models import pickled_models

                    groups.append(pickled_models(self._code_of(getattr(result, "info", None)),
                                                 self.shell.user_ns, capture.accesses))
            accesses = runs.accesses_of(groups)
            if not accesses and lineage is None and not self.capture_empty_cells:
                return
            self._record_cell(result, accesses, lineage)
        except Exception as exc:  # noqa: BLE001 - IPython would print a traceback
            self.guard.report("post_run_cell", exc)
        finally:
            if self._models is not None:  # model facets, metrics, policy: never raises
                self._models.after_cell(result)

    def _code_of(self, info: Any) -> str:
        """The Python the cell runs (for ``%%lineage`` cells: the body, transformed)."""
        raw = getattr(info, "raw_cell", "") or ""
        if raw.lstrip().startswith("%%lineage"):
            return self.shell.transform_cell(raw.lstrip().partition("\n")[2])
        return getattr(info, "transformed_cell", None) or raw

    def _frame_accesses(self, snapshot: Any) -> list[Access]:
        changes = self._frames.after(snapshot, self.shell.user_ns)
        out = []
        for name in changes.read:
            obj = changes.previous.get(name, changes.objects.get(name))
            out.append(Access("input", Location.of("dataframe", name=name), "namespace", obj=obj,
                              fields=changes.fields_before.get(name)))
        for name in changes.written:
            out.append(Access("output", Location.of("dataframe", name=name), "namespace",
                              obj=changes.objects.get(name)))
        return out

    def _record_cell(self, result: Any, accesses: list[Access], lineage: Any) -> None:
        if any(a.query for a in accesses):
            with self.guard.running("sql lineage"):
                from nbgov.magics.sql import resolve_query_tables

                accesses = resolve_query_tables(accesses)
        info = getattr(result, "info", None)
        source = getattr(info, "raw_cell", "") or ""
        key = cell_key(getattr(info, "cell_id", None), source)
        assert self._session is not None
        job_name = lineage.name if lineage is not None and lineage.name else f"{self._session.notebook}/{key}"
        cell = runs.CellRun(
            job_namespace=(lineage.namespace if lineage is not None and lineage.namespace else self.namespace),
            job_name=job_name,
            cell=key,
            source=source,
            started=self._cell_started or _now(),
            ended=_now(),
            accesses=accesses,
            error=getattr(result, "error_in_exec", None),
            owners=lineage.owners if lineage is not None else (),
            description=lineage.description if lineage is not None else None,
            tags=lineage.tags if lineage is not None else (),
            queries=list(dict.fromkeys(a.query for a in accesses if a.query)),  # COPY: one query, two accesses
        )
        if self._profile is None:
            self._profile = _profiler(self.profile_max_rows, self.profile_exact_max_cells)
        profile = runs.per_object(self._profile)  # shared with the PII step below
        with _access.calling():
            events = runs.cell_events(cell, self._session, profile=profile, report=self.guard.report)
        if self._sql is not None:
            with self.guard.running("sql lineage"):
                events = self._sql.amend_events(events, accesses)
        if self._models is not None:  # a fit's nbgov_model and column lineage; MLflow
            with self.guard.running("model facets"):
                events = self._models.amend_events(events, accesses)
        with self.guard.running("store"):
            stored = self._write(events)
            self.runs_captured += 1
            if self._pii is not None:  # PII tags and schema notices: guarded inside, per stage
                self._pii.after_cell(events, accesses, reshaped=stored.reshaped, profile=profile)

    @observe("profile_max_rows", "profile_exact_max_cells")
    def _rows_changed(self, change: Any) -> None:
        self._profile = None

    # ---------------------------------------------------------------- %nbgov
    def status(self) -> dict[str, Any]:
        """What ``%nbgov status`` shows, as data."""
        pending: int | None = None
        if self._store is not None or self.enabled:
            try:
                with _access.calling():
                    pending = int(self._open_store().outbox_stats().get("pending", 0))
            except Exception as exc:  # noqa: BLE001 - shown as unknown
                self.guard.report("store", exc)
        return {
            "enabled": self.enabled,
            "store": redact_url(self.store),
            "namespace": self.namespace,
            "notebook": self._session.notebook if self._session else None,
            "session_run": self._session.run_id if self._session else None,
            "runs_captured": self.runs_captured,
            "errors": dict(self.guard.counts),
            "outbox_pending": pending,
            "emitter": self._emitter.status() if self._emitter is not None else None,
            "hooks": len(self._registry.installed) if self._registry is not None else 0,
        }

    @line_magic("nbgov")
    def nbgov_magic(self, line: str) -> None:
        """%nbgov status|on|off|config — show or change nbgov's state."""
        words = line.split()
        command = words[0] if words else "status"
        if command not in ("status", "on", "off", "config") or len(words) > 1:
            raise UsageError("usage: %nbgov status|on|off|config")
        if command == "on":
            self.enabled = True
            print("nbgov: capture on")
        elif command == "off":
            self.enabled = False
            print("nbgov: capture off")
        elif command == "config":
            for name in sorted(self.class_traits(config=True)):
                value = getattr(self, name)
                print(f"Nbgov.{name} = {redact_url(value) if name == 'store' else value!r}")
        else:
            s = self.status()
            errors = ", ".join(f"{k}: {v}" for k, v in sorted(s["errors"].items())) or "none"
            emitter = s["emitter"] or {}
            print("\n".join([
                f"nbgov {'on' if s['enabled'] else 'off'} — store {s['store']}",
                f"notebook {s['notebook']} (namespace {s['namespace']}), session run {s['session_run']}",
                f"runs captured: {s['runs_captured']}; library hooks installed: {s['hooks']}",
                f"suppressed internal errors: {errors}",
                f"outbox pending: {s['outbox_pending'] if s['outbox_pending'] is not None else 'unknown'}"
                + (f"; delivered {emitter.get('delivered', 0)}, failed {emitter.get('failed', 0)}"
                   + (f", last error: {emitter['last_error']}" if emitter.get("last_error") else "")
                   if emitter else ""),
            ]))

    # --------------------------------------------------------------- %lineage
    @magic_arguments()
    @argument("node", nargs="?", help="dataset:NS:NAME, job:NS:NAME or datasetField:NS:NAME:FIELD "
                                      "(default: this notebook)")
    @argument("--depth", type=int, default=2, help="job hops to follow (default 2)")
    @argument("--direction", choices=("up", "down", "both"), default="both", help="default both")
    @argument("--columns", action="store_true", help="also draw column-level lineage")
    @argument("--interactive", "-i", action="store_true",
              help="with depth, direction and tables/columns controls that re-query the store (nbgov.explore)")
    @line_magic("lineage")
    def lineage_view(self, line: str) -> Any:
        """Show the lineage graph of a node, or of this notebook (see ``nbgov.show``)."""
        import nbgov  # the views are another face: reached through the package's public API

        args = parse_argstring(self.lineage_view, line)
        if not self._registered or self._session is None:
            raise UsageError("nbgov is not loaded: run %load_ext nbgov first")
        node = _unquote(args.node) or f"job:{self._session.namespace}:{self._session.notebook}"
        if args.depth < 0:
            raise UsageError("--depth must be 0 or more")
        try:
            with _access.calling():
                show = nbgov.explore if args.interactive else nbgov.show
                return show(node, depth=args.depth, direction=args.direction, columns=args.columns,
                            store=self._open_store())
        except nbgov.NbgovError as exc:
            raise UsageError(f"%lineage: {exc}") from None

    # -------------------------------------------------------------- %%lineage
    @no_var_expand
    @magic_arguments()
    @argument("--name", help="the cell's job name (default: <notebook>/cell-<id or hash>)")
    @argument("--namespace", help="the job's namespace (default: Nbgov.namespace)")
    @argument("--owner", action="append", default=[], help="owner, e.g. team:risk or user:ana (repeatable)")
    @argument("--description", help="what the cell does (documentation facet)")
    @argument("--input", action="append", default=[], metavar="URI",
              help="a dataset read that nbgov cannot see: a path or URL (repeatable)")
    @argument("--output", action="append", default=[], metavar="URI",
              help="a dataset written that nbgov cannot see: a path or URL (repeatable)")
    @argument("--tag", action="append", default=[], metavar="KEY[=VALUE]", help="job tag (repeatable)")
    @cell_magic("lineage")
    def lineage(self, line: str, cell: str) -> Any:
        """Run the cell as usual and record it as a named run, data or not."""
        __tracebackhide__ = True
        options = self._lineage_options(line)
        self._lineage = options
        return self._run_body(cell)

    def _lineage_options(self, line: str) -> _LineageOptions:
        usage = self.lineage.parser.format_usage().replace("::", "").strip().replace("%lineage", "%%lineage", 1)
        try:
            args = parse_argstring(self.lineage, line)
        except UsageError as exc:
            raise UsageError(f"{exc}\n{usage}") from None
        name, namespace, description = (_unquote(v) for v in (args.name, args.namespace, args.description))
        if (name is not None and not name) or (namespace is not None and not namespace):
            raise UsageError(f"--name and --namespace must not be empty\n{usage}")
        accesses = []
        for direction, uris in (("input", args.input), ("output", args.output)):
            for uri in uris:
                location = location_for_path(_unquote(uri))
                if location is None:
                    raise UsageError(f"--{direction} {uri!r} is not a path or URL\n{usage}")
                accesses.append(Access(direction, location, "%%lineage"))
        return _LineageOptions(
            name=name,
            namespace=namespace,
            owners=[o for o in (_unquote(v) for v in args.owner) if o],
            description=description,
            tags=runs.parse_tags(_unquote(v) for v in args.tag),
            accesses=accesses,
        )

    def _run_body(self, cell: str) -> Any:
        """Execute ``cell`` in the user namespace as IPython would; return its last
        expression's value so IPython displays it as the cell's result."""
        __tracebackhide__ = True
        shell = self.shell
        source = shell.transform_cell(cell)
        tree = ast.parse(source)
        last = None
        if tree.body and isinstance(tree.body[-1], ast.Expr):
            last = ast.Expression(tree.body.pop().value)
        filename = shell.compile.cache(source, shell.execution_count, raw_code=cell)
        if tree.body:
            exec(shell.compile(tree, filename, "exec"), shell.user_global_ns, shell.user_ns)  # noqa: S102
        if last is None or shell.displayhook.semicolon_at_end_of_expression(source):
            return None  # IPython shows nothing for a trailing ";"
        return eval(shell.compile(last, filename, "eval"), shell.user_global_ns, shell.user_ns)


def _unquote(value: str | None) -> str | None:
    """An argument without surrounding whitespace and matching quotes (IPython keeps them)."""
    if value is None:
        return None
    value = value.strip()
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
        value = value[1:-1].strip()
    return value


class _LineageOptions:
    """Parsed ``%%lineage`` arguments."""

    __slots__ = ("accesses", "description", "name", "namespace", "owners", "tags")

    def __init__(self, *, name: str | None, namespace: str | None, owners: list[str],
                 description: str | None, tags: list[tuple[str, str]], accesses: list[Access]) -> None:
        self.name = name
        self.namespace = namespace
        self.owners = owners
        self.description = description
        self.tags = tags
        self.accesses = accesses


#: the name the task's contract uses
NbgovExtension = Nbgov
