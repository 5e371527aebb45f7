"""Durable emission against a real HTTP server on 127.0.0.1 playing Marquez.

The OpenLineage client is configured only through the standard environment variables
and YAML files; the store is a real SQLite file under ``tmp_path``.
"""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from pathlib import Path

import pytest
import requests
from openlineage.client.serde import Serde
from openlineage.client.transport import Config, Transport
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from nbgov.emit import Emitter, configured_transport, deliver_pending, describe_transport, run_event, to_dict
from nbgov.emit.events import dataset
from nbgov.errors import ConfigError
from nbgov.store import SQLiteStore
from tests.spec import assert_spec_valid

pytestmark = pytest.mark.timeout(60)

LINEAGE = "/api/v1/lineage"


class Marquez:
    """A loopback server answering ``POST /api/v1/lineage`` like Marquez, recording what it accepted."""

    def __init__(self) -> None:
        self.server = HTTPServer(host="127.0.0.1", port=0, threaded=True)
        self.server.expect_request(LINEAGE, method="POST").respond_with_handler(self._handle)
        self.accepted: list[dict] = []
        self.refused = 0
        self.status = 201
        self.delay = 0.0
        self._lock = threading.Lock()

    def _handle(self, request: Request) -> Response:
        if self.delay:
            time.sleep(self.delay)
        with self._lock:
            if self.status >= 400:
                self.refused += 1
                return Response("backend trouble", status=self.status)
            self.accepted.append(json.loads(request.get_data()))
        return Response("", status=201)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.port}"

    def run_ids(self) -> list[str]:
        return [e["run"]["runId"] for e in self.accepted]


@pytest.fixture(autouse=True)
def clean_config(tmp_path, monkeypatch):
    """No OpenLineage configuration leaks in from the machine: empty env, cwd and home."""
    import os

    for key in list(os.environ):
        if key.startswith("OPENLINEAGE"):
            monkeypatch.delenv(key)
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)


@pytest.fixture(scope="module")
def _marquez_server():
    server = Marquez()
    server.server.start()
    yield server
    if server.server.is_running():
        server.server.stop()


@pytest.fixture
def marquez(_marquez_server):
    """The module's server, reset: running, answering 201 at once, nothing recorded."""
    server = _marquez_server
    if not server.server.is_running():
        server.server.start()
    server.accepted, server.refused, server.status, server.delay = [], 0, 201, 0.0
    server.server.clear_log()
    return server


@pytest.fixture
def db(tmp_path):
    return tmp_path / "lineage.db"


@pytest.fixture
def store(db):
    s = SQLiteStore(db)
    yield s
    s.close()


def http_env(monkeypatch, url: str, *, timeout: float = 2, retry_total: int = 0) -> None:
    """The HTTP transport through OPENLINEAGE__TRANSPORT__* variables, retries off for speed."""
    monkeypatch.setenv("OPENLINEAGE__TRANSPORT__TYPE", "http")
    monkeypatch.setenv("OPENLINEAGE__TRANSPORT__URL", url)
    monkeypatch.setenv("OPENLINEAGE__TRANSPORT__TIMEOUT", str(timeout))
    monkeypatch.setenv("OPENLINEAGE__TRANSPORT__RETRY", json.dumps({"total": retry_total}))


def make_events(n: int, job: str = "nightly") -> list[dict]:
    return [
        to_dict(run_event("START", job_namespace="nbgov-test", job_name=f"{job}_{i}",
                          event_time=f"2024-05-01T12:{i // 60 % 60:02d}:{i % 60:02d}Z",
                          outputs=[dataset("file", f"/data/out_{i}.csv", kind="output", fields=[("id", "int")])]))
        for i in range(n)
    ]


def enqueue(store, events: list[dict]) -> list[str]:
    result = store.add_events(events, emit=True)
    assert result.stored == len(events)
    return [e["run"]["runId"] for e in events]


def wait_for(predicate, timeout: float = 20.0) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if predicate():
            return True
        time.sleep(0.02)
    return predicate()


