"""Redaction of secrets: passwords in URLs, tokens and keys in mappings.

Applied to every event before it is stored and to every configuration before it is
shown, so no secret reaches the store, a log line or a report.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

MASK = "***"
# scheme://user:password@host  → scheme://user:***@host
_URL_PASSWORD = re.compile(r"(?P<head>\b[a-zA-Z][a-zA-Z0-9+.\-]*://[^/\s:@]*:)(?P<secret>[^@/\s]+)(?=@)")
# ?password=...&token=... in a query string: a separator, one of these names, "="
_SECRET_PARAM = r"[?&;](?:password|passwd|pwd|token|access_token|api_key|apikey|secret|sig|signature)="
_QUERY_SECRET = re.compile(rf"(?P<head>{_SECRET_PARAM})(?P<secret>[^&;#\s]+)", re.IGNORECASE)
_SECRET_KEY = re.compile(
    r"(?:^|_|-)?(password|passwd|pwd|secret|token|api_?key|apikey|auth|credential|private_?key)s?$",
    re.IGNORECASE,
)


# two pre-checks, each gated on its own character: one alternation of both scans ~3x slower
_QUICK_URL = re.compile(r"://[^/\s\"]*:[^@/\s\"]+@")
_QUICK_QUERY = re.compile(_SECRET_PARAM, re.IGNORECASE)


def may_hold_secret(text: str) -> bool:
    """Cheap pre-check on serialised text: could :func:`redact_url` change anything in it?"""
    if "@" in text and _QUICK_URL.search(text) is not None:
        return True
    return "=" in text and _QUICK_QUERY.search(text) is not None


def redact_url(text: str) -> str:
    """Mask the password of ``scheme://user:password@host`` and secret query parameters."""
    if "://" not in text and "=" not in text:
        return text
    text = _URL_PASSWORD.sub(lambda m: m.group("head") + MASK, text)
    return _QUERY_SECRET.sub(lambda m: m.group("head") + MASK, text)


def is_secret_key(key: str) -> bool:
    """Whether a mapping key names a secret (``password``, ``apiKey``, ``token``, ...)."""
    return bool(_SECRET_KEY.search(key.replace("apiKey", "api_key")))


def redact_mapping(value: Any) -> Any:
    """Return a copy of ``value`` with secret keys masked and URLs redacted, recursively."""
    if isinstance(value, Mapping):
        return {
            k: (MASK if isinstance(k, str) and is_secret_key(k) and isinstance(v, (str, int)) else redact_mapping(v))
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [redact_mapping(v) for v in value]
    if isinstance(value, str):
        return redact_url(value)
    return value


def redact_event(event: dict[str, Any]) -> tuple[dict[str, Any], bool]:
    """Redact URL credentials anywhere in an event; return the event and whether it changed.

    Facet keys are not masked wholesale (``auth`` may be a legitimate facet name); only
    credentials inside URL strings are, which is where connection secrets appear in
    OpenLineage events (namespaces, datasource URIs, SQL connection strings).
    """
    changed = False

    def walk(value: Any) -> Any:
        nonlocal changed
        if isinstance(value, dict):
            return {k: walk(v) for k, v in value.items()}
        if isinstance(value, list):
            return [walk(v) for v in value]
        if isinstance(value, str) and ("://" in value or "=" in value):
            new = redact_url(value)
            if new != value:
                changed = True
            return new
        return value

    result = walk(event)
    return result, changed
