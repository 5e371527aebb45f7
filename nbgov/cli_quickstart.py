"""``nbgov quickstart``: run the quickstart tutorial headlessly and say where its results are.

Registered on the main group by :func:`register` (called from :mod:`nbgov.cli`). The work is
:func:`nbgov.quickstart.run_quickstart`; this module only parses options and prints.
"""

from __future__ import annotations

import click

# the runner is a service the CLI uses, not another face (it holds no click or IPython code)
from nbgov import quickstart as _quickstart
from nbgov.model.redact import redact_url


def register(group: click.Group) -> None:
    """Add ``quickstart`` to ``group``."""

    @group.command(short_help="Run the quickstart notebook headlessly; write its store and an HTML report.")
    @click.option("--dir", "folder", type=click.Path(file_okay=False), default=str(_quickstart.DEFAULT_DIR),
                  show_default=True, help="Work folder (created; emptied first when an earlier quickstart made it).")
    @click.option("--timeout", type=click.FloatRange(min=1), default=600, show_default=True,
                  help="Seconds one notebook cell may run.")
    @click.option("--store", "store_loc", metavar="LOCATION", default=None,
                  help="Also copy the recorded events into this store (a SQLite path, sqlite:///path or"
                  " postgresql://… URL) and build the report from it [default: FOLDER/lineage.db only].")
    def quickstart(folder: str, timeout: float, store_loc: str | None) -> None:
        """Run notebooks/01_quickstart.ipynb in a kernel of this Python with nbgov loaded,
        then write a self-contained HTML report of the lineage it recorded.

        The folder keeps the store (lineage.db), the report (report.html), the executed
        notebook with its outputs and the tutorial's data files. A cell that fails stops the
        run with one line naming the error (exit 1).
        """
        click.echo(f"Running {_quickstart.tutorial_notebook()} (a Python kernel starts; a few seconds) …")
        result = _quickstart.run_quickstart(folder, store=store_loc, timeout=timeout)
        how = {"engine": "drawn by the bundled WebAssembly Graphviz", "svg": "drawn as SVG by the system Graphviz",
               "dot": "as DOT text and tables (no Graphviz found)"}.get(result.drawing, result.drawing)
        click.echo(f"Ran {result.cells} cells in {result.seconds:.1f} s; the report has {result.nodes} nodes, {how}.")
        click.echo("")
        click.echo(f"store:    {redact_url(result.store)}")
        click.echo(f"report:   {result.report}")
        click.echo(f"notebook: {result.notebook}  (executed, with outputs)")
        features = result.folder / "features.csv"
        click.echo(f"try:      nbgov lineage dataset:file:{features} --direction up --store {redact_url(result.store)}")
