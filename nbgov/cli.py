"""The ``nbgov`` command line: import, export, query and ship lineage from a shell.

Every command takes ``--store`` (default ``$NBGOV_STORE``, else ``.nbgov/lineage.db``)
and ``--help``; every command that prints data takes ``--format json``. Errors nbgov
raises (:class:`~nbgov.errors.NbgovError`) become one ``Error: …`` line and exit
code 1 at the boundary (:class:`NbgovGroup`); click's own usage errors exit with 2.
See ``docs/cli.md`` for each command's JSON keys.
"""

from __future__ import annotations

import contextlib
import os
import socket
import sys
import time
from collections.abc import Callable, Sequence
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from nbgov import __version__
from nbgov.cli_common import depth_option, echo_json, format_option, opened_store, store_option
from nbgov.errors import NbgovError
from nbgov.model.redact import redact_mapping, redact_url

if TYPE_CHECKING:
    from nbgov.store import Store

F = TypeVar("F", bound=Callable[..., Any])

#: where ``nbgov demo`` puts its store and report unless told otherwise
DEMO_DIR = Path(".nbgov") / "demo"
#: the node whose lineage ``nbgov demo`` shows: the model the sample pipeline trains
DEMO_ROOT = "dataset:file:/models/churn_model.pkl"


class NbgovGroup(click.Group):
    """A click group that turns every :class:`NbgovError` into a one-line error (exit 1)."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except NbgovError as exc:
            # one line, whatever the cause's text (libpq adds hints on further lines)
            raise click.ClickException(redact_url(" ".join(str(exc).split()))) from exc


def _owner() -> str:
    return f"nbgov-cli:{socket.gethostname()}:{os.getpid()}"


# ------------------------------------------------------------------------ the group
@click.group(cls=NbgovGroup, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, "--version", prog_name="nbgov")
def cli() -> None:
    """Notebook data lineage as OpenLineage events, stored locally and queryable.

    The store is a SQLite file (default .nbgov/lineage.db, or $NBGOV_STORE) or a
    PostgreSQL database (NBGOV_STORE=postgresql://…). Node ids follow Marquez:
    dataset:NAMESPACE:NAME, job:NAMESPACE:NAME, datasetField:NAMESPACE:NAME:FIELD.
    """


def main(argv: Sequence[str] | None = None) -> None:
    """Console-script entry point."""
    cli.main(args=list(argv) if argv is not None else None, prog_name="nbgov")


# -------------------------------------------------------------------------- import
@cli.command("import", short_help="Import OpenLineage events (NDJSON or JSON).")
@click.argument("files", nargs=-1, required=True,
                type=click.Path(exists=True, dir_okay=False, readable=True, allow_dash=True))
@click.option(
    "--emit/--no-emit", default=False, show_default=True,
    help="Also queue the newly stored events for the configured OpenLineage backend (sent by `nbgov flush`"
    " or the next notebook session). Off by default: events imported from another producer were usually"
    " already sent by it, and sending them again would duplicate them in the backend.",
)
@click.option("--validate/--no-validate", default=True, show_default=True,
              help="Check every event against the OpenLineage spec; --no-validate keeps any event the graph can use.")
@store_option()
@format_option()
def import_(files: tuple[str, ...], emit: bool, validate: bool, store_loc: str | None, fmt: str) -> None:
    """Import OpenLineage events from FILES (NDJSON, a JSON array or one JSON event; - is stdin).

    Valid events are stored (an event already in the store is counted as a duplicate);
    each invalid one is rejected with its location and the wrong field, e.g.
    `events.ndjson:7: run.runId: 'x' is not a 'uuid'` (array elements as `file[INDEX]`).

    Exit status: 0 when nothing was rejected, 1 when some events were rejected (the
    valid ones are still stored), 2 for usage errors.
    """
    from nbgov.importing import import_files

    def show(problem: Any) -> None:
        if fmt == "text":
            click.echo(str(problem), err=True)

    with opened_store(store_loc) as store:
        report = import_files(store, files, emit=emit, validate=validate, on_problem=show)
    if fmt == "json":
        echo_json(report.to_dict())
    else:
        click.echo(f"read {report.read} events: {report.stored} stored, {report.duplicates} duplicates,"
                   f" {report.rejected} rejected")
        if emit:
            click.echo(f"queued {report.queued} events for delivery; `nbgov flush` sends them now")
    if not report.ok:
        sys.exit(1)


# -------------------------------------------------------------------------- export
def _time_option(name: str, help_text: str) -> Callable[[F], F]:
    def check(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
        if value is None:
            return None
        from nbgov.model.events import normalize_time

        try:
            normalize_time(value)
        except ValueError as exc:
            raise click.BadParameter(str(exc)) from None
        return value

    return click.option(name, metavar="TIME", callback=check, help=help_text)


@cli.command(short_help="Export stored events as NDJSON.")
@click.option("--namespace", help="Only events of jobs (or datasets, for dataset events) in this namespace.")
@click.option("--job", help="Only events of jobs with this name.")
@click.option("--run", "run_id", metavar="RUN_ID", help="Only events of this run.")
@_time_option("--since", "Only events at or after this ISO-8601 time.")
@_time_option("--until", "Only events before this ISO-8601 time.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, writable=True, allow_dash=True), default="-",
              show_default=True, help="Write to this file instead of standard output.")
@store_option()
def export(namespace: str | None, job: str | None, run_id: str | None, since: str | None, until: str | None,
           output: str, store_loc: str | None) -> None:
    """Export stored events as NDJSON, oldest first, exactly as they were stored.

    Each line is the stored event in canonical JSON (sorted keys, no spaces), so
    `nbgov import` of the output into an empty store stores the same events.
    """
    from nbgov.model.events import canonical_json

    count = 0
    with opened_store(store_loc) as store, click.open_file(output, "w", encoding="utf-8") as out:
        for event in store.events(namespace=namespace, job=job, run_id=run_id, since=since, until=until):
            out.write(canonical_json(event) + "\n")
            count += 1
    if output != "-":
        click.echo(f"exported {count} events to {output}", err=True)


# ------------------------------------------------------------------------- lineage
@cli.command(short_help="Show the lineage graph around a node.")
@click.argument("node_id")
@depth_option
@click.option("--direction", type=click.Choice(["both", "up", "down"]), default="both", show_default=True,
              help="up: what the node was derived from; down: what was derived from it.")
@format_option("text", "json", "dot")
@store_option()
def lineage(node_id: str, depth: int, direction: str, fmt: str, store_loc: str | None) -> None:
    """Show the lineage graph around NODE_ID (dataset:NS:NAME or job:NS:NAME).

    json prints Marquez's GET /api/v1/lineage shape; dot prints a Graphviz digraph
    (`nbgov lineage … --format dot | dot -Tsvg > lineage.svg`).
    """
    from nbgov import render

    with opened_store(store_loc) as store:
        query = {"both": store.lineage, "up": store.upstream, "down": store.downstream}[direction]
        graph = query(node_id, depth)
        root = _canonical_id(store, node_id)
    if fmt == "json":
        echo_json(graph)
    elif fmt == "dot":
        click.echo(render.lineage_dot(graph, root), nl=False)
    else:
        click.echo(render.lineage_text(graph, root))


def _canonical_id(store: Store, node_id: str) -> str:
    """The id as the graph spells it (the reading of ``node_id`` that exists)."""
    _, parsed = store.resolve(node_id)
    return str(parsed)


@cli.command("column-lineage", short_help="Show column-level lineage.")
@click.argument("node_id")
@depth_option
@click.option("--downstream", is_flag=True, help="Also follow the columns derived from the node.")
@format_option("text", "json", "dot")
@store_option()
def column_lineage(node_id: str, depth: int, downstream: bool, fmt: str, store_loc: str | None) -> None:
    """Show column lineage of NODE_ID (datasetField:NS:NAME:FIELD, or dataset:NS:NAME for all its columns).

    json prints Marquez's GET /api/v1/column-lineage shape.
    """
    from nbgov import render

    with opened_store(store_loc) as store:
        graph = store.column_lineage(node_id, depth, with_downstream=downstream)
    if fmt == "json":
        echo_json(graph)
    elif fmt == "dot":
        click.echo(render.column_lineage_dot(graph), nl=False)
    else:
        click.echo(render.column_lineage_text(graph))


# ------------------------------------------------------------------------- catalog
@cli.command()
@click.option("--namespace", help="Only datasets in this namespace.")
@format_option()
@store_option()
def datasets(namespace: str | None, fmt: str, store_loc: str | None) -> None:
    """List datasets, sorted by namespace and name."""
    from nbgov.render import table

    with opened_store(store_loc) as store:
        rows = store.datasets(namespace)
    if fmt == "json":
        echo_json({"totalCount": len(rows), "datasets": rows})
        return
    click.echo(table(
        ["NAMESPACE", "NAME", "FIELDS", "UPDATED"],
        [(d["namespace"], d["name"], len(d.get("fields") or []), d.get("updatedAt")) for d in rows],
    ))


@cli.command()
@click.option("--namespace", help="Only jobs in this namespace.")
@format_option()
@store_option()
def jobs(namespace: str | None, fmt: str, store_loc: str | None) -> None:
    """List jobs with the state of their latest run."""
    from nbgov.render import table

    with opened_store(store_loc) as store:
        rows = store.jobs(namespace)
    if fmt == "json":
        echo_json({"totalCount": len(rows), "jobs": rows})
        return
    click.echo(table(
        ["NAMESPACE", "NAME", "LATEST RUN", "STATE", "INPUTS", "OUTPUTS"],
        [(j["namespace"], j["name"], (j.get("latestRun") or {}).get("id"), (j.get("latestRun") or {}).get("state"),
          len(j.get("inputs") or []), len(j.get("outputs") or [])) for j in rows],
    ))


@cli.command()
@click.argument("job")
@click.option("--limit", type=click.IntRange(min=1), default=100, show_default=True, help="At most this many runs.")
@format_option()
@store_option()
def runs(job: str, limit: int, fmt: str, store_loc: str | None) -> None:
    """List runs of JOB, newest first.

    JOB is a job node id, job:NAMESPACE:NAME; the job: prefix may be left out
    (NAMESPACE:NAME). Namespaces may hold colons (e.g. airflow://host:8080): every
    reading is tried and the one naming a stored job wins.
    """
    from nbgov.render import table

    if job.startswith(("dataset:", "datasetField:")):
        raise click.BadParameter("expected a job (job:NAMESPACE:NAME or NAMESPACE:NAME)", param_hint="JOB")
    node_id = job if job.startswith("job:") else f"job:{job}"
    with opened_store(store_loc) as store:
        _, parsed = store.resolve(node_id)
        rows = store.runs(parsed.namespace, parsed.name, limit=limit)
    if fmt == "json":
        echo_json({"totalCount": len(rows), "runs": rows})
        return
    click.echo(table(
        ["RUN", "STATE", "STARTED", "ENDED", "DURATION_MS"],
        [(r["id"], r.get("state"), r.get("startedAt"), r.get("endedAt"), r.get("durationMs")) for r in rows],
    ))


@cli.command(short_help="Find datasets and jobs by name.")
@click.argument("text")
@click.option("--limit", type=click.IntRange(min=1), default=50, show_default=True, help="At most this many results.")
@format_option()
@store_option()
def search(text: str, limit: int, fmt: str, store_loc: str | None) -> None:
    """Find datasets and jobs whose name or namespace contains TEXT (case-insensitive)."""
    from nbgov.render import table

    with opened_store(store_loc) as store:
        found = store.search(text, limit=limit)
    if fmt == "json":
        echo_json(found)
        return
    click.echo(table(["TYPE", "NODE ID", "UPDATED"],
                     [(r["type"], r["nodeId"], r.get("updatedAt")) for r in found["results"]]))


# --------------------------------------------------------------------------- flush
@cli.command(short_help="Deliver queued events to the backend now.")
@click.option("--timeout", type=click.FloatRange(min=0), default=60.0, show_default=True,
              help="Stop after this many seconds; undelivered events stay in the outbox.")
@click.option("--batch", type=click.IntRange(min=1), default=100, show_default=True, help="Events per delivery batch.")
@format_option()
@store_option()
def flush(timeout: float, batch: int, fmt: str, store_loc: str | None) -> None:
    """Deliver the events waiting in the outbox to the configured OpenLineage backend now.

    The backend comes from the standard OpenLineage client configuration
    (OPENLINEAGE_URL, OPENLINEAGE_CONFIG / openlineage.yml, OPENLINEAGE__TRANSPORT__*).
    Exit status 1 when events remain undelivered (backend down or not configured).
    """
    try:
        from nbgov.emit.emitter import deliver_pending
        from nbgov.emit.transport import configured_transport
    except ImportError as exc:  # pragma: no cover - only while emission is being built
        raise click.ClickException(f"emission is not available in this installation: {exc}") from exc

    delivered = failed = 0
    last_error = None
    with opened_store(store_loc) as store:
        pending = store.reset_outbox_schedule()
        transport = configured_transport() if pending else None
        if pending and transport is None:
            result = {"delivered": 0, "failed": 0, "pending": pending,
                      "last_error": "no OpenLineage backend is configured"}
        else:
            deadline = time.monotonic() + timeout
            while pending and time.monotonic() < deadline:
                outcome = deliver_pending(store, transport, owner=_owner(), limit=batch, deadline=deadline)
                delivered += outcome.delivered
                failed += outcome.failed
                last_error = outcome.last_error or last_error
                pending = outcome.pending
                if outcome.failed or not outcome.delivered:
                    break
            pending = store.outbox_stats()["pending"]
            if transport is not None:
                with contextlib.suppress(Exception):  # closing must not hide the outcome
                    transport.close(1.0)
            result = {"delivered": delivered, "failed": failed, "pending": pending,
                      "last_error": redact_url(last_error) if last_error else None}
    if fmt == "json":
        echo_json(result)
    else:
        click.echo(f"delivered {result['delivered']}, failed {result['failed']}, pending {result['pending']}")
        if result["pending"] and result["last_error"]:
            click.echo(f"last error: {result['last_error']}", err=True)
    if result["pending"]:
        sys.exit(1)


# -------------------------------------------------------------------------- doctor
_ENV_PREFIXES = ("NBGOV_", "OPENLINEAGE")


def _check(name: str, status: str, message: str, **details: Any) -> dict[str, Any]:
    return {"name": name, "status": status, "message": message, "details": details}


def _doctor_checks(store_loc: str | None) -> list[dict[str, Any]]:
    from nbgov.store import open_store, store_location

    checks = []
    location = store_location(store_loc)
    shown = redact_url(location)
    is_file = "://" not in location or location.lower().startswith("sqlite:///")
    path = Path(location[len("sqlite:///"):] if location.lower().startswith("sqlite:///") else location)
    store = None
    if is_file and location != ":memory:" and not path.expanduser().exists():
        checks.append(_check("store", "WARN", f"{shown} does not exist yet (created by the first import)",
                             location=shown, backend="sqlite"))
    else:
        try:
            store = open_store(location, migrate=False)
        except NbgovError as exc:
            checks.append(_check("store", "FAIL", redact_url(str(exc)), location=shown))
    if store is not None:
        try:
            backend = "postgresql" if not is_file else "sqlite"
            try:
                applied = [name for name, _ in store.applied_migrations()]
            except NbgovError:
                applied = []
            pending = store.pending_migrations()
            status = "WARN" if pending else "OK"
            note = f"; {len(pending)} migrations pending (applied by the next command that opens it)" if pending else ""
            checks.append(_check("store", status, f"{backend} {shown}: {len(applied)} migrations applied{note}",
                                 location=shown, backend=backend, migrations_applied=applied,
                                 migrations_pending=pending))
            if pending:
                checks.append(_check("counts", "WARN", "counts unavailable until migrations are applied"))
            else:
                stats = store.stats()
                checks.append(_check("counts", "OK", ", ".join(f"{v} {k}" for k, v in stats.items()), **stats))
                outbox = store.outbox_stats()
                o_status = "WARN" if outbox["pending"] and outbox["last_error"] else "OK"
                msg = f"{outbox['pending']} pending, {outbox['delivered']} delivered"
                if outbox["oldest_pending"]:
                    msg += f", oldest pending since {outbox['oldest_pending']}"
                if outbox["last_error"]:
                    msg += f"; last error: {redact_url(str(outbox['last_error']))}"
                checks.append(_check("outbox", o_status, msg, **{k: (redact_url(v) if isinstance(v, str) else v)
                                                                  for k, v in outbox.items()}))
        except NbgovError as exc:
            checks.append(_check("store", "FAIL", redact_url(str(exc)), location=shown))
        finally:
            store.close()

    try:
        from nbgov.emit.transport import describe_transport

        transport: dict[str, Any] | None = redact_mapping(describe_transport())
        transport_error = None
    except ImportError:
        transport, transport_error = None, "emission is not available in this installation"
    except Exception as exc:  # describing must never crash doctor
        transport, transport_error = None, redact_url(str(exc)) or type(exc).__name__

    env = redact_mapping({k: v for k, v in sorted(os.environ.items()) if k.startswith(_ENV_PREFIXES)})
    sources = list((transport or {}).get("sources") or [])
    desc = ", ".join(f"{k}={v}" for k, v in env.items()) or "no NBGOV_* or OPENLINEAGE* variables set"
    desc += "; OpenLineage configuration from " + (", ".join(sources) if sources else "nowhere (no backend)")
    checks.append(_check("config", "OK", desc, env=env, openlineage_sources=sources))

    if transport is None:
        checks.append(_check("transport", "WARN", transport_error or "unknown"))
    elif transport.get("error"):
        checks.append(_check("transport", "FAIL", f"OpenLineage configuration is broken: {transport['error']}",
                             **transport))
    elif transport.get("disabled"):
        checks.append(_check("transport", "WARN", "OPENLINEAGE_DISABLED is set: events stay in the store",
                             **transport))
    elif not transport.get("configured"):
        checks.append(_check("transport", "WARN", "no OpenLineage backend configured (OPENLINEAGE_URL,"
                             " OPENLINEAGE_CONFIG or openlineage.yml): events stay in the store", **transport))
    else:
        text = f"{transport.get('kind')} -> {transport.get('target') or '?'}"
        if transport.get("source"):
            text += f" (from {transport['source']})"
        if transport.get("warning"):
            text += f"; {transport['warning']}"
        checks.append(_check("transport", "WARN" if transport.get("warning") else "OK", text, **transport))

    try:
        from nbgov.emit.validate import default_validator

        default_validator()
        checks.append(_check("schemas", "OK", "OpenLineage JSON Schemas available for validation"))
    except ImportError:
        checks.append(_check("schemas", "WARN", "event validation is not available in this installation"))
    except NbgovError as exc:
        checks.append(_check("schemas", "FAIL", str(exc)))
    return checks


@cli.command(short_help="Check store, config, transport and outbox.")
@format_option()
@store_option()
def doctor(fmt: str, store_loc: str | None) -> None:
    """Check the store, configuration, transport and outbox; one OK/WARN/FAIL line each.

    Secrets (passwords in URLs, tokens, keys) are masked. Exit status 1 when any check FAILs.
    """
    checks = _doctor_checks(store_loc)
    ok = all(c["status"] != "FAIL" for c in checks)
    if fmt == "json":
        echo_json({"ok": ok, "checks": checks})
    else:
        width = max(len(c["name"]) for c in checks)
        for c in checks:
            message = " ".join(str(c["message"]).split())  # one line each (libpq adds hint lines)
            click.echo(f"{c['status']:<4}  {c['name']:<{width}}  {message}")
    if not ok:
        sys.exit(1)


# ---------------------------------------------------------------------------- demo
def sample_events_path() -> Any:
    """The bundled sample of OpenLineage events (a traversable inside the package)."""
    return resources.files("nbgov") / "data" / "sample_events.ndjson"


@cli.command(short_help="Import a sample pipeline and write a report.")
@store_option(f"{DEMO_DIR / 'lineage.db'}")
@click.option("--report", type=click.Path(dir_okay=False, writable=True), default=str(DEMO_DIR / "report.html"),
              show_default=True, help="Where to write the HTML report.")
def demo(store_loc: str | None, report: str) -> None:
    """Import a bundled sample pipeline, print its lineage and write an HTML report.

    The sample: raw CSV files -> clean_customers -> a PostgreSQL table ->
    build_features -> a feature table -> train_churn_model (one failed run, one
    successful) -> a model file. Importing it again changes nothing.
    """
    import nbgov
    from nbgov import render
    from nbgov.importing import import_files

    location = store_loc or str(DEMO_DIR / "lineage.db")
    sample = sample_events_path()
    with opened_store(location) as store, sample.open("rb") as stream:
        result = import_files(store, [str(sample)], streams={str(sample): stream})
        if not result.ok:
            raise click.ClickException("the bundled sample has invalid events: "
                                       + "; ".join(str(p) for p in result.problems[:3]))
        graph = store.lineage(DEMO_ROOT)
        shown = store.url
        page = nbgov.build_report(store, [DEMO_ROOT], title="nbgov demo: churn model pipeline",
                                  store_label=redact_url(shown))
    click.echo(f"Imported the sample pipeline: {result.stored} events stored, {result.duplicates} already there.")
    click.echo("")
    click.echo(f"Lineage of {DEMO_ROOT}:")
    click.echo(render.lineage_text(graph, DEMO_ROOT))
    out = Path(report)
    try:
        page.write(out)
    except OSError as exc:
        raise click.ClickException(f"cannot write {report}: {exc.strerror or exc}") from exc
    click.echo("")
    click.echo(f"store:  {redact_url(shown)}")
    click.echo(f"report: {out}" + ("  (Graphviz `dot` not found: the graph is shown as DOT text)"
                                   if page.drawing == "dot" else ""))
    click.echo(f"try:    nbgov lineage {DEMO_ROOT} --store {location}")


from nbgov.cli_impact import register as _register_impact  # noqa: E402  (impact, drift, owner)

_register_impact(cli)

from nbgov.cli_pii import register as _register_pii  # noqa: E402  (scan, tags)

_register_pii(cli)

from nbgov.cli_report import register as _register_report  # noqa: E402  (report)

_register_report(cli)

from nbgov.cli_model import register as _register_model  # noqa: E402  (model-card, approve, check)

_register_model(cli)

from nbgov.cli_quickstart import register as _register_quickstart  # noqa: E402  (quickstart)

_register_quickstart(cli)


if __name__ == "__main__":  # pragma: no cover
    main()
