"""``nbgov report``: the self-contained HTML report from a shell.

Registered on the main group by :func:`register` (called from :mod:`nbgov.cli`). The
page is built by :func:`nbgov.build_report` (``nbgov.views.report``), reached through the
package's public API: the layering test lets one face (the CLI) import only lower layers,
not another face (the views).
"""

from __future__ import annotations

from pathlib import Path

import click

from nbgov.model.redact import redact_url

#: what ``nbgov report`` writes unless told otherwise
DEFAULT_OUT = "report.html"


def register(group: click.Group) -> None:
    """Add ``report`` to ``group``."""

    @group.command(short_help="Write a self-contained HTML report (lineage, datasets, runs, alerts).")
    @click.argument("node_ids", nargs=-1, metavar="[NODE_ID]...")
    @click.option("--out", "-o", "out", type=click.Path(dir_okay=False, writable=True), default=DEFAULT_OUT,
                  show_default=True, help="The HTML file to write.")
    @click.option("--depth", type=click.IntRange(min=0), default=2, show_default=True,
                  help="How many job hops to draw around each NODE_ID.")
    @click.option("--title", default=None, help="The page title [default: nbgov lineage report].")
    @click.option("--engine", type=click.Path(exists=True, dir_okay=False), default=None,
                  help="A viz-standalone.js (WebAssembly Graphviz) to inline [default: $NBGOV_VIZ_JS, else the"
                  " one shipped with nbgov, if any].")
    @click.option("--store", "store_loc", metavar="LOCATION", default=None,
                  help="Lineage store: a SQLite file path, sqlite:///path or postgresql://… URL"
                  " [default: $NBGOV_STORE, else .nbgov/lineage.db].")
    def report(node_ids: tuple[str, ...], out: str, depth: int, title: str | None, engine: str | None,
               store_loc: str | None) -> None:
        """Write one self-contained HTML file: the lineage graph of each NODE_ID (or of the
        whole store), every dataset on it with schema, quality, tags/PII, versions, schema
        alerts and drift, every job with its runs and their states.

        The file makes no network request. Its graphs are drawn by the WebAssembly Graphviz
        when one is available (inlined), else as SVG by a system `dot`, else as DOT text with
        tables of nodes and edges; the page and this command say which.
        """
        import nbgov
        from nbgov.store import open_store

        with open_store(store_loc) as store:
            built = nbgov.build_report(store, list(node_ids), title=title, depth=depth,
                                       engine=engine, store_label=redact_url(store.url))
        try:
            path = built.write(out)
        except OSError as exc:
            raise click.ClickException(f"cannot write {out}: {exc.strerror or exc}") from exc
        click.echo(f"report: {Path(path)}  ({len(built.nodes)} nodes; graphs drawn by {_how(built.drawing)})")


def _how(drawing: str) -> str:
    return {"engine": "the bundled WebAssembly Graphviz", "svg": "the system Graphviz `dot`",
            "dot": "nothing: no Graphviz found, DOT text and tables instead"}.get(drawing, drawing)
