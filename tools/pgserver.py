#!/usr/bin/env python3
"""Start and stop a throwaway PostgreSQL server on 127.0.0.1 (standard library only).

Used by the test suite (``tests/conftest.py``) and the benchmarks. The server lives in a
fresh temporary directory, listens on loopback only at a free port, trusts loopback
connections and runs with ``fsync`` off: it is for tests, never for data you keep.

``initdb``, ``pg_ctl`` and the server refuse to run as root; when this process is root
they are run as the ``postgres`` user (created by Debian's ``postgresql`` package) on a
directory that user owns.

Library use::

    server = PostgresServer()
    url = server.start()   # postgresql://postgres@127.0.0.1:PORT/postgres
    ...
    server.stop()          # stops the server and deletes its directory

Command line (the state is kept in ``--dir``, default ``$TMPDIR/nbgov-pgserver``)::

    python tools/pgserver.py start   # prints the URL
    python tools/pgserver.py url     # prints the URL of the running server
    python tools/pgserver.py stop
"""

from __future__ import annotations

import argparse
import glob
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

__all__ = ["PgServerError", "PostgresServer", "find_bindir", "start", "stop"]

#: the OS user that runs the server when we are root
SERVER_USER = "postgres"
DEFAULT_STATE_DIR = Path(tempfile.gettempdir()) / "nbgov-pgserver"
_STATE_FILE = "pgserver.json"


class PgServerError(RuntimeError):
    """The PostgreSQL server could not be found, initialised, started or stopped."""


def _version_key(path: str) -> tuple[int, ...]:
    return tuple(int(x) for x in re.findall(r"\d+", path)) or (0,)


def find_bindir() -> Path:
    """The folder holding ``initdb`` and ``pg_ctl``: ``$NBGOV_PG_BINDIR``, else the newest
    /usr/lib/postgresql/*/bin, else PATH.

    Raises:
        PgServerError: PostgreSQL's server binaries are not installed.
    """
    env = os.environ.get("NBGOV_PG_BINDIR", "").strip()
    if env:  # an explicit choice is used or reported, never silently replaced
        if (Path(env) / "initdb").exists() and (Path(env) / "pg_ctl").exists():
            return Path(env)
        raise PgServerError(f"NBGOV_PG_BINDIR={env} holds no initdb and pg_ctl")
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=_version_key, reverse=True)
    candidates += sorted(glob.glob("/usr/pgsql-*/bin"), key=_version_key, reverse=True)
    for folder in candidates:
        if (Path(folder) / "initdb").exists() and (Path(folder) / "pg_ctl").exists():
            return Path(folder)
    initdb, pg_ctl = shutil.which("initdb"), shutil.which("pg_ctl")
    if initdb and pg_ctl:
        return Path(initdb).parent
    raise PgServerError(
        "PostgreSQL server binaries (initdb, pg_ctl) not found under /usr/lib/postgresql/*/bin or on PATH;"
        " install them with: apt-get install -y postgresql"
    )


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _as_root() -> bool:
    return hasattr(os, "geteuid") and os.geteuid() == 0


