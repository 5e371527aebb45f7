"""nbgov: notebooks as first-class citizens of data governance.

The public API is re-exported here explicitly; the IPython extension entry points
import lazily so that ``import nbgov`` stays cheap and IPython-free.
"""

from __future__ import annotations

import logging

__version__ = "0.1.0"

logging.getLogger("nbgov").addHandler(logging.NullHandler())

__all__ = ["__version__"]
