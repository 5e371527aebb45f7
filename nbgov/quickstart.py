"""``nbgov quickstart``: the README's main job.

Runs the quickstart tutorial (``notebooks/01_quickstart.ipynb``) headlessly in a kernel of this
Python with nbclient, in a work folder (default ``.nbgov/quickstart/``), with nbgov loaded by the
notebook itself, then writes a self-contained HTML report of the store it left behind. The
folder then holds:

- ``lineage.db`` — the lineage store the notebook wrote (query it with ``nbgov … --store``);
- ``report.html`` — the report (:func:`nbgov.build_report`), one file, no network request;
- ``01_quickstart.ipynb`` — the executed notebook, with its outputs;
- the tutorial's data files (``customers.csv``, ``orders.csv``, ``features.csv``).

The notebook comes from the repository checkout when nbgov runs from one, else from the copy
shipped in the package (``nbgov/data/01_quickstart.ipynb``, kept identical by a test). It reads
``NBGOV_TUTORIAL_DIR`` to use the work folder instead of a scratch folder of its own.
"""

from __future__ import annotations

import os
import shutil
import sys
import time
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from nbgov.errors import NbgovError

__all__ = ["DEFAULT_DIR", "NOTEBOOK", "QuickstartError", "QuickstartResult", "run_quickstart", "tutorial_notebook"]

#: where ``nbgov quickstart`` works unless told otherwise
DEFAULT_DIR = Path(".nbgov") / "quickstart"
#: the tutorial it runs
NOTEBOOK = "01_quickstart.ipynb"
#: a file marking a folder as the quickstart's own, so that a rerun may empty it
MARKER = ".nbgov-quickstart"
#: the kernel name under which :class:`_ThisPython` starts this interpreter
_KERNEL = "nbgov-quickstart-python"


class QuickstartError(NbgovError):
    """The quickstart could not run: a folder it must not empty, a missing kernel, a failing cell."""


@dataclass(frozen=True)
class QuickstartResult:
    """What :func:`run_quickstart` left behind (absolute paths)."""

    folder: Path
    notebook: Path
    store: str  # the store the report was built from (URLs with a password redacted when printed)
    report: Path
    drawing: str  # how the report draws graphs: "engine", "svg" or "dot"
    nodes: int
    cells: int
    seconds: float


def tutorial_notebook() -> Path:
    """The quickstart notebook: the checkout's ``notebooks/`` copy, else the packaged one."""
    checkout = Path(__file__).resolve().parents[1] / "notebooks" / NOTEBOOK
    if checkout.is_file():
        return checkout
    return Path(str(resources.files("nbgov") / "data" / NOTEBOOK))


def _prepare(folder: Path) -> None:
    """Create ``folder``, or empty it when an earlier quickstart made it; never touch another folder."""
    if folder.exists():
        if not folder.is_dir():
            raise QuickstartError(f"{folder} exists and is not a folder")
        if any(folder.iterdir()):
            if not (folder / MARKER).is_file():
                raise QuickstartError(f"{folder} is not empty and was not made by nbgov quickstart; "
                                      "choose another folder with --dir")
            shutil.rmtree(folder)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / MARKER).write_text("made by nbgov quickstart; emptied by its next run\n", encoding="utf-8")


def _kernel_manager() -> Any:
    """A kernel manager starting ``python -m ipykernel_launcher`` with *this* interpreter,
    whatever kernelspecs the machine has (nbgov must be importable in the kernel)."""
    from jupyter_client.kernelspec import KernelSpecManager
    from jupyter_client.manager import KernelManager

    class _ThisPython(KernelSpecManager):
        def get_kernel_spec(self, kernel_name: str) -> Any:
            if kernel_name == _KERNEL:
                return self.kernel_spec_class(
                    resource_dir="", display_name=f"Python {sys.version.split()[0]} (nbgov)", language="python",
                    # ERROR: not ipykernel's start-up warning about unencrypted loopback TCP
                    argv=[sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}",
                          "--IPKernelApp.log_level=ERROR"])
            return super().get_kernel_spec(kernel_name)

    return KernelManager(kernel_name=_KERNEL, kernel_spec_manager=_ThisPython())


