"""Owners and documentation of jobs and datasets: the ``ownership`` and ``documentation`` facets.

:func:`set_owners` writes them on a spec-valid JobEvent (for a ``job:`` id) or DatasetEvent
(for a ``dataset:`` id); the store merges the facets into the job or dataset, newest
event winning. Owners are written ``team:NAME`` or ``user:NAME`` (the convention Marquez
and the OpenLineage examples use); anything else raises :class:`InvalidOwnerError`.

Example:
    >>> set_owners(store, "dataset:file:/data/sales.csv", ["team:finance", "user:ada"],
    ...            description="Daily sales, one row per order")  # doctest: +SKIP
    >>> owners(store, "dataset:file:/data/sales.csv").owners       # doctest: +SKIP
    ('team:finance', 'user:ada')
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from nbgov.emit.events import dataset_event, facet, job_event, to_dict
from nbgov.errors import NbgovError
from nbgov.model.nodes import NodeId, NodeType

if TYPE_CHECKING:
    from nbgov.store import Store

__all__ = [
    "OWNER_PREFIXES",
    "InvalidOwnerError",
    "Ownership",
    "OwnershipError",
    "owners",
    "owners_of",
    "set_owners",
    "validate_owner",
]

OWNER_PREFIXES = ("team", "user")
_OWNER = re.compile(r"^(team|user):(\S(?:.*\S)?)$", re.DOTALL)


class OwnershipError(NbgovError):
    """Owners could not be set or read."""


class InvalidOwnerError(OwnershipError):
    """An owner is not written ``team:NAME`` or ``user:NAME``.

    Attributes:
        owner: the offending value.
    """

    def __init__(self, owner: object) -> None:
        super().__init__(f"invalid owner {owner!r}: owners are written team:NAME or user:NAME")
        self.owner = owner


@dataclass(frozen=True)
class Ownership:
    """Who owns a job or dataset, and its description.

    Attributes:
        node: the ``job:`` or ``dataset:`` id.
        owners: owner names (``team:x``, ``user:y``) in stored order.
        description: the ``documentation`` facet's description, if any.
    """

    node: str
    owners: tuple[str, ...]
    description: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"node": self.node, "owners": list(self.owners), "description": self.description}


def validate_owner(owner: object) -> str:
    """``owner`` if written ``team:NAME`` / ``user:NAME``. Raises InvalidOwnerError."""
    if not isinstance(owner, str) or not _OWNER.match(owner):
        raise InvalidOwnerError(owner)
    return owner


def owners_of(facets: Mapping[str, Any]) -> tuple[str, ...]:
    """Owner names in an ``ownership`` facet of a job's or dataset's facets (any names kept)."""
    facet = facets.get("ownership")
    if not isinstance(facet, Mapping):
        return ()
    names = []
    for o in facet.get("owners") or ():
        if isinstance(o, Mapping) and isinstance(o.get("name"), str) and o["name"] not in names:
            names.append(o["name"])
    return tuple(names)


def _node(store: Store, node_id: str | NodeId) -> NodeId:
    _, parsed = store.resolve(node_id)
    if parsed.type is NodeType.DATASET_FIELD:
        raise OwnershipError(f"{node_id}: owners belong to a job or a dataset, not a column")
    return parsed


def set_owners(
    store: Store,
    node_id: str | NodeId,
    owners: Iterable[str],
    *,
    description: str | None = None,
    emit: bool = True,
) -> Ownership:
    """Set the owners (and optionally the description) of a job or dataset.

    Replaces the owner list; an empty list removes the ``ownership`` facet. The node
    must already be in the store (a typo does not create a new node).

    Args:
        store: the lineage store.
        node_id: ``job:NS:NAME`` or ``dataset:NS:NAME``.
        owners: names written ``team:NAME`` or ``user:NAME``; duplicates are dropped.
        description: → the ``documentation`` facet; None leaves it unchanged.
        emit: also queue the event for the OpenLineage backend.

    Returns:
        The node's ownership as stored afterwards.

    Raises:
        InvalidOwnerError: an owner lacks the ``team:`` / ``user:`` prefix.
        OwnershipError: the id names a column.
        NodeNotFoundError: the node is not in the store.
    """
    if isinstance(owners, str):
        owners = [owners]
    names: list[str] = []
    for o in owners:
        if validate_owner(o) not in names:
            names.append(o)
    parsed = _node(store, node_id)
    kind = "JOB" if parsed.type is NodeType.JOB else "DATASET"
    place = "job" if kind == "JOB" else "dataset"
    facets: dict[str, Any] = {
        # an empty list removes the facet (the spec's `_deleted` marker)
        "ownership": facet(
            "ownership", {"owners": [{"name": n} for n in names]} if names else {"_deleted": True}, kind=place
        ),
    }
    if description is not None:
        facets["documentation"] = facet("documentation", {"description": description}, kind=place)
    build = job_event if kind == "JOB" else dataset_event
    event = build(parsed.namespace, parsed.name, facets=facets)
    store.add_events([to_dict(event)], emit=emit)
    return _read(store, parsed)


def owners(store: Store, node_id: str | NodeId) -> Ownership:
    """Owners and description of a job or dataset.

    Raises:
        NodeNotFoundError: the node is not in the store.
        OwnershipError: the id names a column.
    """
    return _read(store, _node(store, node_id))


def _read(store: Store, parsed: NodeId) -> Ownership:
    data = store.node(parsed)
    facets = data.get("facets") or {}
    doc = facets.get("documentation")
    description = doc.get("description") if isinstance(doc, Mapping) else None
    return Ownership(str(parsed), owners_of(facets), description or data.get("description"))
