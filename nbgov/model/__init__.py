"""Pure data: node ids, normalised events, graphs. Standard library only."""

from __future__ import annotations

from nbgov.model.events import (
    ColumnEdge,
    DatasetIO,
    NormalizedEvent,
    RunState,
    canonical_json,
    event_key,
    normalize_event,
)
from nbgov.model.nodes import NodeId, NodeType
from nbgov.model.redact import redact_event, redact_mapping, redact_url

__all__ = [
    "ColumnEdge",
    "DatasetIO",
    "NodeId",
    "NodeType",
    "NormalizedEvent",
    "RunState",
    "canonical_json",
    "event_key",
    "normalize_event",
    "redact_event",
    "redact_mapping",
    "redact_url",
]
