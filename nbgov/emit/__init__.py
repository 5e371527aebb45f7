"""Emitting OpenLineage events: the only place that imports openlineage-python."""

from __future__ import annotations

from nbgov.emit.emitter import DeliveryResult, Emitter, deliver_pending
from nbgov.emit.events import PRODUCER, dataset, dataset_name_for, from_dict, run_event, to_dict
from nbgov.emit.transport import configured_transport, describe_transport

__all__ = [
    "PRODUCER",
    "DeliveryResult",
    "Emitter",
    "configured_transport",
    "dataset",
    "dataset_name_for",
    "deliver_pending",
    "describe_transport",
    "from_dict",
    "run_event",
    "to_dict",
]
