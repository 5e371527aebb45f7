"""Models saved and loaded with skops (``skops.io.dump`` / ``skops.io.load``).

Hooked once ``skops.io`` is imported (``MODULE = "skops.io"``). skops' secure format is the
scikit-learn project's recommended alternative to pickle; a save links the file to the
model as joblib's does (:func:`nbgov.capture.adapters.models.model_file`):

- ``skops.io.dump(model, path)`` → the file is an output with the model's facets and a
  ``model`` tag naming the variable that holds it;
- ``skops.io.load(path, trusted=…)`` → the file is an input (the model it gives is named
  by the assignment's target, ``clf = sio.load(…)``).

``dumps``/``loads`` (bytes, no file) are not recorded: there is no dataset to name.
"""

from __future__ import annotations

from typing import Any

from nbgov.capture.access import Access
from nbgov.capture.adapters import models
from nbgov.capture.hooks import Patch, argument

__all__ = ["MODULE", "patches"]

MODULE = "skops.io"


def _describe_dump(args: tuple, kwargs: dict, result: Any, frame: Any, via: str) -> list[Access]:
    return models.saved_file("output", argument(args, kwargs, 1, "file"), argument(args, kwargs, 0, "obj"), frame, via)


def _describe_load(args: tuple, kwargs: dict, result: Any, frame: Any, via: str) -> list[Access]:
    return models.saved_file("input", argument(args, kwargs, 0, "file"), result, frame, via)


def patches() -> list[Patch]:
    """``skops.io.dump`` and ``skops.io.load``."""
    return [
        models.framed_patch("skops.io:dump", _describe_dump, "skops.io.dump"),
        models.framed_patch("skops.io:load", _describe_load, "skops.io.load"),
    ]
