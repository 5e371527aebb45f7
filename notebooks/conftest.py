"""The tutorial notebooks as tests: each one re-executed by nbval, its outputs compared.

``python -m pytest`` (``testpaths`` includes ``notebooks/``) collects every tutorial here as an
nbval notebook without ``--nbval``; ``pytest --nbval notebooks/`` works the same (nbval
collects, this file adjusts). Only this folder's notebooks: ``tests/notebooks/*.ipynb`` are
fixtures that tests run themselves, never nbval.

For every tutorial:

- volatile values (the scratch folder's path, run ids, timestamps, addresses, ports) are
  replaced with the patterns of ``nbval_sanitize.cfg`` on both sides before comparing;
- ``text/html`` and nbgov's ``application/vnd.nbgov.lineage+json`` are not compared: the HTML
  of a lineage view is SVG when a system Graphviz ``dot`` is installed and tables when it is
  not, and the JSON payload holds cards with times and file versions that regexes cannot reach
  (nbval sanitizes strings only). Every such output also carries ``text/plain`` — the node
  lists, edges, counts and tables — and that is compared exactly;
- the kernel is this environment's Python (``--nbval-current-env``), whatever kernelspec the
  notebook names.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from nbval.plugin import IPyNbFile, get_sanitize_patterns

HERE = Path(__file__).resolve().parent
SANITIZE = HERE / "nbval_sanitize.cfg"
NOT_COMPARED = ("text/html", "application/vnd.nbgov.lineage+json")


def _is_tutorial(path: Path) -> bool:
    return path.suffix == ".ipynb" and path.resolve().parent == HERE


def pytest_collect_file(file_path: Path, parent: Any) -> Any:
    option = parent.config.option
    if _is_tutorial(file_path) and not (option.nbval or option.nbval_lax):
        return IPyNbFile.from_parent(parent, path=file_path)
    return None  # with --nbval, nbval's own hook collects the notebook


def pytest_collection_modifyitems(config: Any, items: list[Any]) -> None:
    patterns = get_sanitize_patterns(SANITIZE.read_text(encoding="utf-8"))
    for notebook in {id(i.parent): i.parent for i in items if isinstance(i.parent, IPyNbFile)}.values():
        if not _is_tutorial(Path(str(notebook.path))):
            continue
        if not config.option.nbval_kernel_name:
            config.option.nbval_current_env = True
        notebook.skip_compare = tuple(notebook.skip_compare) + NOT_COMPARED
        # nbval's setup() adds the patterns of --nbval-sanitize-with, if given, to these
        notebook.sanitize_patterns.update(patterns)
