"""``python -m nbgov``: the same as the ``nbgov`` command."""

from __future__ import annotations

from nbgov.cli import main

if __name__ == "__main__":
    main()
