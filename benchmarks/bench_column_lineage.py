"""Full column lineage (direct + indirect) of the 99 TPC-DS queries: nbgov and its peers.

Run from the repository root::

    .venv/bin/python benchmarks/bench_column_lineage.py            # all tools
    .venv/bin/python benchmarks/bench_column_lineage.py --quick    # nbgov and sqlglot only

Each tool gets the same 99 queries (and the schema, where it accepts one), one run:

* nbgov: ``column_lineage(sql, schema=...)`` then ``to_facet()``, per query;
* sqlglot ``lineage()`` per column: one call per output column, as its API is usually
  used (each call parses and qualifies the query again);
* sqlglot ``lineage(None, ...)``: all columns of a query in one call (sqlglot >= 30);
* sqllineage (``LineageRunner(...).get_column_lineage()``, each query wrapped in an
  INSERT so that it has a target, with the schema as metadata) and openlineage-sql
  (``parse([sql])``, which takes no schema), when installed.

"columns with a source" counts output columns for which the tool names at least one
input column. The per-query figures are the median and 90th percentile of one query's
cost (a notebook cell). nbgov and sqlglot's batch call are timed ``--repeat`` times
(best time per query kept, as ``timeit`` does, since a shared machine adds noise); the
slow peers run once. No assertion is made here: tests assert behaviour, not time.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

DEFAULT_CORPUS = ROOT.parent / "shared" / "corpus" / "sql" / "tpcds"


@dataclass
class Result:
    tool: str
    per_query: list[float] = field(default_factory=list)
    columns_with_source: int = 0
    columns: int = 0
    errors: int = 0
    note: str = ""

    @property
    def total(self) -> float:
        return sum(self.per_query)


def load(corpus: Path) -> tuple[list[tuple[str, str]], dict]:
    queries = [(p.stem, p.read_text()) for p in sorted(corpus.glob("q*.sql"))]
    schema = json.loads((corpus / "schema.json").read_text())
    return queries, schema


def timed(
    result: Result, queries: list[tuple[str, str]], one: Callable[[str], tuple[int, int]], repeat: int = 1
) -> Result:
    """Time ``one`` on every query; with ``repeat`` > 1 keep each query's best time."""
    for _, sql in queries:
        best = float("inf")
        for _ in range(repeat):
            start = time.perf_counter()
            try:
                with_source, columns = one(sql)
            except Exception:  # noqa: BLE001 - a tool failing on a query is counted, not fatal
                with_source = columns = -1
            best = min(best, time.perf_counter() - start)
        if columns < 0:
            result.errors += 1
        else:
            result.columns_with_source += with_source
            result.columns += columns
        result.per_query.append(best)
    return result


def bench_nbgov(queries: list[tuple[str, str]], schema: dict, repeat: int) -> Result:
    from nbgov.sql import column_lineage

    def one(sql: str) -> tuple[int, int]:
        lineage = column_lineage(sql, schema=schema)
        lineage.to_facet()
        columns = lineage.last.columns
        return sum(1 for c in columns if c.inputs or c.indirect), len(columns)

    column_lineage("SELECT 1", schema=schema)  # import and build the schema once, as a session would
    return timed(Result("nbgov column_lineage()"), queries, one, repeat)


def _sqlglot_leaves(node) -> int:
    from sqlglot import exp

    return int(any(not n.downstream and isinstance(n.expression, exp.Table) for n in node.walk()))


def bench_sqlglot_per_column(queries: list[tuple[str, str]], schema: dict) -> Result:
    import sqlglot
    from sqlglot.lineage import lineage
    from sqlglot.optimizer.qualify import qualify

    def one(sql: str) -> tuple[int, int]:
        names = [s.alias_or_name for s in qualify(sqlglot.parse_one(sql), schema=schema).selects]
        found = 0
        for name in names:
            found += _sqlglot_leaves(lineage(name, sql, schema=schema))
        return found, len(names)

    return timed(Result("sqlglot lineage() per column"), queries, one)


