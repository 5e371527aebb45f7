"""The public surface of nbgov.sql: result objects, facet form, errors, degrading, layering."""

from __future__ import annotations

import ast
import dataclasses
import json
import logging
from pathlib import Path

import pytest

from nbgov.errors import ConfigError, NbgovError, SqlParseError
from nbgov.sql import (
    DEFAULT_NAMESPACE,
    ColumnLineage,
    InputField,
    OutputColumn,
    StatementLineage,
    Transformation,
    Unresolved,
    column_lineage,
)
from nbgov.sql import lineage as lineage_module
from tests.spec import spec_report

NBGOV = Path(__file__).resolve().parents[2] / "nbgov"
SCHEMA = {
    "orders": {"id": "int", "customer_id": "int", "amount": "double"},
    "customers": {"id": "int", "email": "text"},
}


def test_result_is_immutable() -> None:
    result = column_lineage("SELECT id FROM orders", schema=SCHEMA)
    assert isinstance(result, ColumnLineage)
    statement = result.statements[0]
    assert isinstance(statement, StatementLineage)
    column = statement.columns[0]
    assert isinstance(column, OutputColumn)
    assert isinstance(column.inputs[0], InputField)
    assert isinstance(column.inputs[0].transformations[0], Transformation)
    for obj, attr in [
        (result, "statements"),
        (statement, "columns"),
        (column, "name"),
        (column.inputs[0], "field"),
    ]:
        with pytest.raises(dataclasses.FrozenInstanceError):
            setattr(obj, attr, None)
    for value in (result.statements, statement.columns, statement.inputs, column.inputs, column.indirect):
        assert isinstance(value, tuple)


def test_namespace_is_used_for_every_input_field() -> None:
    sql = "SELECT o.id, c.email FROM orders o JOIN customers c ON o.customer_id = c.id WHERE o.amount > 1"
    default = column_lineage(sql, schema=SCHEMA).to_facet()
    named = column_lineage(sql, schema=SCHEMA, namespace="duckdb://memory").to_facet()
    fields = [f for entry in default["fields"].values() for f in entry["inputFields"]] + default["dataset"]
    assert fields and {f["namespace"] for f in fields} == {DEFAULT_NAMESPACE} == {"default"}
    fields = [f for entry in named["fields"].values() for f in entry["inputFields"]] + named["dataset"]
    assert {f["namespace"] for f in fields} == {"duckdb://memory"}


def test_facet_has_no_producer_or_schema_url_and_is_json() -> None:
    facet = column_lineage("SELECT md5(email) AS e FROM customers", schema=SCHEMA).to_facet()
    assert set(facet) == {"fields", "dataset"}
    assert json.loads(json.dumps(facet)) == facet
    (field,) = facet["fields"]["e"]["inputFields"]
    assert field["transformations"] == [
        {"type": "DIRECT", "subtype": "TRANSFORMATION", "description": "MD5", "masking": True}
    ]


def test_facet_is_valid_openlineage() -> None:
    sql = """
        SELECT c.email, sum(o.amount) AS total, CASE WHEN c.id > 0 THEN 'a' END AS flag
        FROM orders o JOIN customers c ON o.customer_id = c.id
        WHERE o.amount > 0 GROUP BY c.email, c.id ORDER BY total
    """
    facet = column_lineage(sql, schema=SCHEMA).to_facet()
    event = {
        "eventType": "COMPLETE",
        "eventTime": "2024-01-01T00:00:00Z",
        "run": {"runId": "0190c7a4-5b5e-7c5e-8f5e-6a1b2c3d4e5f"},
        "job": {"namespace": "nbgov", "name": "cell"},
        "inputs": [],
        "outputs": [
            {
                "namespace": "nbgov",
                "name": "result",
                "facets": {
                    "columnLineage": {
                        **facet,
                        "_producer": "https://github.com/nbgov/nbgov",
                        "_schemaURL": "https://openlineage.io/spec/facets/1-2-0/ColumnLineageDatasetFacet.json"
                        "#/$defs/ColumnLineageDatasetFacet",
                    }
                },
            }
        ],
        "producer": "https://github.com/nbgov/nbgov",
        "schemaURL": "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent",
    }
    report = spec_report(event)
    assert report.ok, report
    assert not report.skipped


def test_statements_inputs_outputs_and_last() -> None:
    result = column_lineage(
        "CREATE TABLE a AS SELECT id FROM orders; INSERT INTO b SELECT id FROM a; DROP TABLE x",
        schema=SCHEMA,
    )
    assert len(result) == 3 and [s.index for s in result] == [0, 1, 2]
    assert [s.kind for s in result] == ["CREATE TABLE AS", "INSERT", "DDL"]
    assert result.inputs == ("orders", "a")
    assert result.outputs == ("a", "b")
    assert result.last is result[1]
    assert result.to_facet() == result[1].to_facet()
    assert result[0].to_facet()["fields"]["id"]["inputFields"][0]["name"] == "orders"
    assert (
        repr(result)
        == "ColumnLineage(statements=3, inputs=['orders', 'a'], outputs=['a', 'b'], unresolved=0)"
    )


def test_nothing_with_an_output_gives_an_empty_facet() -> None:
    result = column_lineage("DROP TABLE x; CREATE TABLE y (a INT)")
    assert result.last is None
    assert result.to_facet() == {"fields": {}, "dataset": []}
    assert column_lineage("").statements == ()


