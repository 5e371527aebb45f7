"""JSON text of stored rows: written by orjson, with the standard library for what orjson
refuses; read by the standard library.

The store writes every dataset's, version's, job's and run's facets as JSON text on each
captured cell, and each event's canonical text; orjson writes them several times faster
than :mod:`json` (about 0.3 ms less per captured cell).

Differences from ``json.dumps(value, separators=(",", ":"))``: non-ASCII characters are
written as UTF-8, not ``\\u`` escapes, and a float in exponent notation has no padded
exponent (``8e-7``, not ``8e-07``) — both read back to the same values; ``NaN`` and
infinities, which are not JSON, become ``null``. Values orjson cannot write (integers
beyond 64 bits, non-string keys) go through :mod:`json`. NumPy scalars are written as their
Python value (numbers stay numbers); other objects neither library knows are written as
``str(obj)``.

:func:`canonical` is the same text with keys sorted: a stored event's payload, and the
text whose SHA-256 is its identity (:func:`nbgov.model.events.event_key`). Dates, times
and dataclasses are written as ``str(obj)`` there, as :mod:`json` with ``default=str``
writes them.
"""

from __future__ import annotations

import json
from typing import Any

try:
    import orjson
except ImportError:  # pragma: no cover - a declared dependency; the standard library still works
    orjson = None  # type: ignore[assignment]

__all__ = ["canonical", "dumps", "loads"]


def _default(obj: Any) -> Any:
    """A value neither library writes natively: a NumPy scalar as its Python value (a
    ``numpy.float64`` is written as a number, as :mod:`json` writes float subclasses),
    anything else as ``str(obj)``."""
    if isinstance(obj, float):
        return float(obj)
    if type(obj).__module__ == "numpy" and hasattr(obj, "item"):
        value = obj.item()
        if isinstance(value, (bool, int, float, str)):
            return value
    return str(obj)


_CANONICAL_OPTIONS = 0 if orjson is None else (
    orjson.OPT_SORT_KEYS | orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS)
#: the standard library's encoder for what orjson refuses (one instance: ``json.dumps`` with
#: options builds a new encoder per call)
_CANONICAL = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=_default,
                              check_circular=False)


def canonical(value: Any) -> str:
    """Compact JSON text of ``value`` with every object's keys sorted: equal values, equal text."""
    if orjson is not None:
        try:
            return orjson.dumps(value, default=_default, option=_CANONICAL_OPTIONS).decode("utf-8")
        except TypeError:  # orjson.JSONEncodeError: big ints, non-str keys, lone surrogates, cycles
            pass
    return _CANONICAL.encode(value)


def dumps(value: Any) -> str:
    """Compact JSON text of ``value`` (keys in their order)."""
    if orjson is not None:
        try:
            return orjson.dumps(value, default=_default).decode("utf-8")
        except TypeError:  # orjson.JSONEncodeError is a TypeError: big ints, non-str keys, cycles
            pass
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False, default=_default)


def loads(text: str | bytes) -> Any:
    """The value of JSON text, read by :mod:`json`: exactly, integers beyond 64 bits
    included (orjson reads those as floats), and ``NaN`` / ``Infinity`` as older rows may
    hold them. Reading is the cheap half: orjson would save ≈ 0.05 ms per captured cell.
    """
    return json.loads(text)
