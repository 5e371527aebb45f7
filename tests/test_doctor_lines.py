"""``nbgov doctor`` prints one line per check, and nothing else, even when the OpenLineage
client or libpq would add their own lines (a traceback, a hint)."""

from __future__ import annotations

import socket
import subprocess
import sys

import pytest


def _doctor(tmp_path, env_extra: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    import os

    env = {k: v for k, v in os.environ.items() if not k.startswith(("NBGOV_", "OPENLINEAGE"))}
    env.update(env_extra)
    return subprocess.run([sys.executable, "-m", "nbgov", "doctor", *args], capture_output=True, text=True,
                          env=env, cwd=tmp_path, check=False, timeout=120)


def test_a_kafka_transport_without_its_library_is_one_fail_line(tmp_path) -> None:
    pytest.importorskip("openlineage.client.transport.kafka")
    try:
        import confluent_kafka  # noqa: F401
    except ImportError:
        pass
    else:  # pragma: no cover - the library is not in the test extra
        pytest.skip("confluent-kafka is installed: the transport builds")
    proc = _doctor(tmp_path, {"OPENLINEAGE__TRANSPORT__TYPE": "kafka", "OPENLINEAGE__TRANSPORT__TOPIC": "t",
                              "OPENLINEAGE__TRANSPORT__CONFIG": '{"bootstrap.servers": "localhost:9092"}'},
                   "--store", str(tmp_path / "x.db"))
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr and proc.stderr.strip() == ""
    fail = [line for line in proc.stdout.splitlines() if line.startswith("FAIL")]
    assert fail == ["FAIL  transport  OpenLineage configuration is broken: OPENLINEAGE__TRANSPORT__TYPE: "
                    "cannot build the 'kafka' OpenLineage transport: No module named 'confluent_kafka'"]


def test_an_unreachable_postgres_store_is_one_line(tmp_path) -> None:
    pytest.importorskip("psycopg")
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    proc = _doctor(tmp_path, {}, "--store", f"postgresql://ana:secret@127.0.0.1:{port}/shop")
    assert proc.returncode == 1
    lines = proc.stdout.splitlines()
    assert all(line[:4] in ("OK  ", "WARN", "FAIL") for line in lines), lines
    store = [line for line in lines if line.split()[1:2] == ["store"]]
    assert len(store) == 1 and store[0].startswith("FAIL") and "secret" not in proc.stdout
