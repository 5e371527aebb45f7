"""Names: the notebook's job, each cell's job, each location's dataset; facet payloads.

Notebook job name, first that applies:

1. ``NBGOV_NOTEBOOK`` (or the ``Nbgov.notebook`` trait);
2. ``__vsc_ipynb_file__`` in the user namespace (VS Code: the absolute path);
3. ``JPY_SESSION_NAME`` (JupyterLab / Notebook 7: the notebook path the server gives,
   relative to its root);
4. fallback ``notebook-<8 hex>``: a hash of the kernel's working directory. It does not
   depend on the process id, so a headless run (nbclient, papermill — which start the
   kernel in the notebook's folder) keeps the same job across runs and restarts. Two
   notebooks run headless from one folder share it: set ``NBGOV_NOTEBOOK`` to tell them
   apart.

Cell job name ``<notebook>/cell-<key>``, where ``key`` is the front end's cell id when it
sends one (JupyterLab, Notebook 7 and VS Code do; ``ExecutionInfo.cell_id``), else the
first 12 hex digits of the SHA-1 of the normalised source (line endings unified, trailing
spaces and surrounding blank lines dropped). nbclient sends no cell id, so headless runs
use the hash: stable across re-runs and restarts while the cell's code is unchanged;
two cells with identical code share a job (the kernel cannot tell a duplicate cell from
a re-run). ``%%lineage --name`` overrides the whole name.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote, urlsplit

from nbgov.capture.access import Location
from nbgov.emit.events import dataset_name_for

__all__ = [
    "cell_key",
    "dataset_for",
    "notebook_name",
    "notebook_url",
]

#: facets that go under inputFacets / outputFacets rather than the dataset's facets
IO_FACETS = {"inputStatistics", "outputStatistics"}


# ------------------------------------------------------------------------ notebook
def notebook_name(user_ns: Mapping[str, Any] | None = None, configured: str = "") -> str:
    """The notebook's job name (see the module docs for the order)."""
    for candidate in (configured, os.environ.get("NBGOV_NOTEBOOK", "")):
        if candidate and candidate.strip():
            return candidate.strip()
    vsc = (user_ns or {}).get("__vsc_ipynb_file__")
    if isinstance(vsc, str) and vsc.strip():
        return vsc.strip()
    session = os.environ.get("JPY_SESSION_NAME", "").strip()
    if session:
        return session
    return "notebook-" + hashlib.sha1(os.getcwd().encode("utf-8"), usedforsecurity=False).hexdigest()[:8]


def notebook_url(notebook: str, cell: str | None = None) -> str:
    """A URI for the notebook (``file://`` when it names an ``.ipynb`` path), with ``#cell``."""
    if notebook.endswith(".ipynb"):
        path = notebook
        if not os.path.isabs(path):
            base = os.path.basename(path)
            path = os.path.abspath(base if os.path.exists(base) else path)
        url = "file://" + quote(path.replace(os.sep, "/"))
    else:
        url = "notebook:" + quote(notebook, safe="")
    return f"{url}#{quote(cell, safe='-_.')}" if cell else url


def cell_key(cell_id: str | None, source: str) -> str:
    """``cell-<id>`` from the front end's cell id, else ``cell-<hash of the source>``."""
    if cell_id and str(cell_id).strip():
        return f"cell-{str(cell_id).strip()}"
    lines = source.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    normalised = "\n".join(line.rstrip() for line in lines).strip("\n")
    return "cell-" + hashlib.sha1(normalised.encode("utf-8"), usedforsecurity=False).hexdigest()[:12]


# ------------------------------------------------------------------------ datasets
def dataset_for(location: Location, *, job_namespace: str, notebook: str) -> tuple[str, str]:
    """The OpenLineage ``(namespace, name)`` of a captured location.

    - ``file`` and platforms ``dataset_name_for`` knows: as it names them (a local file
      is namespace ``file``, name the absolute path; ``sqlite:///abs/db.sqlite`` + table).
    - a database without a table (a query nbgov could not resolve to tables): the
      database's namespace, name the database (``main`` for SQLite / DuckDB files).
    - an in-memory SQLite / DuckDB database: namespace ``sqlite://:memory:``, name
      ``<notebook>/<table>`` (it lives only in this kernel).
    - URLs (``s3``, ``gs``, ``https`` …): namespace ``scheme://authority``, name the path.
    - ``dataframe`` / ``model`` and any other in-kernel object: namespace
      ``<kind>://<job namespace>``, name ``<notebook>/<variable>``.
    """
    kind = location.kind
    parts = location.as_dict()
    nb = parts.pop("notebook", None) or notebook
    if kind in ("dataframe", "model") or (set(parts) <= {"name"} and "name" in parts):
        return f"{kind}://{job_namespace}", f"{nb}/{parts.get('name', '')}"
    if "url" in parts and len(parts) == 1:
        split = urlsplit(parts["url"])
        if kind in ("s3", "gs", "gcs"):
            return dataset_name_for(kind, bucket_name=split.netloc, object_key=split.path.lstrip("/"))
        return f"{split.scheme}://{split.netloc}", split.path.lstrip("/") or "/"
    if kind in ("sqlite", "duckdb"):
        path = parts.get("path", ":memory:")
        table = ".".join(parts[k] for k in ("schema", "table") if parts.get(k))
        if path in ("", ":memory:"):
            return f"{kind}://:memory:", f"{nb}/{table or 'main'}"
        if not table:
            namespace, _ = dataset_name_for(kind, path=path, table="main")
            return namespace, "main"
        return dataset_name_for(kind, **parts)
    if "table" not in parts and parts.get("database") is not None:
        namespace, _ = dataset_name_for(kind, **{**parts, "schema": parts.get("schema") or "public",
                                                 "table": "_"})
        return namespace, parts["database"]
    return dataset_name_for(kind, **parts)


def data_source(namespace: str) -> dict[str, str]:
    """A ``dataSource`` payload for a dataset namespace."""
    name = namespace.split("://", 1)[0] if "://" in namespace else namespace
    uri = namespace if "://" in namespace else f"{namespace}://"
    return {"name": name, "uri": uri}