def pending(db) -> int:
    with SQLiteStore(db) as s:
        return s.outbox_stats()["pending"]


# ------------------------------------------------------------------ delivery
def test_delivered_once_each_in_order(marquez, store, db, monkeypatch):
    monkeypatch.setenv("OPENLINEAGE_URL", marquez.url)  # the simplest standard configuration
    events = make_events(5)
    run_ids = enqueue(store, events)
    emitter = Emitter(lambda: SQLiteStore(db))
    try:
        result = emitter.flush(timeout=20)  # starts the worker
    finally:
        assert emitter.close(timeout=5)
    assert result.delivered == 5 and result.failed == 0 and result.pending == 0
    assert marquez.run_ids() == run_ids
    assert_spec_valid(marquez.accepted)
    stored = [json.loads(e) if isinstance(e, str) else e for e in store.events()]
    assert [Serde.to_dict(e) for e in stored] == marquez.accepted
    assert store.outbox_stats()["delivered"] == 5
    assert emitter.status()["delivered"] == 5


def test_deliver_pending_pass(marquez, store, monkeypatch):
    http_env(monkeypatch, marquez.url)
    run_ids = enqueue(store, make_events(7))
    transport = configured_transport()
    assert transport is not None and transport.kind == "http"
    first = deliver_pending(store, transport, owner="cli", limit=4)
    assert (first.delivered, first.failed, first.pending) == (4, 0, 3)
    second = deliver_pending(store, transport, owner="cli", limit=4)
    assert (second.delivered, second.pending) == (3, 0)
    assert deliver_pending(store, transport, owner="cli").delivered == 0
    assert marquez.run_ids() == run_ids


def test_backend_down_then_up_delivers_each_exactly_once(marquez, store, db, monkeypatch):
    http_env(monkeypatch, marquez.url)
    marquez.server.stop()  # the backend is down: connection refused
    run_ids = enqueue(store, make_events(6))
    emitter = Emitter(lambda: SQLiteStore(db)).start()
    try:
        down = emitter.flush(timeout=20)
        assert down.delivered == 0 and down.failed >= 1  # the start pass may have failed too
        assert down.pending == 6
        assert "Connection" in (down.last_error or "")
        stats = store.outbox_stats()
        assert stats["pending"] == 6 and stats["last_error"]
        again = emitter.flush(timeout=20)  # exactly one pass
        assert again.delivered == 0 and again.failed == 1 and again.pending == 6  # one attempt, not six

        marquez.server.start()  # same port
        up = emitter.flush(timeout=20)
    finally:
        emitter.close(timeout=5)
    assert up.delivered == 6 and up.pending == 0 and up.failed == 0
    assert sorted(marquez.run_ids()) == sorted(run_ids)
    assert Counter(marquez.run_ids()).most_common(1)[0][1] == 1
    assert store.outbox_stats() == {**store.outbox_stats(), "pending": 0, "delivered": 6, "last_error": None}


def test_slow_server_flush_is_bounded_and_nothing_is_lost(marquez, store, db, monkeypatch):
    http_env(monkeypatch, marquez.url, timeout=10)
    marquez.delay = 0.6  # each request outlasts the flush timeout below
    run_ids = enqueue(store, make_events(3))
    first = Emitter(lambda: SQLiteStore(db)).start()
    early = first.flush(timeout=0.2)
    assert early.delivered < 3  # returned before the backend had answered everything
    first.close(timeout=0.1)  # a send is in flight: close does not wait for it
    second = Emitter(lambda: SQLiteStore(db)).start()
    try:
        assert wait_for(lambda: second.flush(timeout=10).pending == 0 and pending(db) == 0)
        assert wait_for(lambda: not first.running)
    finally:
        second.close(timeout=5)
    assert sorted(marquez.run_ids()) == sorted(run_ids)
    assert len(marquez.run_ids()) == 3


