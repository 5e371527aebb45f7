"""Library adapters: one module per library, each ``MODULE = "<library>"`` + ``patches()``.

See :mod:`nbgov.capture.hooks` for the contract. :data:`ADAPTERS` lists the adapter
modules the notebook face registers; add a new adapter by appending its dotted name.
Importing an adapter never imports its library.
"""

from __future__ import annotations

__all__ = ["ADAPTERS", "default_registry"]

#: adapter modules, in registration order (append yours)
ADAPTERS: list[str] = [
    "nbgov.capture.adapters.pandas",
    "nbgov.capture.adapters.polars", "nbgov.capture.adapters.pyarrow", "nbgov.capture.adapters.duckdb",
    *(f"nbgov.capture.adapters.{name}" for name in ("sqlite3", "sqlalchemy", "models", "builtins_open")),
    "nbgov.capture.adapters.sklearn_metrics", "nbgov.capture.adapters.xgboost", "nbgov.capture.adapters.lightgbm",
    "nbgov.capture.adapters.skops",
]


def default_registry():  # -> HookRegistry
    """A :class:`~nbgov.capture.hooks.HookRegistry` with every importable adapter of
    :data:`ADAPTERS` registered (an adapter that fails to import is skipped, logged at DEBUG)."""
    import logging

    from nbgov.capture.hooks import HookRegistry

    registry = HookRegistry()
    for name in ADAPTERS:
        try:
            registry.register(name)
        except Exception as exc:
            logging.getLogger(__name__).debug("adapter %s unavailable", name, exc_info=True)
            registry.errors.append((f"hooks:{name}", exc))
    return registry
