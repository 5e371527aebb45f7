"""What a cell read and wrote: accesses, library hooks, profiles. Never imports IPython.

- :mod:`nbgov.capture.access` — :class:`Location`, :class:`Access`, :class:`CellCapture`
  and the active-capture / call-depth state (stdlib only).
- :mod:`nbgov.capture.hooks` — :class:`Patch`, :func:`wrap`, :class:`HookRegistry`.
- :mod:`nbgov.capture.adapters` — one module per library (pandas, polars, …).
"""

from __future__ import annotations

from nbgov.capture.access import (
    Access,
    CellCapture,
    Location,
    activate,
    active,
    calling,
    deactivate,
    nested,
    record,
)
from nbgov.capture.hooks import HookRegistry, Patch, wrap

__all__ = [
    "Access",
    "CellCapture",
    "HookRegistry",
    "Location",
    "Patch",
    "activate",
    "active",
    "calling",
    "deactivate",
    "nested",
    "record",
    "wrap",
]
