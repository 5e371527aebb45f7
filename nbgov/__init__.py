"""nbgov: notebooks as first-class citizens of data governance.

The public API is re-exported here explicitly. ``import nbgov`` does not import IPython;
the notebook entry points live in their own modules.

The errors, node ids and the store are imported eagerly (standard library only). The
SQL and governance APIs (``column_lineage``, ``classify_pii``, ``compare``, ``impact``…)
are resolved on first use through :data:`_LAZY`: they pull in sqlglot, pandas and the
OpenLineage client, and importing any ``nbgov.*`` module runs this file first — so an
eager import here would make the light layers (``nbgov.capture``, the CLI's start-up)
pay for libraries they never use. This is about import cost, not an import cycle.
"""

from __future__ import annotations

import importlib
import logging
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

logging.getLogger("nbgov").addHandler(logging.NullHandler())

from nbgov.errors import (
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
from nbgov.model.nodes import NodeId, NodeType
from nbgov.store import Store, open_store

if TYPE_CHECKING:
    from nbgov.governance import (
        DriftReport,
        PiiReport,
        classify_pii,
        compare,
        impact,
        log_metrics,
        model_card,
        profile,
    )
    from nbgov.sql import ColumnLineage, column_lineage
    from nbgov.views import build_report, show

#: public name -> the module that defines it, imported on first access
_LAZY = {
    "ColumnLineage": "nbgov.sql",
    "column_lineage": "nbgov.sql",
    "DriftReport": "nbgov.governance",
    "PiiReport": "nbgov.governance",
    "classify_pii": "nbgov.governance",
    "compare": "nbgov.governance",
    "impact": "nbgov.governance",
    "profile": "nbgov.governance",
    "show": "nbgov.views",
    "explore": "nbgov.views",
    "build_report": "nbgov.views",
    "model_card": "nbgov.governance",
    "log_metrics": "nbgov.governance",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'nbgov' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))

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
    "build_report",
    "classify_pii",
    "column_lineage",
    "compare",
    "impact",
    "log_metrics",
    "model_card",
    "open_store",
    "profile",
    "show",
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