def _execute(source: Path, folder: Path, timeout: float) -> Any:
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError, CellTimeoutError

    nb = nbformat.read(source, as_version=4)
    client = NotebookClient(nb, km=_kernel_manager(), timeout=timeout, kernel_name=_KERNEL,
                            resources={"metadata": {"path": str(folder)}}, store_widget_state=False)
    saved = os.environ.get("NBGOV_TUTORIAL_DIR")
    os.environ["NBGOV_TUTORIAL_DIR"] = str(folder)  # the kernel inherits it: the notebook works in folder
    try:
        client.execute()
    except CellTimeoutError as exc:
        raise QuickstartError(f"{source.name}: a cell ran longer than {timeout:g} s") from exc
    except CellExecutionError as exc:
        raise QuickstartError(f"{source.name}: a cell failed: {exc.ename}: {exc.evalue}") from exc
    except Exception as exc:  # the kernel did not start or died
        raise QuickstartError(f"{source.name}: the kernel failed ({type(exc).__name__}: {exc}); "
                              "is ipykernel installed in this Python?") from exc
    finally:
        if saved is None:
            os.environ.pop("NBGOV_TUTORIAL_DIR", None)
        else:
            os.environ["NBGOV_TUTORIAL_DIR"] = saved
    return nb


def run_quickstart(folder: str | os.PathLike[str] = DEFAULT_DIR, *, store: str | None = None,
                   timeout: float = 600.0, notebook: str | os.PathLike[str] | None = None) -> QuickstartResult:
    """Run the quickstart tutorial headlessly, then write the HTML report of its lineage.

    Args:
        folder: the work folder; created, or emptied when an earlier quickstart made it.
        store: also copy the recorded events into this store (a path, ``sqlite:///…`` or
            ``postgresql://…``, not queued for a backend) and build the report from it; by
            default the report comes from ``folder/lineage.db``, the store the notebook wrote.
        timeout: seconds one cell may run.
        notebook: another notebook to run instead of the tutorial (it must honour
            ``NBGOV_TUTORIAL_DIR`` and keep its store in ``lineage.db`` there).

    Returns:
        Where the store, the report and the executed notebook are.

    Raises:
        QuickstartError: the folder holds other files, the kernel did not start, a cell failed.
        StoreError: ``store`` cannot be opened.
    """
    import nbformat

    import nbgov
    from nbgov.model.redact import redact_url
    from nbgov.store import open_store

    started = time.perf_counter()
    work = Path(folder).expanduser().resolve()
    source = Path(notebook) if notebook is not None else tutorial_notebook()
    _prepare(work)
    executed = _execute(source, work, timeout)
    out_notebook = work / source.name
    nbformat.write(executed, out_notebook)
    store_path = work / "lineage.db"
    if not store_path.is_file():
        raise QuickstartError(f"{source.name} ran but left no store at {store_path}")
    target = str(store_path)
    if store is not None:
        with open_store(target) as recorded, open_store(store) as other:
            other.add_events(recorded.events(), emit=False)
        target = store
    # the notebook's job: its cells' lineage, whatever else the store holds
    with open_store(target) as opened:
        page = nbgov.build_report(opened, [f"job:notebook:{source.stem}"], title=f"nbgov quickstart: {source.name}",
                                  store_label=redact_url(target))
    report = Path(page.write(work / "report.html"))
    return QuickstartResult(
        folder=work, notebook=out_notebook, store=target, report=report.resolve(), drawing=page.drawing,
        nodes=len(page.nodes), cells=sum(1 for c in executed.cells if c.cell_type == "code"),
        seconds=time.perf_counter() - started,
    )
