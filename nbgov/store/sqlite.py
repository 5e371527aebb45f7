"""SQLite backend: the embedded default, one file, WAL, safe for several writers."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from nbgov.errors import StoreError
from nbgov.store.base import Store
from nbgov.store.migrations import Dialect

#: how long a writer waits for another process's transaction before giving up
BUSY_TIMEOUT_S = 60.0


class SQLiteStore(Store):
    """A store in one SQLite file (``:memory:`` for a throwaway one).

    Args:
        path: the database file; its folder is created if missing.
        migrate: apply pending migrations on open.
    """

    dialect = Dialect(pk="INTEGER PRIMARY KEY", bigint="INTEGER")

    def __init__(self, path: str | Path, *, migrate: bool = True) -> None:
        super().__init__()
        self.path = str(path)
        self.url = self.path
        try:
            if self.path != ":memory:":
                Path(self.path).expanduser().parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:  # the folder is a file, or not writable
            raise StoreError(f"cannot create the folder of SQLite store {self.path}: {exc}") from exc
        try:
            self._conn = sqlite3.connect(
                str(Path(self.path).expanduser()) if self.path != ":memory:" else self.path,
                timeout=BUSY_TIMEOUT_S,
                isolation_level=None,  # we issue BEGIN/COMMIT ourselves
                check_same_thread=False,
            )
            self._conn.execute("PRAGMA journal_mode=WAL")
            self._conn.execute("PRAGMA synchronous=NORMAL")
            # Up to 64 MiB of page cache and a 16 MiB WAL between checkpoints: batch ingest
            # rewrites index pages many times, and fewer checkpoints mean fewer fsyncs.
            self._conn.execute("PRAGMA cache_size=-65536")
            self._conn.execute("PRAGMA wal_autocheckpoint=4000")
            self._conn.execute(f"PRAGMA busy_timeout={int(BUSY_TIMEOUT_S * 1000)}")
        except sqlite3.Error as exc:
            raise StoreError(f"cannot open SQLite store {self.path}: {exc}") from exc
        self._lock = threading.RLock()
        if migrate:
            self.migrate()

    def _execute(self, sql: str, params: Sequence[Any] = ()) -> Any:
        try:
            return self._conn.execute(sql, tuple(params))
        except sqlite3.DatabaseError as exc:
            if isinstance(exc, sqlite3.OperationalError) and "locked" in str(exc):
                raise
            raise StoreError(f"{self.path}: {exc}") from exc

    def _executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        self._conn.executemany(sql, rows)

    def _begin(self, write: bool) -> None:
        self._lock.acquire()
        try:
            # IMMEDIATE takes the write lock up front, so read-then-write cannot deadlock.
            self._conn.execute("BEGIN IMMEDIATE" if write else "BEGIN")
        except BaseException:
            self._lock.release()
            raise

    def _commit(self) -> None:
        try:
            self._conn.execute("COMMIT")
        finally:
            self._lock.release()

    def _rollback(self) -> None:
        try:
            if self._conn.in_transaction:
                self._conn.execute("ROLLBACK")
        finally:
            self._lock.release()

    def _is_retryable(self, exc: BaseException) -> bool:
        return isinstance(exc, sqlite3.OperationalError) and "locked" in str(exc)

    def _walk_sql(self, direction: str) -> str:
        down = "SELECT e.dst, w.depth + 1 FROM walk w JOIN nbgov_edges e ON e.src = w.node WHERE w.depth < ?2"
        up = "SELECT e.src, w.depth + 1 FROM walk w JOIN nbgov_edges e ON e.dst = w.node WHERE w.depth < ?2"
        steps = {"down": down, "up": up, "both": f"{down} UNION {up}"}[direction]
        return f"WITH RECURSIVE walk(node, depth) AS (SELECT ?1, 0 UNION {steps})"

    def close(self) -> None:
        try:
            self._conn.close()
        except sqlite3.Error:  # pragma: no cover - closing twice
            pass