def bench_sqlglot_batch(queries: list[tuple[str, str]], schema: dict, repeat: int) -> Result:
    import sqlglot
    from sqlglot.lineage import lineage

    def one(sql: str) -> tuple[int, int]:
        nodes = lineage(None, sqlglot.parse_one(sql), schema=schema)  # keyed by name: repeats collapse
        return sum(_sqlglot_leaves(node) for node in nodes.values()), len(nodes)

    return timed(Result("sqlglot lineage(None) per query"), queries, one, repeat)


def bench_sqllineage(queries: list[tuple[str, str]], schema: dict) -> Result | str:
    try:
        from sqllineage.core.metadata.dummy import DummyMetaDataProvider
        from sqllineage.runner import LineageRunner
    except ImportError:
        return "not installed"
    metadata = DummyMetaDataProvider({f"<default>.{t}": list(cols) for t, cols in schema.items()})

    def one(sql: str) -> tuple[int, int]:
        runner = LineageRunner(
            "INSERT INTO bench_target " + sql.strip().rstrip(";"),
            dialect="ansi",
            metadata_provider=metadata,
            silent_mode=True,
        )
        targets = {
            path[-1].raw_name for path in runner.get_column_lineage(exclude_path_ending_in_subquery=True)
        }
        return len(targets), 0

    return timed(Result("sqllineage"), queries, one)


def bench_openlineage_sql(queries: list[tuple[str, str]]) -> Result | str:
    try:
        from openlineage_sql import parse
    except ImportError:
        return "not installed"

    def one(sql: str) -> tuple[int, int]:
        meta = parse([sql], dialect="generic")
        return len({c.descendant.name for c in meta.column_lineage if c.lineage}), 0

    return timed(Result("openlineage-sql (no schema)"), queries, one)


def _sqlglot_build() -> str:
    import sqlglot.parser

    compiled = not sqlglot.parser.__file__.endswith(".py")
    return "compiled (sqlglotc)" if compiled else "pure Python"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--corpus", type=Path, default=DEFAULT_CORPUS, help="folder with q*.sql and schema.json"
    )
    parser.add_argument("--quick", action="store_true", help="nbgov and sqlglot's batch lineage only")
    parser.add_argument(
        "--repeat", type=int, default=3, help="runs of the fast tools, best time per query kept (default 3)"
    )
    args = parser.parse_args(argv)

    import sqlglot

    queries, schema = load(args.corpus)
    total_columns = None
    print(
        f"{len(queries)} queries from {args.corpus}; sqlglot {sqlglot.__version__} ({_sqlglot_build()}); "
        f"Python {sys.version.split()[0]}\n"
    )

    rows: list[Result | tuple[str, str]] = []
    nbgov = bench_nbgov(queries, schema, args.repeat)
    total_columns = nbgov.columns
    rows.append(nbgov)
    rows.append(bench_sqlglot_batch(queries, schema, args.repeat))
    if not args.quick:
        rows.append(bench_sqlglot_per_column(queries, schema))
        for name, result in (
            ("sqllineage", bench_sqllineage(queries, schema)),
            ("openlineage-sql", bench_openlineage_sql(queries)),
        ):
            rows.append(result if isinstance(result, Result) else (name, result))

    header = f"{'tool':34} {'total s':>9} {'median ms':>10} {'p90 ms':>8} {'columns with a source':>22} {'errors':>7}"
    print(header)
    print("-" * len(header))
    for row in rows:
        if isinstance(row, tuple):
            print(f"{row[0]:34} {row[1]:>9}")
            continue
        per_query = sorted(row.per_query)
        p90 = per_query[int(0.9 * (len(per_query) - 1))]
        print(
            f"{row.tool:34} {row.total:9.2f} {1000 * statistics.median(per_query):10.1f} {1000 * p90:8.1f} "
            f"{f'{row.columns_with_source}/{total_columns}':>22} {row.errors:7d}"
        )
    print(f"\nbest of {args.repeat} for the first two rows, one run for the others")
    print(
        f"nbgov: {nbgov.total:.2f} s for all {len(queries)} queries (target < 1.0 s); "
        f"typical query {1000 * statistics.median(nbgov.per_query):.1f} ms (target < 10 ms)"
    )


if __name__ == "__main__":
    main()
