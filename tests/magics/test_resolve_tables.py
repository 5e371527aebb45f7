"""Database-level accesses that carry SQL become table-level ones (nbgov.sql names the tables)."""

from __future__ import annotations

from nbgov.capture.access import Access, Location
from nbgov.magics.sql import resolve_query_tables

DB = Location.of("sqlite", path="/data/shop.db")
PG = Location.of("postgres", host="db", port=5432, database="sales")


def test_a_join_read_through_pandas_names_both_tables() -> None:
    query = "SELECT c.id, SUM(p.amount) FROM customers c JOIN payments p ON p.cid = c.id GROUP BY c.id"
    out = resolve_query_tables([Access("input", DB, "pandas.read_sql", query=query)])
    assert [(a.direction, a.location) for a in out] == [
        ("input", Location.of("sqlite", path="/data/shop.db", table="customers")),
        ("input", Location.of("sqlite", path="/data/shop.db", table="payments")),
    ]
    assert all(a.query == query and a.via == "pandas.read_sql" for a in out)


def test_schemas_are_kept_where_the_database_has_them() -> None:
    out = resolve_query_tables([Access("input", PG, "pandas.read_sql", query="SELECT * FROM finance.invoices")])
    assert [a.location for a in out] == [
        Location.of("postgres", host="db", port=5432, database="sales", schema="finance", table="invoices")
    ]


def test_writes_name_the_written_table() -> None:
    query = "INSERT INTO totals SELECT cid, SUM(amount) FROM payments GROUP BY cid"
    out = resolve_query_tables([Access("output", DB, "sqlalchemy", query=query)])
    assert [(a.direction, a.location.get("table")) for a in out] == [("output", "totals")]


def test_what_cannot_be_resolved_stays_as_it_was() -> None:
    known = Access("input", Location.of("sqlite", path="/data/shop.db", table="t"), "pandas.read_sql_table")
    broken = Access("input", DB, "pandas.read_sql", query="SELEC nonsense FROM")
    no_table = Access("input", DB, "pandas.read_sql", query="SELECT 1")
    frame = Access("input", Location.of("dataframe", name="df"), "namespace")
    accesses = [known, broken, no_table, frame]
    assert resolve_query_tables(accesses) == accesses