class PostgresServer:
    """One throwaway PostgreSQL server.

    Args:
        base_dir: where to put the data directory, socket and log; a new temporary
            directory (deleted by :meth:`stop`) when omitted. When running as root it must
            be reachable by the ``postgres`` user.
        port: the TCP port; a free one when omitted.
        bindir: folder of ``initdb``/``pg_ctl``; found by :func:`find_bindir` when omitted.
    """

    def __init__(self, base_dir: str | os.PathLike[str] | None = None, *, port: int | None = None,
                 bindir: str | os.PathLike[str] | None = None) -> None:
        self._own_dir = base_dir is None
        self.base_dir = Path(base_dir) if base_dir is not None else None
        self.port = port
        self.bindir = Path(bindir) if bindir is not None else None
        self.url: str | None = None

    # ------------------------------------------------------------------ paths
    @property
    def data_dir(self) -> Path:
        assert self.base_dir is not None
        return self.base_dir / "data"

    @property
    def socket_dir(self) -> Path:
        assert self.base_dir is not None
        return self.base_dir / "sock"

    @property
    def log_file(self) -> Path:
        assert self.base_dir is not None
        return self.base_dir / "server.log"

    def _run(self, args: list[str], timeout: float = 120) -> subprocess.CompletedProcess[str]:
        cmd = (["runuser", "-u", SERVER_USER, "--"] if _as_root() else []) + args
        try:
            return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=False,
                                  stdin=subprocess.DEVNULL)
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise PgServerError(f"{' '.join(cmd)}: {exc}") from exc

    def _log_tail(self, lines: int = 20) -> str:
        try:
            return "\n".join(self.log_file.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    # ------------------------------------------------------------- lifecycle
    def start(self) -> str:
        """Initialise and start the server; return its URL.

        Raises:
            PgServerError: binaries missing, ``initdb`` failed, or the server did not start.
        """
        if self.url is not None:
            return self.url
        self.bindir = self.bindir or find_bindir()
        if self.base_dir is None:
            # Directly under the system temp folder: pytest's own tmp folders are 0700 root,
            # which the postgres user could not traverse.
            self.base_dir = Path(tempfile.mkdtemp(prefix="nbgov-pg-"))
        self.base_dir.mkdir(parents=True, exist_ok=True)
        self.socket_dir.mkdir(exist_ok=True)
        if _as_root():
            try:
                import pwd

                user = pwd.getpwnam(SERVER_USER)
            except (ImportError, KeyError) as exc:
                raise PgServerError(
                    f"running as root and there is no {SERVER_USER!r} user to run PostgreSQL as"
                ) from exc
            for path in (self.base_dir, self.socket_dir):
                os.chown(path, user.pw_uid, user.pw_gid)
        if not (self.data_dir / "PG_VERSION").exists():
            done = self._run([str(self.bindir / "initdb"), "-D", str(self.data_dir), "-U", "postgres",
                              "-A", "trust", "-E", "UTF8", "--locale=C", "--no-sync", "--no-instructions"])
            if done.returncode != 0:
                raise PgServerError(f"initdb failed ({done.returncode}): {done.stderr.strip() or done.stdout.strip()}")
        last_error = ""
        for attempt in range(3):  # a free port can be taken between probing and binding
            port = self.port or _free_port()
            options = (f"-p {port} -k {self.socket_dir} -F -c listen_addresses=127.0.0.1"
                       " -c full_page_writes=off -c synchronous_commit=off -c max_connections=200")
            done = self._run([str(self.bindir / "pg_ctl"), "-D", str(self.data_dir), "-l", str(self.log_file),
                              "-o", options, "-w", "-t", "60", "start"])
            if done.returncode == 0:
                self.port = port
                self.url = f"postgresql://postgres@127.0.0.1:{port}/postgres"
                return self.url
            last_error = (done.stderr.strip() or done.stdout.strip()) + "\n" + self._log_tail()
            if self.port is not None:
                break
            time.sleep(0.2 * (attempt + 1))
        raise PgServerError(f"PostgreSQL did not start: {last_error.strip()}")

    def stop(self) -> None:
        """Stop the server (fast shutdown) and delete its directory if this object made it."""
        if self.base_dir is None:
            return
        if (self.data_dir / "postmaster.pid").exists() and self.bindir is not None:
            self._run([str(self.bindir / "pg_ctl"), "-D", str(self.data_dir), "-m", "fast", "-w", "-t", "60",
                       "stop"])
        self.url = None
        if self._own_dir:
            shutil.rmtree(self.base_dir, ignore_errors=True)
            self.base_dir = None

    def __enter__(self) -> PostgresServer:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def __repr__(self) -> str:
        return f"<PostgresServer {self.url or 'stopped'} at {self.base_dir}>"


# ---------------------------------------------------------------- state-file API (CLI)
def start(state_dir: str | os.PathLike[str] | None = None) -> str:
    """Start a server whose data lives in ``state_dir`` and return its URL.

    The server keeps running after this process exits; :func:`stop` with the same
    ``state_dir`` stops it. Starting twice returns the running server's URL.
    """
    folder = Path(state_dir) if state_dir is not None else DEFAULT_STATE_DIR
    state = folder / _STATE_FILE
    if state.exists():
        info = json.loads(state.read_text())
        if (folder / "data" / "postmaster.pid").exists():
            return str(info["url"])
    folder.mkdir(parents=True, exist_ok=True)
    server = PostgresServer(folder)
    url = server.start()
    state.write_text(json.dumps({"url": url, "port": server.port, "bindir": str(server.bindir)}))
    return url


def stop(state_dir: str | os.PathLike[str] | None = None) -> None:
    """Stop the server started by :func:`start` in ``state_dir`` and delete that folder."""
    folder = Path(state_dir) if state_dir is not None else DEFAULT_STATE_DIR
    state = folder / _STATE_FILE
    if not state.exists():
        return
    info = json.loads(state.read_text())
    server = PostgresServer(folder, bindir=info.get("bindir"))
    server.stop()
    shutil.rmtree(folder, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Throwaway PostgreSQL server on 127.0.0.1 for tests.")
    parser.add_argument("command", choices=["start", "stop", "url"])
    parser.add_argument("--dir", default=str(DEFAULT_STATE_DIR), help="state folder (default: %(default)s)")
    args = parser.parse_args(argv)
    try:
        if args.command == "start":
            print(start(args.dir))
        elif args.command == "url":
            state = Path(args.dir) / _STATE_FILE
            if not state.exists():
                print(f"no server recorded in {args.dir}", file=sys.stderr)
                return 1
            print(json.loads(state.read_text())["url"])
        else:
            stop(args.dir)
    except PgServerError as exc:
        print(f"pgserver: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