def test_server_errors_are_retried_later_on_the_timer(marquez, store, db, monkeypatch):
    http_env(monkeypatch, marquez.url)
    marquez.status = 500
    run_ids = enqueue(store, make_events(3))
    emitter = Emitter(lambda: SQLiteStore(db), poll_interval=0.05, backoff_base=0.05, backoff_max=0.2).start()
    try:
        assert wait_for(lambda: emitter.failed >= 3)  # retried by the timer, no flush
        assert emitter.delivered == 0 and emitter.pending == 3
        assert "500" in (emitter.last_error or "")
        assert marquez.accepted == [] and marquez.refused >= 3
        marquez.status = 201
        assert wait_for(lambda: emitter.pending == 0 and emitter.delivered == 3)
    finally:
        emitter.close(timeout=5)
    assert marquez.run_ids() == run_ids


def test_client_error_status_counts_as_failure(marquez, store, monkeypatch):
    http_env(monkeypatch, marquez.url)
    marquez.status = 400  # not in the retry list: the transport raises on it
    enqueue(store, make_events(2))
    result = deliver_pending(store, configured_transport(), owner="cli")
    assert (result.delivered, result.failed, result.pending) == (0, 1, 2)
    assert "400" in result.last_error


class StatusReturningConfig(Config):
    def __init__(self, url: str = "") -> None:
        self.url = url

    @classmethod
    def from_dict(cls, params):
        return cls(params["url"])


class StatusReturningTransport(Transport):
    """A plug-in transport that returns the HTTP response instead of raising on errors."""

    kind = "status-returning"
    config_class = StatusReturningConfig

    def __init__(self, config: StatusReturningConfig) -> None:
        self.url = config.url

    def emit(self, event):
        return requests.post(self.url + LINEAGE, data=Serde.to_json(event), timeout=5,
                             headers={"Content-Type": "application/json"})


def test_returned_error_response_counts_as_failure(marquez, store, monkeypatch):
    monkeypatch.setenv("OPENLINEAGE__TRANSPORT__TYPE", f"{__name__}.StatusReturningTransport")
    monkeypatch.setenv("OPENLINEAGE__TRANSPORT__URL", marquez.url)
    run_ids = enqueue(store, make_events(2))
    transport = configured_transport()
    assert isinstance(transport, StatusReturningTransport)
    marquez.status = 503
    failed = deliver_pending(store, transport, owner="cli")
    assert (failed.delivered, failed.failed, failed.pending) == (0, 1, 2)
    assert "HTTP 503" in failed.last_error
    marquez.status = 201
    store.reset_outbox_schedule()
    assert deliver_pending(store, transport, owner="cli").delivered == 2
    assert marquez.run_ids() == run_ids


def test_two_emitters_on_one_outbox_send_no_duplicates(marquez, store, db, monkeypatch):
    http_env(monkeypatch, marquez.url)
    run_ids = enqueue(store, make_events(120))
    emitters = [Emitter(lambda: SQLiteStore(db), batch_size=7) for _ in range(2)]
    for e in emitters:
        e.start()
    try:
        flushes = [threading.Thread(target=e.flush, args=(30,)) for e in emitters]
        for t in flushes:
            t.start()
        for t in flushes:
            t.join()
        assert wait_for(lambda: pending(db) == 0, timeout=30)
    finally:
        for e in emitters:
            e.close(timeout=5)
    assert len(marquez.run_ids()) == 120
    assert set(marquez.run_ids()) == set(run_ids)
    assert sum(e.delivered for e in emitters) == 120


def test_start_picks_up_events_left_pending(marquez, store, db, monkeypatch):
    run_ids = enqueue(store, make_events(3))  # stored while no backend was configured
    assert configured_transport() is None
    idle = Emitter(lambda: SQLiteStore(db)).start()
    assert idle.flush(timeout=5).delivered == 0
    idle.close()
    assert pending(db) == 3
    http_env(monkeypatch, marquez.url)
    emitter = Emitter(lambda: SQLiteStore(db)).start()
    try:
        assert wait_for(lambda: emitter.pending == 0)  # no wake, no flush: start drains
    finally:
        emitter.close()
    assert marquez.run_ids() == run_ids