def test_repeated_output_names_are_kept_by_position_and_merged_in_the_facet() -> None:
    result = column_lineage(
        "SELECT o.id, c.id FROM orders o JOIN customers c ON o.customer_id = c.id", schema=SCHEMA
    )
    columns = result.last.columns
    assert [(c.position, c.name) for c in columns] == [(0, "id"), (1, "id")]
    assert [c.inputs[0].name for c in columns] == ["orders", "customers"]
    merged = result.to_facet()["fields"]["id"]["inputFields"]
    assert [f["name"] for f in merged] == ["customers", "orders"]


def test_count_star_has_no_direct_input_and_the_table_as_indirect_dependency() -> None:
    column = column_lineage("SELECT count(*) AS n FROM orders").last.columns[0]
    assert column.inputs == () and column.indirect == ()
    assert column.tables == ("orders",)


@pytest.mark.parametrize(
    "sql, line, col",
    [
        ("SELECT * FROM", 1, 13),
        ("SELECT a,\n  b +\nFROM t", 3, 4),
        ("SELECT (1", 1, 9),
        ("SELECT 'unterminated", 1, None),
    ],
)
def test_malformed_sql_raises_parse_error_with_position(sql: str, line: int, col: int | None) -> None:
    with pytest.raises(SqlParseError) as info:
        column_lineage(sql)
    error = info.value
    assert isinstance(error, NbgovError)
    assert error.line == line
    if col is not None:
        assert error.col == col
    assert "Token" not in str(error)  # sqlglot's token reprs are cleaned up


def test_unknown_dialect_and_bad_schema_are_config_errors() -> None:
    with pytest.raises(ConfigError):
        column_lineage("SELECT 1", dialect="no-such-dialect")
    with pytest.raises(ConfigError):
        column_lineage("SELECT 1", schema=["orders"])  # type: ignore[arg-type]
    with pytest.raises(ConfigError):
        column_lineage("SELECT 1", schema={"orders": "id int"})


@pytest.mark.parametrize(
    "schema",
    [
        {"sales.orders": {"id": "int", "amount": "double"}},
        {"sales": {"orders": {"id": "int", "amount": "double"}}},
        {"sales.orders": ["id", "amount"]},
        {"sales.orders": {"id": "int", "amount": "not a type ~~"}, "other": {"x": "int"}},
        {"db.sales.orders": {"id": "int", "amount": "double"}, "misc": {"x": "int"}},
    ],
)
def test_schema_forms(schema: dict) -> None:
    result = column_lineage("SELECT * FROM sales.orders", schema=schema)
    assert [c.name for c in result.last.columns] == ["id", "amount"]
    assert result.inputs == ("sales.orders",)
    assert not result.unresolved


def test_tables_created_in_one_call_do_not_leak_into_the_next() -> None:
    first = column_lineage("CREATE TABLE x AS SELECT id FROM orders; SELECT * FROM x", schema=SCHEMA)
    assert [c.name for c in first.last.columns] == ["id"]
    second = column_lineage("SELECT * FROM x", schema=SCHEMA)
    assert second.last is None
    assert [u.reference for u in second.unresolved] == ["x.*"]


def test_without_schema_table_lineage_survives_and_unresolved_is_listed() -> None:
    result = column_lineage("INSERT INTO t SELECT a, b FROM x JOIN y ON x.k = y.k")
    statement = result[0]
    assert statement.inputs == ("x", "y") and statement.output == "t"
    assert [(u.reference, u.column, u.position) for u in statement.unresolved] == [
        ("a", "a", 0),
        ("b", "b", 1),
    ]
    assert all(isinstance(u, Unresolved) and u.reason.startswith("ambiguous") for u in statement.unresolved)


def test_an_internal_failure_degrades_to_table_level(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(self, tree):
        raise RuntimeError("boom")

    monkeypatch.setattr(lineage_module._Statement, "_classify", broken)
    result = column_lineage("INSERT INTO t SELECT a FROM x JOIN y ON x.k = y.k")
    statement = result[0]
    assert statement.inputs == ("x", "y")
    assert statement.columns == ()
    assert statement.unresolved[0].reason == "internal error: RuntimeError: boom"


def test_a_failing_scope_is_reported_not_raised(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(self, scope):
        raise ValueError("scope boom")

    monkeypatch.setattr(lineage_module._Statement, "_set_operation", broken)
    result = column_lineage("SELECT a FROM x UNION SELECT b FROM y")
    assert result[0].inputs == ("x", "y")
    assert any("scope boom" in u.reason for u in result.unresolved)


def test_sqlglot_warnings_do_not_reach_the_notebook(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING)
    result = column_lineage(
        "CREATE PROCEDURE p() BEGIN INSERT INTO t2 SELECT c FROM t1; END", dialect="bigquery"
    )
    assert [s.kind for s in result] == ["OTHER", "OTHER"]
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def test_only_nbgov_sql_imports_sqlglot() -> None:
    outside = [p for p in NBGOV.rglob("*.py") if "sqlglot" in _imports(p) and p.parent.name != "sql"]
    assert outside == []


def test_nbgov_sql_does_not_import_openlineage_ipython_or_pandas() -> None:
    for path in (NBGOV / "sql").rglob("*.py"):
        assert not _imports(path) & {"openlineage", "IPython", "pandas"}, path


def test_a_reused_schema_is_rebuilt_now_and_then(monkeypatch: pytest.MonkeyPatch) -> None:
    from nbgov.sql import parse as parse_module

    monkeypatch.setattr(parse_module, "_BUILT_USES", 2)
    schema = {"rebuilt": {"a": "int", "b": "int"}}
    facets = [column_lineage("SELECT * FROM rebuilt", schema=schema).to_facet() for _ in range(7)]
    assert all(facet == facets[0] for facet in facets)
    assert list(facets[0]["fields"]) == ["a", "b"]
