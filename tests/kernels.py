"""Running a notebook in a real kernel, the way papermill and CI do (nbclient, no cell ids)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any


def clean_environment() -> dict[str, str]:
    """This process's environment without nbgov's, OpenLineage's or Jupyter's session settings."""
    return {k: v for k, v in os.environ.items() if not k.startswith(("NBGOV_", "OPENLINEAGE", "JPY_SESSION"))}


def run_notebook(notebook: Path, work: Path, env: Mapping[str, str], *, timeout: int = 120) -> Any:
    """Execute ``notebook`` in a ``python3`` kernel whose working folder is ``work`` and whose
    environment is exactly ``env`` (the kernel inherits this process's environment, which is
    swapped for the run and restored after). Returns the executed notebook."""
    import nbclient
    import nbformat

    nb = nbformat.read(notebook, as_version=4)
    old = dict(os.environ)
    os.environ.clear()
    os.environ.update(env)
    try:
        nbclient.NotebookClient(nb, kernel_name="python3", timeout=timeout,
                                resources={"metadata": {"path": str(work)}}).execute()
    finally:
        os.environ.clear()
        os.environ.update(old)
    return nb
