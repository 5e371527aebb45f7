"""The error and warning roots of nbgov.

Every error nbgov raises derives from :class:`NbgovError` and carries the data a
user interface needs (a field path, a node id, a line and column). The CLI turns
them into one-line messages at its boundary; the notebook face turns them into
short notices.
"""

from __future__ import annotations

import enum


class NbgovError(Exception):
    """Root of every error nbgov raises."""


class ConfigError(NbgovError):
    """Configuration could not be read or is invalid.

    Args:
        message: what is wrong.
        source: where the bad value came from (an environment variable, a file path).
    """

    def __init__(self, message: str, *, source: str | None = None) -> None:
        super().__init__(f"{source}: {message}" if source else message)
        self.source = source


class StoreError(NbgovError):
    """The lineage store could not be opened, migrated, read or written."""


class NodeNotFoundError(StoreError):
    """A graph query named a node that is not in the store."""

    def __init__(self, node_id: str) -> None:
        super().__init__(f"node not found: {node_id}")
        self.node_id = node_id


class InvalidNodeIdError(NbgovError):
    """A node id does not follow the ``dataset:NS:NAME`` / ``job:NS:NAME`` grammar."""

    def __init__(self, node_id: str, reason: str) -> None:
        super().__init__(f"invalid node id {node_id!r}: {reason}")
        self.node_id = node_id
        self.reason = reason


class InvalidEventError(NbgovError):
    """An OpenLineage event failed validation.

    Args:
        message: what is wrong.
        path: JSON path of the offending field, e.g. ``run.runId``.
        index: position of the event in its input (line number or array index), if known.
    """

    def __init__(self, message: str, *, path: str = "", index: int | None = None) -> None:
        where = f" at {path}" if path else ""
        at = f"event {index}: " if index is not None else ""
        super().__init__(f"{at}{message}{where}")
        self.path = path
        self.index = index
        self.reason = message


class EmitError(NbgovError):
    """An event could not be delivered to the configured OpenLineage backend."""


class SqlParseError(NbgovError):
    """SQL could not be parsed.

    Args:
        message: the parser's complaint.
        line: 1-based line of the error, if known.
        col: 1-based column of the error, if known.
    """

    def __init__(self, message: str, *, line: int | None = None, col: int | None = None) -> None:
        where = f" (line {line}, column {col})" if line is not None else ""
        super().__init__(f"{message}{where}")
        self.line = line
        self.col = col


class NbgovWarning(UserWarning):
    """Root of every warning nbgov emits (governance findings, degraded lineage)."""


class OnError(str, enum.Enum):
    """What to do when a governance check finds something: the caller picks the policy."""

    IGNORE = "ignore"
    WARN = "warn"
    RAISE = "raise"
