"""nbgov's test suite.

Test modules import the shared helpers either as ``from tests.spec import ...`` or as
``from spec import ...``; the second needs this folder on ``sys.path``.
"""

from __future__ import annotations

import sys
from pathlib import Path

_HERE = str(Path(__file__).resolve().parent)
if _HERE not in sys.path:
    sys.path.append(_HERE)
