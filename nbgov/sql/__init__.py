"""SQL column-level lineage: the only part of nbgov that imports sqlglot.

The entry point is :func:`column_lineage`; it returns an immutable
:class:`ColumnLineage` whose ``to_facet()`` is an OpenLineage ``ColumnLineageDatasetFacet``
body. See ``docs/sql-lineage.md`` for the supported constructs and conventions.
"""

from __future__ import annotations

from nbgov.sql.lineage import DEFAULT_NAMESPACE, column_lineage
from nbgov.sql.result import (
    ColumnLineage,
    InputField,
    OutputColumn,
    StatementLineage,
    Transformation,
    Unresolved,
)

__all__ = [
    "DEFAULT_NAMESPACE",
    "ColumnLineage",
    "InputField",
    "OutputColumn",
    "StatementLineage",
    "Transformation",
    "Unresolved",
    "column_lineage",
]