def test_disabled_sends_nothing_and_keeps_events(marquez, store, db, monkeypatch):
    monkeypatch.setenv("OPENLINEAGE_URL", marquez.url)
    monkeypatch.setenv("OPENLINEAGE_DISABLED", "true")
    enqueue(store, make_events(4))
    assert configured_transport() is None
    assert describe_transport()["disabled"] is True
    emitter = Emitter(lambda: SQLiteStore(db)).start()
    try:
        result = emitter.flush(timeout=5)
    finally:
        emitter.close()
    assert result.delivered == 0 and result.pending == 4
    assert marquez.server.log == []
    assert store.count_events() == 4 and store.outbox_stats()["pending"] == 4


def test_store_failure_is_counted_not_raised(tmp_path, monkeypatch, marquez):
    http_env(monkeypatch, marquez.url)

    def broken_store():
        raise OSError("disk on fire")

    emitter = Emitter(broken_store).start()
    result = emitter.flush(timeout=5)
    emitter.wake()
    assert emitter.close(timeout=5)
    assert result.delivered == 0
    assert emitter.errors >= 1 and "disk on fire" in emitter.last_error


# ------------------------------------------------------------- other transports
def test_file_transport_from_env(store, tmp_path, monkeypatch):
    out = tmp_path / "events.ndjson"
    monkeypatch.setenv("OPENLINEAGE__TRANSPORT__TYPE", "file")
    monkeypatch.setenv("OPENLINEAGE__TRANSPORT__LOG_FILE_PATH", str(out))
    monkeypatch.setenv("OPENLINEAGE__TRANSPORT__APPEND", "true")
    events = make_events(3)
    enqueue(store, events)
    transport = configured_transport()
    assert transport.kind == "file"
    assert deliver_pending(store, transport, owner="cli").delivered == 3
    written = [json.loads(line) for line in out.read_text().splitlines()]
    assert written == [Serde.to_dict(e) for e in events]
    assert_spec_valid(written)
    info = describe_transport()
    assert (info["kind"], info["target"], info["source"]) == ("file", str(out), "OPENLINEAGE__TRANSPORT__TYPE")


def test_composite_transport_from_yaml(marquez, store, tmp_path, monkeypatch):
    out = tmp_path / "copy.ndjson"
    config = tmp_path / "ol.yml"
    config.write_text(
        "transport:\n"
        "  type: composite\n"
        "  transports:\n"
        "    marquez:\n"
        f"      type: http\n      url: {marquez.url}\n      timeout: 2\n      retry: {{total: 0}}\n"
        "    archive:\n"
        f"      type: file\n      log_file_path: {out}\n      append: true\n"
    )
    monkeypatch.setenv("OPENLINEAGE_CONFIG", str(config))
    run_ids = enqueue(store, make_events(2))
    transport = configured_transport()
    assert transport.kind == "composite"
    assert deliver_pending(store, transport, owner="cli").delivered == 2
    assert marquez.run_ids() == run_ids
    assert [json.loads(line)["run"]["runId"] for line in out.read_text().splitlines()] == run_ids
    info = describe_transport()
    assert info["source"] == str(config)
    assert sorted(t["kind"] for t in info["transports"]) == ["file", "http"]


# ----------------------------------------------------------------- configuration
def test_no_configuration_means_no_transport(tmp_path):
    assert configured_transport() is None
    info = describe_transport()
    assert info["configured"] is False and info["kind"] is None and "error" not in info


def test_yaml_without_transport_is_not_a_backend(monkeypatch):
    Path("openlineage.yml").write_text("facets:\n  environment_variables: [HOME]\n")
    assert configured_transport() is None  # the bare client would print to the console


