"""The immutable result of column-level lineage, and its OpenLineage facet form.

Pure data (stdlib only): :func:`nbgov.sql.column_lineage` builds these objects, and
``to_facet()`` renders them as the ``fields`` / ``dataset`` body of OpenLineage's
``ColumnLineageDatasetFacet`` 1-2-0 (without ``_producer`` / ``_schemaURL``, which the
emit layer adds).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

#: Subtypes of DIRECT transformations, weakest first.
DIRECT_SUBTYPES = ("IDENTITY", "TRANSFORMATION", "AGGREGATION")
#: Subtypes of INDIRECT transformations, in the order they are listed.
INDIRECT_SUBTYPES = ("JOIN", "FILTER", "GROUP_BY", "SORT", "WINDOW", "CONDITIONAL")

_ORDER = {name: i for i, name in enumerate(DIRECT_SUBTYPES + INDIRECT_SUBTYPES)}


@dataclass(frozen=True)
class Transformation:
    """How an input field reaches an output: ``DIRECT`` (the value flows) or ``INDIRECT``.

    Attributes:
        type: ``"DIRECT"`` or ``"INDIRECT"``.
        subtype: one of :data:`DIRECT_SUBTYPES` or :data:`INDIRECT_SUBTYPES`.
        masking: the value passed through a hashing or masking function (DIRECT only).
        description: the masking function, e.g. ``"MD5"``; ``None`` otherwise.
    """

    type: str
    subtype: str
    masking: bool = False
    description: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """The facet form of this transformation."""
        out: dict[str, Any] = {"type": self.type, "subtype": self.subtype}
        if self.description is not None:
            out["description"] = self.description
        if self.type == "DIRECT":
            out["masking"] = self.masking
        return out

    @property
    def sort_key(self) -> tuple[int, bool, str]:
        return (_ORDER.get(self.subtype, 99), self.masking, self.description or "")


@dataclass(frozen=True)
class InputField:
    """One field of one input dataset, with the transformations that carry it to an output.

    Attributes:
        namespace: the dataset namespace (the ``namespace`` argument of ``column_lineage``).
        name: the dataset name, as written and normalised per dialect (``sales.orders``).
        field: the column name; struct fields are dotted paths (``address.city``).
        transformations: sorted, de-duplicated transformations.
    """

    namespace: str
    name: str
    field: str
    transformations: tuple[Transformation, ...]

    def to_dict(self) -> dict[str, Any]:
        """The facet form of this input field."""
        return {
            "namespace": self.namespace,
            "name": self.name,
            "field": self.field,
            "transformations": [t.to_dict() for t in self.transformations],
        }


@dataclass(frozen=True)
class OutputColumn:
    """One output column of a statement, identified by its position.

    Attributes:
        position: 0-based position in the statement's output.
        name: the output column name (normalised per dialect; unaliased expressions are
            named by their SQL text).
        inputs: DIRECT input fields (the values that flow into this column).
        indirect: INDIRECT input fields that only this column depends on (CASE/IF
            conditions, window partitions and orders, filters inside scalar subqueries).
        tables: datasets this column depends on as a whole, without any column
            (``COUNT(*)``).
    """

    position: int
    name: str
    inputs: tuple[InputField, ...] = ()
    indirect: tuple[InputField, ...] = ()
    tables: tuple[str, ...] = ()


@dataclass(frozen=True)
class Unresolved:
    """Something the engine could not resolve: lineage is incomplete there, not wrong.

    Attributes:
        reference: what could not be resolved (``"amount"``, ``"orders.*"``, a statement kind).
        reason: why, in a few words.
        column: the affected output column, when there is one.
        position: that column's position.
    """

    reference: str
    reason: str
    column: str | None = None
    position: int | None = None


@dataclass(frozen=True)
class StatementLineage:
    """Column lineage of one SQL statement.

    Attributes:
        index: 0-based position of the statement in the SQL text.
        kind: ``SELECT``, ``INSERT``, ``CREATE TABLE AS``, ``CREATE VIEW``, ``MERGE``,
            ``UPDATE``, ``DELETE``, ``COPY``, ``SELECT INTO``, ``DDL`` or ``OTHER``.
        output: the written dataset, or ``None`` for a query whose result is returned.
        inputs: datasets read, in order of appearance.
        columns: output columns by position (names may repeat).
        dataset: INDIRECT input fields that affect the whole output (joins, filters,
            grouping, sorting).
        unresolved: what could not be resolved.
        namespace: the namespace of every input field.
    """

    index: int
    kind: str
    output: str | None
    inputs: tuple[str, ...]
    columns: tuple[OutputColumn, ...]
    dataset: tuple[InputField, ...]
    unresolved: tuple[Unresolved, ...]
    namespace: str

    @property
    def has_output(self) -> bool:
        """Whether the statement produces columns (a query result or written rows)."""
        return bool(self.columns)

    def to_facet(self) -> dict[str, Any]:
        """This statement's ``ColumnLineageDatasetFacet`` body: ``{"fields": …, "dataset": […]}``.

        Output columns that share a name (``SELECT a.id, b.id``) share one key: its
        ``inputFields`` are the union of every such column's inputs. The per-position
        view stays available in :attr:`columns`.
        """
        fields: dict[str, dict[str, InputField]] = {}
        indirect: dict[tuple[str, str], InputField] = {}
        for column in self.columns:
            merged = fields.setdefault(column.name, {})
            for item in column.inputs:
                _merge_into(merged, item)
            for item in column.indirect:
                _merge_into(indirect, item)
        for item in self.dataset:
            _merge_into(indirect, item)
        return {
            "fields": {
                name: {"inputFields": [merged[k].to_dict() for k in sorted(merged)]}
                for name, merged in fields.items()
            },
            "dataset": [indirect[k].to_dict() for k in sorted(indirect)],
        }


def _merge_into(target: dict, item: InputField) -> None:
    key = (item.name, item.field)
    found = target.get(key)
    if found is None:
        target[key] = item
        return
    merged = set(found.transformations) | set(item.transformations)
    target[key] = InputField(
        found.namespace, found.name, found.field, tuple(sorted(merged, key=lambda t: t.sort_key))
    )


@dataclass(frozen=True, repr=False)
class ColumnLineage:
    """Column lineage of a SQL text that may hold several statements.

    Attributes:
        statements: one :class:`StatementLineage` per statement, in order.
        namespace: the namespace of every input field.
        dialect: the SQL dialect the text was read in (``None``: sqlglot's default).
    """

    statements: tuple[StatementLineage, ...]
    namespace: str
    dialect: str | None = None

    def __iter__(self) -> Iterator[StatementLineage]:
        return iter(self.statements)

    def __len__(self) -> int:
        return len(self.statements)

    def __getitem__(self, index: int) -> StatementLineage:
        return self.statements[index]

    @property
    def last(self) -> StatementLineage | None:
        """The last statement that has an output (see :attr:`StatementLineage.has_output`)."""
        for statement in reversed(self.statements):
            if statement.has_output:
                return statement
        return None

    @property
    def inputs(self) -> tuple[str, ...]:
        """Every dataset read by any statement, in order of first appearance."""
        return tuple(dict.fromkeys(name for s in self.statements for name in s.inputs))

    @property
    def outputs(self) -> tuple[str, ...]:
        """Every dataset written by any statement, in order of first appearance."""
        return tuple(dict.fromkeys(s.output for s in self.statements if s.output is not None))

    @property
    def unresolved(self) -> tuple[Unresolved, ...]:
        """Everything that could not be resolved, over all statements."""
        return tuple(u for s in self.statements for u in s.unresolved)

    def to_facet(self) -> dict[str, Any]:
        """The facet body of the last statement with an output (empty if there is none)."""
        last = self.last
        return last.to_facet() if last is not None else {"fields": {}, "dataset": []}

    def __repr__(self) -> str:
        return (
            f"ColumnLineage(statements={len(self.statements)}, inputs={list(self.inputs)}, "
            f"outputs={list(self.outputs)}, unresolved={len(self.unresolved)})"
        )
