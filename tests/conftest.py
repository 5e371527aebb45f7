"""Shared fixtures: a real PostgreSQL server for the session, and a ``store`` on each backend.

The ``store`` and ``store_url`` fixtures are parametrised over ``sqlite`` (a real file
under ``tmp_path``) and ``postgres`` (a fresh database on a real server), so every store
test runs on both backends. The server is ``$NBGOV_TEST_POSTGRES_URL`` when set (any
database on it; the tests create and drop their own), else one started for the session
with ``tools/pgserver.py``. When no server can be had the PostgreSQL cases are skipped —
except in CI (``CI=true``), where they fail.
"""

from __future__ import annotations

import importlib.util
import itertools
import os
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest

ROOT = Path(__file__).resolve().parent.parent
# ``from tests.spec import ...`` and ``from tests.conftest import ...`` from any test module.
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

SHARED = ROOT.parent / "shared"
REFERENCE = SHARED / "reference"


def _load_pgserver():
    spec = importlib.util.spec_from_file_location("nbgov_tools_pgserver", ROOT / "tools" / "pgserver.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in ("true", "1", "yes")


def with_database(url: str, database: str) -> str:
    """``url`` pointing at another database on the same server."""
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, "/" + database, parts.query, parts.fragment))


class PostgresAdmin:
    """Hands out throwaway stores on one server: a fresh schema per test (much faster than
    a database per test), in a database created for the session."""

    def __init__(self, url: str) -> None:
        import psycopg

        self._counter = itertools.count()
        self._prefix = f"nbgov_test_{os.getpid()}_{uuid.uuid4().hex[:6]}"
        self._server_conn = psycopg.connect(url, autocommit=True, connect_timeout=10)
        self._database: str | None = self._prefix
        try:
            self._server_conn.execute(f'CREATE DATABASE "{self._database}" TEMPLATE template0')
            self.url = with_database(url, self._database)
        except psycopg.Error:  # no CREATEDB right on a given server: use its database
            self._database = None
            self.url = url
        self._conn = psycopg.connect(self.url, autocommit=True, connect_timeout=10)

    def create(self) -> str:
        """A new empty schema; returns a URL whose ``search_path`` is that schema."""
        name = f"s{next(self._counter)}_{uuid.uuid4().hex[:6]}"
        self._conn.execute(f'CREATE SCHEMA "{name}"')
        sep = "&" if "?" in self.url else "?"
        return f"{self.url}{sep}options=-csearch_path%3D{name}"

    def drop(self, url: str) -> None:
        name = url.rsplit("search_path%3D", 1)[1]
        self._conn.execute(f'DROP SCHEMA IF EXISTS "{name}" CASCADE')

    def close(self) -> None:
        self._conn.close()
        if self._database is not None:
            self._server_conn.execute(f'DROP DATABASE IF EXISTS "{self._database}" WITH (FORCE)')
        self._server_conn.close()


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[str]:
    """URL of a PostgreSQL server for the whole session (skip, or fail in CI, if none)."""
    env_url = os.environ.get("NBGOV_TEST_POSTGRES_URL", "").strip()
    if env_url:
        yield env_url
        return
    pgserver = _load_pgserver()
    server = pgserver.PostgresServer()
    try:
        url = server.start()
    except pgserver.PgServerError as exc:
        server.stop()
        reason = f"no PostgreSQL server could be started: {exc}"
        if in_ci():
            pytest.fail(reason, pytrace=False)
        pytest.skip(reason)
    try:
        yield url
    finally:
        server.stop()


@pytest.fixture(scope="session")
def postgres_admin(postgres_server: str) -> Iterator[PostgresAdmin]:
    try:
        import psycopg  # noqa: F401
    except ImportError as exc:
        reason = f"psycopg is not installed: {exc}"
        if in_ci():
            pytest.fail(reason, pytrace=False)
        pytest.skip(reason)
    admin = PostgresAdmin(postgres_server)
    yield admin
    admin.close()


@pytest.fixture
def postgres_url(postgres_admin: PostgresAdmin) -> Iterator[str]:
    """A fresh, empty PostgreSQL store location for one test (its own schema), dropped afterwards."""
    url = postgres_admin.create()
    yield url
    postgres_admin.drop(url)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def store_url(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> str:
    """Location of an empty store on the parametrised backend (nothing created yet for SQLite)."""
    if backend == "sqlite":
        return str(tmp_path / "store" / "lineage.db")
    return str(request.getfixturevalue("postgres_url"))


@pytest.fixture
def store(store_url: str) -> Iterator:
    """An open, migrated, empty store on each backend."""
    from nbgov.store import open_store

    opened = open_store(store_url)
    yield opened
    opened.close()


@pytest.fixture
def raw_sql(store_url: str, backend: str):
    """``raw_sql(query) -> rows`` on the store's database through a separate connection."""
    conns = []

    def run(query: str, params: tuple = ()) -> list[tuple]:
        if backend == "sqlite":
            import sqlite3

            conn = sqlite3.connect(store_url)
        else:
            import psycopg

            conn = psycopg.connect(store_url, autocommit=True)
        conns.append(conn)
        if backend == "postgres":  # psycopg's placeholders are %s; without params % is literal
            return [tuple(r) for r in conn.execute(query.replace("?", "%s") if params else query,
                                                   params or None).fetchall()]
        return [tuple(r) for r in conn.execute(query, params).fetchall()]

    yield run
    for c in conns:
        c.close()
