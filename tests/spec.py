"""Test helper: check events against the shared OpenLineage reference spec.

Tests call ``assert_spec_valid(events)`` on whatever they produced; it fails listing every
problem of every event. The schemas are the read-only reference copy in
``../shared/reference/openlineage-spec`` (override with ``NBGOV_SPEC_DIR``), not the copy
vendored in ``nbgov/schemas`` — so a test also catches a vendored copy that drifted. The
checking itself is :class:`nbgov.emit.validate.EventValidator`; there is no second
implementation here.
"""

from __future__ import annotations

import functools
import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from nbgov.emit.validate import EventValidator, ValidationProblem, ValidationReport

__all__ = ["SPEC_DIR", "assert_spec_valid", "spec_dir", "spec_problems", "spec_report", "spec_validator"]

SPEC_DIR = Path(__file__).resolve().parents[1].parent / "shared" / "reference" / "openlineage-spec"


def spec_dir() -> Path:
    """The reference spec folder: ``$NBGOV_SPEC_DIR`` if set, else ``../shared/...``."""
    override = os.environ.get("NBGOV_SPEC_DIR", "").strip()
    return Path(override).expanduser().resolve() if override else SPEC_DIR


@functools.lru_cache(maxsize=None)
def _validator(root: Path) -> EventValidator:
    return EventValidator(root=root)


def spec_validator() -> EventValidator:
    """The (cached) validator over :func:`spec_dir`."""
    return _validator(spec_dir())


def _events(obj: Any) -> list[Any]:
    """Events from a dict, a JSON / NDJSON text, an openlineage-python event, or a list of those."""
    if isinstance(obj, Mapping):
        return [obj]
    if isinstance(obj, bytes):
        obj = obj.decode("utf-8")
    if isinstance(obj, str):
        try:
            loaded = json.loads(obj)
        except json.JSONDecodeError:  # NDJSON: one event per line
            loaded = [json.loads(line) for line in obj.splitlines() if line.strip()]
        return loaded if isinstance(loaded, list) else [loaded]
    if isinstance(obj, (list, tuple)):
        return [event for item in obj for event in _events(item)]
    from openlineage.client.serde import Serde  # an attrs event object from openlineage-python

    return [Serde.to_dict(obj)]


def spec_report(event: Any) -> ValidationReport:
    """The full report (problems and checked/skipped facets) for one event."""
    (only,) = _events(event)
    return spec_validator().check(only)


def spec_problems(events: Any) -> list[tuple[int, ValidationProblem]]:
    """Every ``(event index, problem)`` for the given events."""
    validator = spec_validator()
    return [(i, p) for i, event in enumerate(_events(events)) for p in validator.validate(event)]


def assert_spec_valid(events: Any) -> None:
    """Fail unless every event is valid OpenLineage, listing all problems.

    Args:
        events: one event (dict or openlineage-python object), a JSON text (object, array
            or NDJSON), or a list of any of those.

    Raises:
        AssertionError: naming each problem as ``event N: path: message [schema]``.
    """
    __tracebackhide__ = True
    found = _events(events)
    problems = spec_problems(found)
    if problems:
        lines = [f"{len(problems)} OpenLineage spec problem(s) in {len(found)} event(s) ({spec_dir()}):"]
        lines += [f"  event {i}: {p}  [{p.schema_url}]" for i, p in problems]
        raise AssertionError("\n".join(lines))
