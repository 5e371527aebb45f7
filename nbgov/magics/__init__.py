"""The IPython face of nbgov: ``%load_ext nbgov``, ``%nbgov``, ``%%lineage``.

:func:`load_ipython_extension` / :func:`unload_ipython_extension` are symmetric and keyed
by shell: loading twice does not register anything twice; ``NBGOV_DISABLED=1`` makes
loading a no-op that says so once.
"""

from __future__ import annotations

import os
from typing import Any

from nbgov.magics.extension import Nbgov, NbgovExtension

__all__ = ["Nbgov", "NbgovExtension", "extension_for", "load_ipython_extension", "unload_ipython_extension"]

#: id(shell) → its extension
_extensions: dict[int, Nbgov] = {}
_disabled_said = False


def _disabled() -> bool:
    return os.environ.get("NBGOV_DISABLED", "").strip().lower() in ("1", "true", "yes", "on")


def load_ipython_extension(ip: Any) -> None:
    """Load nbgov into the shell ``ip`` (``%load_ext nbgov``)."""
    global _disabled_said
    if _disabled():
        if not _disabled_said:
            _disabled_said = True
            print("nbgov is disabled (NBGOV_DISABLED=1): nothing is captured")
        return
    if id(ip) in _extensions:
        return
    _extensions[id(ip)] = Nbgov(ip).register()


def unload_ipython_extension(ip: Any) -> None:
    """Unload nbgov from the shell ``ip`` (``%unload_ext nbgov``)."""
    extension = _extensions.pop(id(ip), None)
    if extension is not None:
        extension.unregister()


def extension_for(ip: Any) -> Nbgov | None:
    """The extension loaded in shell ``ip``, if any."""
    return _extensions.get(id(ip))
