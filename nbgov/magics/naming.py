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

import functools
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
@functools.lru_cache(maxsize=1024)  # pure, and asked again for every dataset of every cell run
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
        namespace, _ = dataset_name_for(kind, **_platform_parts(
            kind, {**parts, "schema": parts.get("schema") or "public", "table": "_"}))
        return namespace, parts["database"]
    return dataset_name_for(kind, **_platform_parts(kind, parts))


#: the port a database listens on when its URL names none (the OpenLineage naming spec
#: puts ``host:port`` in these namespaces)
DEFAULT_PORTS = {
    "postgres": 5432, "postgresql": 5432, "mysql": 3306, "oracle": 1521, "redshift": 5439,
    "trino": 8080, "teradata": 1025, "db2": 50000, "crate": 5432, "cratedb": 5432, "oceanbase": 2881,
}


def _platform_parts(kind: str, parts: Mapping[str, Any]) -> dict[str, Any]:
    """A database location's generic parts (``host``, ``port``, ``database``, ``schema``,
    ``table`` — what a SQLAlchemy URL gives) as the fields of the platform's naming rule.

    - a missing port becomes the platform's default (``postgresql://u@db/shop`` is
      ``postgres://db:5432``);
    - MySQL, Teradata, OceanBase have no schema level: a table's schema is its database;
    - Oracle's database is the service name; Trino's ``catalog/schema`` path is split;
    - Snowflake's host is the ``org-account`` identifier and its path ``database/schema``;
    - BigQuery's host is the project and its database the dataset;
    - Redshift's host ``cluster.id.region.redshift.amazonaws.com`` gives cluster and region.
    Parts of other platforms are returned as they are.
    """
    key = kind.lower()
    out = dict(parts)
    if key in DEFAULT_PORTS and "host" in out and out.get("port") in (None, ""):
        out["port"] = DEFAULT_PORTS[key]
    database, schema = out.get("database"), out.get("schema")
    if key in ("mysql", "teradata", "oceanbase") and "schema" in out:
        out["database"] = schema or database
        del out["schema"]
    elif key == "oracle" and "database" in out:
        out["service_name"] = out.pop("database")
    elif key == "trino" and "database" in out:
        catalog, _, path_schema = str(out.pop("database") or "").partition("/")
        out["catalog"] = catalog
        out["schema"] = schema or path_schema or None
    elif key == "snowflake" and "host" in out:
        account = str(out.pop("host") or "").split(".snowflakecomputing.com")[0]
        org, sep, name = account.partition("-")
        out["organization_name"], out["account_name"] = (org, name) if sep else ("", account)
        db, _, path_schema = str(database or "").partition("/")
        out["database"], out["schema"] = db, schema or path_schema or "PUBLIC"
        out.pop("port", None)
    elif key == "bigquery" and "host" in out:
        out = {"project_id": out.get("host"), "dataset_name": schema or database,
               "table_name": out.get("table")}
    elif key == "redshift" and "host" in out:
        labels = str(out.pop("host") or "").split(".")
        out["cluster_identifier"] = labels[0]
        out["region"] = labels[2] if len(labels) > 3 and labels[-2:] == ["amazonaws", "com"] else ""
        out["schema"] = schema or "public"
    return out


def data_source(namespace: str) -> dict[str, str]:
    """A ``dataSource`` payload for a dataset namespace."""
    name = namespace.split("://", 1)[0] if "://" in namespace else namespace
    uri = namespace if "://" in namespace else f"{namespace}://"
    return {"name": name, "uri": uri}
