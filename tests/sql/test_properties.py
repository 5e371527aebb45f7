"""Properties of column_lineage over generated input (hypothesis).

* arbitrary text only ever returns or raises :class:`SqlParseError`;
* the facet's output fields are a subset of the statement's projection names, and every
  input field is a real column of a table the query reads;
* the answer does not depend on the order of the schema mapping.
"""

from __future__ import annotations

import random

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nbgov.errors import SqlParseError
from nbgov.sql import column_lineage

DIALECTS = [None, "duckdb", "postgres", "snowflake", "bigquery", "spark", "sqlite", "tsql", "mysql"]

SCHEMA = {
    "t1": {"a": "int", "b": "int", "c": "text"},
    "t2": {"a": "int", "d": "int", "e": "text"},
    "t3": {"f": "int", "g": "double"},
}

TOKENS = [
    "SELECT",
    "FROM",
    "WHERE",
    "JOIN",
    "ON",
    "GROUP",
    "BY",
    "ORDER",
    "UNION",
    "ALL",
    "WITH",
    "AS",
    "INSERT",
    "INTO",
    "VALUES",
    "UPDATE",
    "SET",
    "MERGE",
    "USING",
    "WHEN",
    "MATCHED",
    "THEN",
    "CASE",
    "END",
    "OVER",
    "PARTITION",
    "QUALIFY",
    "LATERAL",
    "UNNEST",
    "CREATE",
    "TABLE",
    "VIEW",
    "EXCEPT",
    "*",
    ",",
    "(",
    ")",
    ";",
    ".",
    "=",
    "+",
    "'x'",
    '"Q"',
    "1",
    "t1",
    "t2",
    "a",
    "b",
    "count",
    "sum",
    "NULL",
    "EXISTS",
    "IN",
    "DISTINCT",
    "LIMIT",
    "HAVING",
    "DELETE",
    "BEGIN",
    "--",
    "/*",
    "*/",
    "\n",
]

FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _returns_or_parse_error(sql: str, dialect: str | None, schema: dict | None = None) -> None:
    try:
        result = column_lineage(sql, dialect=dialect, schema=schema)
    except SqlParseError as error:
        assert error.line is None or error.line >= 1
        return
    result.to_facet()
    for statement in result:
        statement.to_facet()


@FAST
@given(st.text(max_size=200), st.sampled_from(DIALECTS))
def test_arbitrary_text_only_raises_parse_errors(text: str, dialect: str | None) -> None:
    _returns_or_parse_error(text, dialect)


@FAST
@given(st.lists(st.sampled_from(TOKENS), max_size=40).map(" ".join), st.sampled_from(DIALECTS))
def test_sql_token_soup_only_raises_parse_errors(text: str, dialect: str | None) -> None:
    _returns_or_parse_error(text, dialect, SCHEMA)


# --------------------------------------------------------------------------- queries


@st.composite
def queries(draw, depth: int = 0) -> tuple[str, list[str], set[str]]:
    """(sql, projection names, tables read) of a random valid SELECT over SCHEMA."""
    sources: list[tuple[str, list[str]]] = []  # (alias, columns)
    tables: set[str] = set()
    parts = []
    for i in range(draw(st.integers(1, 2))):
        alias = f"s{depth}_{i}"
        if depth < 2 and draw(st.booleans()):
            inner, names, inner_tables = draw(queries(depth + 1))
            parts.append(f"({inner}) AS {alias}")
            sources.append((alias, names))
            tables |= inner_tables
        else:
            table = draw(st.sampled_from(sorted(SCHEMA)))
            parts.append(f"{table} AS {alias}")
            sources.append((alias, list(SCHEMA[table])))
            tables.add(table)
    from_ = parts[0] + "".join(f" JOIN {p} ON 1 = 1" for p in parts[1:])

    def column() -> str:
        alias, names = draw(st.sampled_from(sources))
        return f"{alias}.{draw(st.sampled_from(names))}"

    items = []
    for i in range(draw(st.integers(1, 4))):
        shape = draw(st.integers(0, 7))
        if shape == 0:
            expression = column()
        elif shape == 1:
            expression = f"{column()} + {column()}"
        elif shape == 2:
            expression = f"CASE WHEN {column()} > 1 THEN {column()} ELSE NULL END"
        elif shape == 3:
            expression = f"upper(CAST({column()} AS TEXT))"
        elif shape == 4:
            expression = f"md5(CAST({column()} AS TEXT))"
        elif shape == 5:
            expression = "42"
        elif shape == 6:
            expression = f"sum({column()}) OVER (PARTITION BY {column()})"
        else:
            table = draw(st.sampled_from(sorted(SCHEMA)))
            expression = f"(SELECT max(x.{draw(st.sampled_from(list(SCHEMA[table])))}) FROM {table} AS x)"
            tables.add(table)
        items.append(f"{expression} AS c{depth}_{i}")
    names = [f"c{depth}_{i}" for i in range(len(items))]
    sql = f"SELECT {', '.join(items)} FROM {from_}"
    if draw(st.booleans()):
        sql += f" WHERE {column()} IS NOT NULL"
    if depth == 0 and draw(st.booleans()):
        table = draw(st.sampled_from(sorted(SCHEMA)))
        columns = list(SCHEMA[table])
        other = ", ".join(draw(st.sampled_from(columns)) for _ in names)
        sql += f" UNION ALL SELECT {other} FROM {table}"
        tables.add(table)
    return sql, names, tables


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(queries(), st.sampled_from(["duckdb", "postgres", "spark", "snowflake", None]))
def test_output_fields_are_projection_names(
    query: tuple[str, list[str], set[str]], dialect: str | None
) -> None:
    sql, names, tables = query
    result = column_lineage(sql, dialect=dialect, schema=SCHEMA)
    assert not result.unresolved, result.unresolved
    statement = result.last
    normalise = str.upper if dialect == "snowflake" else str.lower
    projections = [normalise(n) for n in names]
    assert [c.name for c in statement.columns] == projections
    facet = result.to_facet()
    assert set(facet["fields"]) <= set(projections)
    known = {(normalise(t), normalise(c)) for t, columns in SCHEMA.items() for c in columns}
    fields = [f for entry in facet["fields"].values() for f in entry["inputFields"]] + facet["dataset"]
    for field in fields:
        assert (field["name"], field["field"]) in known
        assert field["name"] in {normalise(t) for t in tables}


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(queries(), st.randoms(use_true_random=False))
def test_schema_order_does_not_matter(query: tuple[str, list[str], set[str]], rnd: random.Random) -> None:
    sql, _, _ = query
    tables = list(SCHEMA.items())
    rnd.shuffle(tables)
    shuffled = {t: dict(rnd.sample(list(cols.items()), len(cols))) for t, cols in tables}
    a = column_lineage(sql, schema=SCHEMA).to_facet()
    b = column_lineage(sql, schema=shuffled).to_facet()
    assert a["fields"] == b["fields"]
    assert a["dataset"] == b["dataset"]
