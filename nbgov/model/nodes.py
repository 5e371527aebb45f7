"""Marquez node ids: ``dataset:NS:NAME``, ``job:NS:NAME``, ``datasetField:NS:NAME:FIELD``.

Namespaces are often URIs (``postgres://host:5432``, ``s3://bucket``) and names may hold
colons too, so an id cannot be split on every colon. :meth:`NodeId.parse` follows
Marquez's rule — a colon that starts ``//`` (a URI scheme) or a port number does not
separate parts — and :meth:`NodeId.candidates` lists every other reading so a store
can pick the one that exists.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass

from nbgov.errors import InvalidNodeIdError


class NodeType(str, enum.Enum):
    """Node kinds as Marquez names them in ``type``."""

    DATASET = "DATASET"
    JOB = "JOB"
    DATASET_FIELD = "DATASET_FIELD"


_PREFIX = {"dataset": NodeType.DATASET, "job": NodeType.JOB, "datasetField": NodeType.DATASET_FIELD}
_PREFIX_OF = {v: k for k, v in _PREFIX.items()}
# A colon that is part of a URI scheme (``s3://``) or a ``host:port`` is not a separator.
_NOT_SEPARATOR = re.compile(r"//|\d+(?=$|[:/?#,])")


@dataclass(frozen=True, order=True)
class NodeId:
    """A parsed node id.

    Attributes:
        type: what kind of node.
        namespace: the dataset's or job's namespace.
        name: the dataset's or job's name.
        field: the column name, for ``DATASET_FIELD`` nodes only.
    """

    type: NodeType
    namespace: str
    name: str
    field: str | None = None

    def __str__(self) -> str:
        base = f"{_PREFIX_OF[self.type]}:{self.namespace}:{self.name}"
        return f"{base}:{self.field}" if self.type is NodeType.DATASET_FIELD else base

    @classmethod
    def dataset(cls, namespace: str, name: str) -> NodeId:
        return cls(NodeType.DATASET, namespace, name)

    @classmethod
    def job(cls, namespace: str, name: str) -> NodeId:
        return cls(NodeType.JOB, namespace, name)

    @classmethod
    def dataset_field(cls, namespace: str, name: str, field: str) -> NodeId:
        return cls(NodeType.DATASET_FIELD, namespace, name, field)

    @property
    def dataset_node(self) -> NodeId:
        """The dataset a ``DATASET_FIELD`` node belongs to (itself for other nodes)."""
        if self.type is NodeType.DATASET_FIELD:
            return NodeId.dataset(self.namespace, self.name)
        return self

    @classmethod
    def parse(cls, text: str) -> NodeId:
        """Parse a node id, preferring Marquez's reading when several are possible.

        Raises:
            InvalidNodeIdError: unknown prefix or too few parts.
        """
        return cls.candidates(text)[0]

    @classmethod
    def candidates(cls, text: str) -> list[NodeId]:
        """Every reading of ``text`` as a node id, the most likely first.

        Raises:
            InvalidNodeIdError: unknown prefix or too few parts.
        """
        if not isinstance(text, str) or ":" not in text:
            raise InvalidNodeIdError(str(text), "expected dataset:NS:NAME, job:NS:NAME or datasetField:NS:NAME:FIELD")
        prefix, rest = text.split(":", 1)
        if prefix not in _PREFIX:
            raise InvalidNodeIdError(text, f"unknown node type {prefix!r} (dataset, job, datasetField)")
        node_type = _PREFIX[prefix]
        field = None
        if node_type is NodeType.DATASET_FIELD:
            rest, sep, field = rest.rpartition(":")
            if not sep or not field:
                raise InvalidNodeIdError(text, "a datasetField id needs NS:NAME:FIELD")
        splits = _split_points(rest)
        if not splits:
            raise InvalidNodeIdError(text, "missing namespace or name")
        return [cls(node_type, rest[:i], rest[i + 1 :], field) for i in splits]


def _split_points(rest: str) -> list[int]:
    """Colon positions that can separate namespace from name, preferred first."""
    preferred, other = [], []
    for match in re.finditer(":", rest):
        i = match.start()
        if i == 0 or i == len(rest) - 1:
            continue
        (other if _NOT_SEPARATOR.match(rest, i + 1) else preferred).append(i)
    return preferred + other
