"""The in-process shell fixtures of tests/capture, shared (not copied)."""

from __future__ import annotations

from tests.capture.conftest import _ipython, shell  # noqa: F401 - pytest fixtures