def test_yaml_in_home_is_found(marquez, monkeypatch):
    import os

    folder = Path(os.environ["HOME"]) / ".openlineage"
    folder.mkdir()
    (folder / "openlineage.yml").write_text(f"transport:\n  type: http\n  url: {marquez.url}\n")
    assert configured_transport().kind == "http"
    assert describe_transport()["source"] == str(folder / "openlineage.yml")


def test_describe_redacts_api_key_and_url_password(monkeypatch):
    monkeypatch.setenv("OPENLINEAGE_URL", "http://ingest:hunter2@127.0.0.1:9/base/")
    monkeypatch.setenv("OPENLINEAGE_API_KEY", "sk-live-123456")
    info = describe_transport()
    text = json.dumps(info)
    assert "hunter2" not in text and "sk-live-123456" not in text
    assert info["target"] == "http://ingest:***@127.0.0.1:9/base/api/v1/lineage"
    assert info["auth"] == "ApiKey" and info["source"] == "OPENLINEAGE_URL" and info["configured"]


def test_describe_redacts_secrets_in_yaml_headers_and_query(tmp_path, monkeypatch):
    Path("openlineage.yml").write_text(
        "transport:\n  type: http\n  url: http://127.0.0.1:9/?api_key=qwerty\n"
        "  auth: {type: api_key, apiKey: zzz-secret}\n"
        "  custom_headers: {X-Token: tok-999}\n"
    )
    text = json.dumps(describe_transport())
    for secret in ("qwerty", "zzz-secret", "tok-999"):
        assert secret not in text
    assert "X-Token" in text


def test_corrupt_yaml_is_a_config_error_naming_the_file():
    Path("openlineage.yml").write_text("transport:\n  type: http\n  url: [unclosed\n")
    with pytest.raises(ConfigError) as info:
        configured_transport()
    assert "openlineage.yml" in str(info.value) and info.value.source.endswith("openlineage.yml")
    described = describe_transport()
    assert described["configured"] is False and "openlineage.yml" in described["error"]


def test_unknown_transport_type_is_a_config_error(tmp_path, monkeypatch):
    config = tmp_path / "custom.yml"
    config.write_text("transport:\n  type: carrier-pigeon\n")
    monkeypatch.setenv("OPENLINEAGE_CONFIG", str(config))
    with pytest.raises(ConfigError) as info:
        configured_transport()
    assert str(config) in str(info.value) and "carrier-pigeon" in str(info.value)


def test_missing_config_file_is_a_config_error(tmp_path, monkeypatch):
    monkeypatch.setenv("OPENLINEAGE_CONFIG", str(tmp_path / "nope.yml"))
    with pytest.raises(ConfigError) as info:
        configured_transport()
    assert "OPENLINEAGE_CONFIG" in str(info.value)


def test_env_transport_missing_url_is_a_config_error(monkeypatch):
    monkeypatch.setenv("OPENLINEAGE__TRANSPORT__TYPE", "http")
    with pytest.raises(ConfigError) as info:
        configured_transport()
    assert "OPENLINEAGE__TRANSPORT__TYPE" in str(info.value)


def test_client_environment_aliases_do_not_leak(marquez, monkeypatch):
    import os

    monkeypatch.setenv("OPENLINEAGE_URL", marquez.url)
    assert configured_transport() is not None
    assert not [k for k in os.environ if k.startswith("OPENLINEAGE__TRANSPORT__TRANSPORTS__")]


def test_default_client_retries_stay_off_the_callers_thread(store, db, monkeypatch):
    import socket

    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    monkeypatch.setenv("OPENLINEAGE_URL", f"http://127.0.0.1:{port}")  # client defaults: 5 retries, backoff
    enqueue(store, make_events(3))
    emitter = Emitter(lambda: SQLiteStore(db))
    result = emitter.flush(timeout=0.3)
    assert result.delivered == 0
    assert emitter.close(timeout=0.2) is False  # the worker is still inside the client's retries
    assert store.outbox_stats()["pending"] == 3
