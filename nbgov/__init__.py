"""nbgov: notebooks as first-class citizens of data governance.

The public API is re-exported here explicitly. ``import nbgov`` does not import IPython;
the notebook entry points live in their own modules.
"""

from __future__ import annotations

import logging

__version__ = "0.1.0"

logging.getLogger("nbgov").addHandler(logging.NullHandler())

from nbgov.errors import (  # noqa: E402
    ConfigError,
    EmitError,
    InvalidEventError,
    InvalidNodeIdError,
    NbgovError,
    NbgovWarning,
    NodeNotFoundError,
    SqlParseError,
    StoreError,
)
from nbgov.governance import DriftReport, PiiReport, classify_pii, compare, profile  # noqa: E402
from nbgov.model.nodes import NodeId, NodeType  # noqa: E402
from nbgov.sql import ColumnLineage, column_lineage  # noqa: E402
from nbgov.store import Store, open_store  # noqa: E402

__all__ = [
    "ColumnLineage",
    "ConfigError",
    "DriftReport",
    "EmitError",
    "InvalidEventError",
    "InvalidNodeIdError",
    "NbgovError",
    "NbgovWarning",
    "NodeId",
    "NodeNotFoundError",
    "NodeType",
    "PiiReport",
    "SqlParseError",
    "Store",
    "StoreError",
    "__version__",
    "classify_pii",
    "column_lineage",
    "compare",
    "open_store",
    "profile",
]


def load_ipython_extension(ip: object) -> None:
    """``%load_ext nbgov``: see :mod:`nbgov.magics` (imported here, so ``import nbgov``
    never imports IPython)."""
    from nbgov.magics import load_ipython_extension as load

    load(ip)


def unload_ipython_extension(ip: object) -> None:
    """``%unload_ext nbgov``: see :mod:`nbgov.magics`."""
    from nbgov.magics import unload_ipython_extension as unload

    unload(ip)
