"""``%lineage`` in a real in-process IPython shell with nbgov loaded."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from IPython.core.error import UsageError

from nbgov.views import MIME_TYPE, LineageExplorer, LineageView
from tests.capture.conftest import _ipython, run, shell  # noqa: F401 - fixtures


def test_lineage_magic_shows_this_notebook_and_any_node(shell: Any, tmp_path: Path) -> None:  # noqa: F811
    assert shell.find_line_magic("lineage") is None
    run(shell, "%load_ext nbgov")
    assert shell.find_line_magic("lineage") is not None and shell.find_cell_magic("lineage") is not None
    written = run(shell, "import pandas as pd\npd.DataFrame({'a': [1, 2]}).to_csv('out.csv', index=False)")
    assert written.success
    out = f"dataset:file:{tmp_path / 'out.csv'}"

    here = run(shell, "%lineage")  # no node: this notebook, i.e. its cells' lineage
    assert here.success, here.error_in_exec
    view = here.result
    assert isinstance(view, LineageView)
    assert view.root == "job:notebook:test.ipynb" and "1 child job(s)" in view.title
    cells = [n for n in view.table.nodes if n.startswith("job:notebook:test.ipynb/cell-")]
    assert len(cells) == 1 and out in view.table.nodes
    assert (cells[0], out) in view.table.edges
    data, _ = shell.display_formatter.format(view)  # what the front end receives
    assert {MIME_TYPE, "text/plain", "text/html"} <= set(data)
    assert data[MIME_TYPE]["nodes"][out]["card"]["fields"][0]["name"] == "a"
    assert "0x" not in data["text/plain"]

    one = run(shell, f"%lineage {out} --direction up --depth 0 --columns")
    assert one.success, one.error_in_exec
    assert set(one.result.table.nodes) == {out, cells[0]} and one.result.columns is not None
    # showing lineage reads the store but records nothing
    assert run(shell, "%lineage").result.table.nodes == view.table.nodes

    explorer = run(shell, f"%lineage {out} --interactive --direction up --depth 0")
    assert explorer.success, explorer.error_in_exec
    assert isinstance(explorer.result, LineageExplorer)
    assert set(explorer.result.view.table.nodes) == {out, cells[0]}
    explorer.result.direction.value = "down"  # re-queries the extension's store
    assert explorer.result.error is None and set(explorer.result.view.table.nodes) == {out}
    data, _ = shell.display_formatter.format(explorer.result)
    assert "application/vnd.jupyter.widget-view+json" in data and data["text/plain"].startswith("Lineage explorer")
    assert run(shell, "%lineage -i").result.view.root == "job:notebook:test.ipynb"
    assert run(shell, "%lineage").result.table.nodes == view.table.nodes  # still nothing recorded


def test_lineage_magic_usage_errors(shell: Any) -> None:  # noqa: F811
    run(shell, "%load_ext nbgov")
    for line, expected in (("%lineage dataset:nowhere:x", "node not found"),
                           ("%lineage --direction sideways", "invalid choice"),
                           ("%lineage --depth -1", "--depth must be 0 or more")):
        result = run(shell, line)
        assert isinstance(result.error_in_exec, UsageError), line
        assert expected in str(result.error_in_exec), (line, str(result.error_in_exec))


def test_unload_removes_the_line_magic(shell: Any) -> None:  # noqa: F811
    run(shell, "%load_ext nbgov")
    run(shell, "%unload_ext nbgov")
    assert shell.find_line_magic("lineage") is None and shell.find_cell_magic("lineage") is None
    run(shell, "%load_ext nbgov")
    assert shell.find_line_magic("lineage") is not None
