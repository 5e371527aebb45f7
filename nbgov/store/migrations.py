"""Named, recorded schema migrations shared by the SQLite and PostgreSQL backends.

Each migration is a function taking the backend's DDL dialect; its statements run in
one transaction and its name is recorded in ``nbgov_migrations``. Add new ones at the
end; never edit an applied one.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Dialect:
    """The few DDL words that differ between backends."""

    pk: str  # auto-increment integer primary key
    bigint: str = "BIGINT"


@dataclass(frozen=True)
class Migration:
    name: str
    statements: Callable[[Dialect], list[str]]


MIGRATIONS: list[Migration] = []


def migration(fn: Callable[[Dialect], list[str]]) -> Callable[[Dialect], list[str]]:
    """Register ``fn`` as the next migration, named after the function."""
    MIGRATIONS.append(Migration(fn.__name__, fn))
    return fn


@migration
def m001_raw_events(d: Dialect) -> list[str]:
    return [
        f"""CREATE TABLE nbgov_events (
            id {d.pk},
            event_key TEXT NOT NULL UNIQUE,
            kind TEXT NOT NULL,
            event_type TEXT,
            event_time TEXT NOT NULL,
            run_id TEXT,
            job_namespace TEXT,
            job_name TEXT,
            producer TEXT NOT NULL,
            payload TEXT NOT NULL,
            received_at TEXT NOT NULL
        )""",
        "CREATE INDEX nbgov_events_time ON nbgov_events (event_time)",
        "CREATE INDEX nbgov_events_run ON nbgov_events (run_id)",
        "CREATE INDEX nbgov_events_job ON nbgov_events (job_namespace, job_name)",
    ]


@migration
def m002_graph(d: Dialect) -> list[str]:
    return [
        """CREATE TABLE nbgov_namespaces (
            name TEXT PRIMARY KEY,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL
        )""",
        # One id space for datasets and jobs so edges and walks need a single table.
        f"""CREATE TABLE nbgov_nodes (
            id {d.pk},
            kind TEXT NOT NULL,
            namespace TEXT NOT NULL,
            name TEXT NOT NULL,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            UNIQUE (kind, namespace, name)
        )""",
        "CREATE INDEX nbgov_nodes_name ON nbgov_nodes (name)",
        f"""CREATE TABLE nbgov_jobs (
            node_id {d.bigint} PRIMARY KEY REFERENCES nbgov_nodes (id),
            type TEXT,
            description TEXT,
            location TEXT,
            facets TEXT NOT NULL,
            facets_time TEXT NOT NULL,
            parent_namespace TEXT,
            parent_name TEXT,
            latest_run_id TEXT
        )""",
        f"""CREATE TABLE nbgov_datasets (
            node_id {d.bigint} PRIMARY KEY REFERENCES nbgov_nodes (id),
            type TEXT,
            description TEXT,
            source_name TEXT,
            fields TEXT NOT NULL,
            facets TEXT NOT NULL,
            facets_time TEXT NOT NULL,
            last_modified_at TEXT,
            current_version TEXT
        )""",
        f"""CREATE TABLE nbgov_runs (
            run_id TEXT PRIMARY KEY,
            job_id {d.bigint} NOT NULL REFERENCES nbgov_nodes (id),
            state TEXT NOT NULL,
            state_time TEXT NOT NULL,
            started_at TEXT,
            ended_at TEXT,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            parent_run_id TEXT,
            nominal_start_time TEXT,
            nominal_end_time TEXT,
            facets TEXT NOT NULL
        )""",
        "CREATE INDEX nbgov_runs_job ON nbgov_runs (job_id, created_at)",
        "CREATE INDEX nbgov_runs_parent ON nbgov_runs (parent_run_id)",
        # Directed job<->dataset edges: input dataset -> job, job -> output dataset.
        f"""CREATE TABLE nbgov_edges (
            src {d.bigint} NOT NULL,
            dst {d.bigint} NOT NULL,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            PRIMARY KEY (src, dst)
        )""",
        "CREATE INDEX nbgov_edges_dst ON nbgov_edges (dst, src)",
        f"""CREATE TABLE nbgov_dataset_versions (
            id {d.pk},
            dataset_id {d.bigint} NOT NULL REFERENCES nbgov_nodes (id),
            version TEXT NOT NULL,
            run_id TEXT,
            fields TEXT NOT NULL,
            facets TEXT NOT NULL,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            UNIQUE (dataset_id, version)
        )""",
        "CREATE INDEX nbgov_versions_run ON nbgov_dataset_versions (run_id)",
        f"""CREATE TABLE nbgov_run_io (
            run_id TEXT NOT NULL,
            dataset_id {d.bigint} NOT NULL,
            direction TEXT NOT NULL,
            version TEXT,
            facets TEXT NOT NULL,
            PRIMARY KEY (run_id, dataset_id, direction)
        )""",
        "CREATE INDEX nbgov_run_io_dataset ON nbgov_run_io (dataset_id)",
        # Column edges; out_field '' is a dataset-wide (facet 'dataset' section) dependency.
        f"""CREATE TABLE nbgov_column_edges (
            out_dataset {d.bigint} NOT NULL,
            out_field TEXT NOT NULL,
            in_dataset {d.bigint} NOT NULL,
            in_field TEXT NOT NULL,
            type TEXT NOT NULL,
            subtype TEXT NOT NULL,
            description TEXT NOT NULL,
            masking INTEGER NOT NULL,
            job_id {d.bigint},
            updated_at TEXT NOT NULL,
            PRIMARY KEY (out_dataset, out_field, in_dataset, in_field, type, subtype)
        )""",
        "CREATE INDEX nbgov_column_edges_in ON nbgov_column_edges (in_dataset, in_field)",
    ]


@migration
def m003_outbox(d: Dialect) -> list[str]:
    return [
        f"""CREATE TABLE nbgov_outbox (
            event_id {d.bigint} PRIMARY KEY REFERENCES nbgov_events (id),
            enqueued_at TEXT NOT NULL,
            attempts INTEGER NOT NULL DEFAULT 0,
            next_attempt_at TEXT NOT NULL,
            last_error TEXT,
            lease_owner TEXT,
            lease_until TEXT,
            delivered_at TEXT
        )""",
        "CREATE INDEX nbgov_outbox_pending ON nbgov_outbox (delivered_at, next_attempt_at)",
    ]


@migration
def m004_versions_by_time(d: Dialect) -> list[str]:
    # A dataset's versions newest first, paged (schema alerts after every cell read only the
    # newest few): without it each read sorted all of a dataset's versions.
    return [
        "CREATE INDEX nbgov_versions_dataset_time ON nbgov_dataset_versions (dataset_id, created_at, id)",
    ]
