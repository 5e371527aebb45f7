"""The ``nbgov`` command line, through click's runner and through a real process."""

from __future__ import annotations

import copy
import io
import json
import os
import re
import socket
import subprocess
import sys
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from nbgov import render
from nbgov.cli import DEMO_ROOT, cli, sample_events_path
from nbgov.importing import read_events
from nbgov.model.events import canonical_json
from nbgov.store import open_store
from nbgov.views.report import ENGINE_FILE, inline_script
from tests.spec import assert_spec_valid

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs" / "cli.md"
SAMPLE = [json.loads(line) for line in sample_events_path().read_text("utf-8").splitlines() if line.strip()]
FEATURES = "dataset:postgres://db.example.com:5432:analytics.public.customer_features"


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No store or OpenLineage configuration leaks in from the environment; work in tmp_path."""
    for key in list(os.environ):
        if key.startswith(("NBGOV_", "OPENLINEAGE")):
            monkeypatch.delenv(key)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))  # no ~/.openlineage/openlineage.yml
    monkeypatch.chdir(tmp_path)


def run(*args: str, input: str | None = None) -> click.testing.Result:
    return CliRunner().invoke(cli, list(args), input=input, catch_exceptions=False)


def write_ndjson(path: Path, events: list) -> Path:
    path.write_text("".join(json.dumps(e) + "\n" for e in events), encoding="utf-8")
    return path


@pytest.fixture
def db(tmp_path: Path) -> str:
    """A store holding the bundled sample."""
    location = str(tmp_path / "sample.db")
    result = run("import", str(sample_events_path()), "--store", location)
    assert result.exit_code == 0, result.output
    return location


def documented_commands() -> dict[str, str]:
    """``## nbgov NAME`` sections of docs/cli.md: name -> section text."""
    text = DOCS.read_text("utf-8")
    parts = re.split(r"^## nbgov (\S+)\s*$", text, flags=re.M)
    return {parts[i]: parts[i + 1] for i in range(1, len(parts), 2)}


def documented_keys(command: str) -> set[str]:
    section = documented_commands()[command]
    line = next(line for line in section.splitlines() if line.startswith("JSON keys:"))
    return set(re.findall(r"`([^`]+)`", line))


# ------------------------------------------------------------------- the sample
def test_bundled_sample_is_spec_valid_and_shaped_as_documented() -> None:
    assert_spec_valid(SAMPLE)
    assert len(SAMPLE) == 10
    assert sum(e["eventType"] == "FAIL" for e in SAMPLE) == 1
    namespaces = {d["namespace"] for e in SAMPLE for d in e["inputs"] + e["outputs"]}
    assert namespaces == {"file", "postgres://db.example.com:5432"}
    assert any("columnLineage" in d["facets"] for e in SAMPLE for d in e["outputs"])
    assert any("parent" in e["run"]["facets"] for e in SAMPLE)


# --------------------------------------------------------------- import / export
def test_import_export_round_trip_equals_input(tmp_path: Path) -> None:
    extra = copy.deepcopy(SAMPLE[1])
    extra["run"]["runId"] = "0190a5c1-7b2e-7c41-8a10-3f6f2b9d00ff"
    extra["eventTime"] = "2024-06-04T09:00:00.123456+02:00"  # kept as written, not normalised
    source = write_ndjson(tmp_path / "in.ndjson", [*SAMPLE, extra])
    store = str(tmp_path / "s.db")
    result = run("import", str(source), "--store", store)
    assert result.exit_code == 0, result.output
    assert "11 stored, 0 duplicates, 0 rejected" in result.output

    out = tmp_path / "out.ndjson"
    assert run("export", "--store", store, "-o", str(out)).exit_code == 0
    exported = out.read_text("utf-8").splitlines()
    assert [json.loads(line) for line in exported] == [*SAMPLE, extra]
    assert exported == [canonical_json(e) for e in [*SAMPLE, extra]]
    assert_spec_valid([json.loads(line) for line in exported])

    # and the export imports into an empty store as the same events
    again = str(tmp_path / "again.db")
    assert run("import", str(out), "--store", again).exit_code == 0
    assert run("export", "--store", again).output.splitlines() == exported


def test_import_twice_counts_duplicates_and_json_summary(db: str) -> None:
    result = run("import", str(sample_events_path()), "--store", db, "--format", "json")
    assert result.exit_code == 0
    summary = json.loads(result.output)
    assert set(summary) == documented_keys("import")
    assert (summary["read"], summary["stored"], summary["duplicates"], summary["rejected"]) == (10, 0, 10, 0)
    assert summary["problems"] == []


def test_invalid_events_rejected_with_line_and_field_valid_ones_kept(tmp_path: Path) -> None:
    bad_uuid = copy.deepcopy(SAMPLE[0])
    bad_uuid["run"]["runId"] = "x"
    no_producer = copy.deepcopy(SAMPLE[2])
    del no_producer["producer"]
    lines = [json.dumps(SAMPLE[1]), "", json.dumps(bad_uuid), json.dumps(SAMPLE[3]), "{not json",
             json.dumps(no_producer), json.dumps(SAMPLE[4]), "[1, 2]"]
    path = tmp_path / "events.ndjson"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    store = str(tmp_path / "s.db")

    result = CliRunner().invoke(cli, ["import", str(path), "--store", store])
    assert result.exit_code == 1
    errors = result.stderr.splitlines()
    assert f"{path}:3: run.runId: 'x' is not a 'uuid'" in errors
    assert any(e.startswith(f"{path}:5: invalid JSON:") for e in errors)
    assert f"{path}:6: producer: 'producer' is a required property" in errors
    assert f"{path}:8: an event must be a JSON object, not an array" in errors
    assert "read 7 events: 3 stored, 0 duplicates, 4 rejected" in result.stdout
    assert "Traceback" not in result.output

    stored = [json.loads(line) for line in run("export", "--store", store).output.splitlines()]
    assert stored == [SAMPLE[1], SAMPLE[3], SAMPLE[4]]

    as_json = json.loads(CliRunner().invoke(cli, ["import", str(path), "--store", store, "--format", "json"]).stdout)
    assert as_json["rejected"] == 4 and as_json["duplicates"] == 3
    first = as_json["problems"][0]
    assert {k: first[k] for k in ("line", "index", "path", "message")} == {
        "line": 3, "index": 1, "path": "run.runId", "message": "'x' is not a 'uuid'"}


def test_json_array_and_stdin_inputs(tmp_path: Path) -> None:
    bad = copy.deepcopy(SAMPLE[5])
    bad["eventTime"] = "yesterday"
    path = tmp_path / "events.json"
    path.write_text(json.dumps([SAMPLE[0], bad, SAMPLE[9]], indent=2), encoding="utf-8")
    store = str(tmp_path / "s.db")
    result = CliRunner().invoke(cli, ["import", str(path), "--store", store])
    assert result.exit_code == 1
    assert f"{path}[1]: eventTime:" in result.stderr
    assert "2 stored" in result.stdout

    piped = "".join(json.dumps(e) + "\n" for e in SAMPLE[:4])
    result = run("import", "-", "--store", store, input=piped)
    assert result.exit_code == 0
    assert "3 stored, 1 duplicates, 0 rejected" in result.output

    single = tmp_path / "one.json"  # one pretty-printed event
    single.write_text(json.dumps(SAMPLE[6], indent=2), encoding="utf-8")
    assert "1 stored" in run("import", str(single), "--store", store).output


@pytest.mark.parametrize("chunk_size", [1, 3, 7, 64, 1 << 20])
def test_reader_streams_in_chunks_with_locations(chunk_size: int) -> None:
    def read(text: str) -> list[tuple[str, object, str | None]]:
        stream = io.BytesIO(text.encode("utf-8"))
        return [(str(src), value, str(rej) if rej else None)
                for src, value, rej in read_events("f", stream, chunk_size=chunk_size)]

    assert read('[\n {"a": "é"},\n 12345, true,\n {"b": [1, 2]}\n]\n') == [
        ("f[0]", {"a": "é"}, None), ("f[1]", 12345, None), ("f[2]", True, None), ("f[3]", {"b": [1, 2]}, None)]
    assert read('{"a":1}\n\nnot json\n{"b":2}') == [
        ("f:1", {"a": 1}, None), ("f:3", None, "f:3: invalid JSON: Expecting value (column 1)"), ("f:4", {"b": 2}, None)]
    assert read('{\n  "a": 1\n}\n') == [("f:1", {"a": 1}, None)]
    assert read('{"a":1\n{"b":2}\n')[1] == ("f:2", {"b": 2}, None)  # broken first line: still NDJSON
    assert read('[{"a":1} {"b":2}]')[-1] == ("f[1]", None, "f[1]: invalid JSON: expected ',' or ']' but found '{'")
    assert read('[{"a":1},')[-1][2] == "f[1]: invalid JSON: the array is not closed with ']'"
    assert read("[]") == [] and read(" \n ") == []


@pytest.mark.parametrize("backend", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def test_round_trip_on_each_backend(store_url: str) -> None:
    result = CliRunner().invoke(cli, ["import", str(sample_events_path()), "--store", store_url, "--format", "json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["stored"] == 10
    exported = run("export", "--store", store_url).output.splitlines()
    assert [json.loads(line) for line in exported] == SAMPLE
    graph = json.loads(run("lineage", DEMO_ROOT, "--store", store_url, "--format", "json").output)
    assert len(graph["graph"]) == 8


def test_export_filters(db: str) -> None:
    def exported(*args: str) -> list[dict]:
        result = run("export", "--store", db, *args)
        assert result.exit_code == 0, result.output
        return [json.loads(line) for line in result.output.splitlines()]

    train = exported("--job", "train_churn_model")
    assert [e["eventType"] for e in train] == ["START", "FAIL", "START", "COMPLETE"]
    assert len(exported("--run", "0190a5c1-7b2e-7c41-8a10-3f6f2b9d0004")) == 2
    window = exported("--since", "2024-06-03T08:03:45Z", "--until", "2024-06-03T08:12:30Z")
    assert [e["eventTime"] for e in window] == [e["eventTime"] for e in SAMPLE[5:8]]
    assert len(exported("--namespace", "nbgov-demo")) == 10
    assert exported("--namespace", "elsewhere") == []
    bad = CliRunner().invoke(cli, ["export", "--store", db, "--since", "last tuesday"])
    assert bad.exit_code == 2 and "Traceback" not in bad.output


# ------------------------------------------------------------------- graph queries
def test_lineage_json_is_exactly_the_store_answer(db: str) -> None:
    result = run("lineage", DEMO_ROOT, "--store", db, "--format", "json", "--depth", "1")
    assert result.exit_code == 0
    with open_store(db) as store:
        assert json.loads(result.output) == json.loads(json.dumps(store.lineage(DEMO_ROOT, 1)))
        up = json.loads(run("lineage", FEATURES, "--store", db, "--format", "json", "--direction", "up").output)
        assert up == json.loads(json.dumps(store.upstream(FEATURES)))
    assert set(json.loads(result.output)) == documented_keys("lineage")


def test_lineage_text_and_dot(db: str) -> None:
    text = run("lineage", DEMO_ROOT, "--store", db).output
    assert text.index("job:nbgov-demo:train_churn_model") < text.index("job:nbgov-demo:clean_customers")
    assert "dataset:file:/data/raw/customers.csv" in text and "8 nodes, 7 edges" in text
    dot = run("lineage", DEMO_ROOT, "--store", db, "--format", "dot").output
    assert dot.startswith("digraph lineage {") and dot.rstrip().endswith("}")
    assert '"job:nbgov-demo:build_features" -> "dataset:postgres://db.example.com:5432:analytics.public.customer_features"' in dot
    down = run("lineage", "job:nbgov-demo:build_features", "--store", db, "--direction", "down", "--depth", "0").output
    assert "customers.csv" not in down and "customer_features" in down


def test_column_lineage(db: str) -> None:
    field = FEATURES.replace("dataset:", "datasetField:") + ":total_spend"
    result = run("column-lineage", field, "--store", db, "--format", "json")
    graph = json.loads(result.output)
    assert set(graph) == documented_keys("column-lineage")
    node = next(n for n in graph["graph"] if n["id"] == field)
    assert [(f["dataset"], f["field"]) for f in node["data"]["inputFields"]] == [("/data/raw/orders.csv", "amount")]
    text = run("column-lineage", field, "--store", db).output
    assert "<- datasetField:file:/data/raw/orders.csv:amount  AGGREGATION (SUM(amount))" in text
    dot = run("column-lineage", FEATURES, "--store", db, "--format", "dot").output
    assert f'"datasetField:file:/data/raw/orders.csv:amount" -> "{field}"' in dot
    down = json.loads(run("column-lineage", "datasetField:file:/data/raw/customers.csv:signup_date",
                          "--downstream", "--store", db, "--format", "json").output)
    assert FEATURES.replace("dataset:", "datasetField:") + ":tenure_days" in {n["id"] for n in down["graph"]}


@pytest.mark.parametrize("args", [
    ["lineage", "dataset:x:y"],
    ["column-lineage", "datasetField:x:y:z"],
    ["runs", "job:nbgov-demo:nope"],
])
def test_unknown_node_is_one_line_exit_1(db: str, args: list[str]) -> None:
    result = CliRunner().invoke(cli, [*args, "--store", db])
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr.startswith("Error: node not found: ")
    assert len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.output


def test_malformed_node_id_and_bad_store_are_one_line(tmp_path: Path) -> None:
    bad_id = CliRunner().invoke(cli, ["lineage", "table:x", "--store", str(tmp_path / "s.db")])
    assert bad_id.exit_code == 1 and bad_id.stderr.count("\n") == 1 and "invalid node id" in bad_id.stderr
    # PostgreSQL that cannot be reached (nothing listens on port 1): one line, password masked
    pg = CliRunner().invoke(cli, ["datasets", "--store", "postgresql://me:s3cret@127.0.0.1:1/db"])
    assert pg.exit_code == 1 and pg.stderr.startswith("Error: ")
    assert len(pg.stderr.strip().splitlines()) == 1 and "s3cret" not in pg.output
    scheme = CliRunner().invoke(cli, ["jobs", "--store", "mysql://x/y"])
    assert scheme.exit_code == 1 and "unsupported store" in scheme.stderr
    missing = CliRunner().invoke(cli, ["import", str(tmp_path / "nope.ndjson"), "--store", str(tmp_path / "s.db")])
    assert missing.exit_code == 2 and "Traceback" not in missing.output


# -------------------------------------------------------------------------- catalog
def test_catalog_commands_text_and_json(db: str) -> None:
    ds = json.loads(run("datasets", "--store", db, "--format", "json").output)
    assert set(ds) == documented_keys("datasets") and ds["totalCount"] == 5
    assert [d["name"] for d in ds["datasets"]][:2] == ["/data/raw/customers.csv", "/data/raw/orders.csv"]
    only_pg = json.loads(run("datasets", "--store", db, "--format", "json", "--namespace",
                             "postgres://db.example.com:5432").output)
    assert only_pg["totalCount"] == 2
    table = run("datasets", "--store", db).output.splitlines()
    assert table[0].split() == ["NAMESPACE", "NAME", "FIELDS", "UPDATED"] and len(table) == 2 + 5

    jobs = json.loads(run("jobs", "--store", db, "--format", "json").output)
    assert set(jobs) == documented_keys("jobs") and jobs["totalCount"] == 4
    assert "train_churn_model" in run("jobs", "--store", db).output

    for spelling in ("job:nbgov-demo:train_churn_model", "nbgov-demo:train_churn_model"):
        runs = json.loads(run("runs", spelling, "--store", db, "--format", "json").output)
        assert set(runs) == documented_keys("runs")
        assert [r["state"] for r in runs["runs"]] == ["COMPLETED", "FAILED"]
    assert "FAILED" in run("runs", "nbgov-demo:train_churn_model", "--store", db).output
    wrong = CliRunner().invoke(cli, ["runs", FEATURES, "--store", db])
    assert wrong.exit_code == 2

    found = json.loads(run("search", "CUSTOMER", "--store", db, "--format", "json").output)
    assert set(found) == documented_keys("search")
    assert FEATURES in {r["nodeId"] for r in found["results"]}
    assert "job:nbgov-demo:clean_customers" in run("search", "clean", "--store", db).output


# --------------------------------------------------------------- flush and doctor
def test_flush_delivers_queued_events_to_a_real_http_backend(tmp_path: Path, httpserver, monkeypatch) -> None:
    httpserver.expect_request("/api/v1/lineage", method="POST").respond_with_data("", status=201)
    store = str(tmp_path / "s.db")
    assert run("import", str(sample_events_path()), "--store", store, "--emit").exit_code == 0

    nothing = CliRunner().invoke(cli, ["flush", "--store", store, "--format", "json"])
    assert nothing.exit_code == 1  # no backend configured: the events stay queued
    assert json.loads(nothing.stdout)["pending"] == 10

    with socket.socket() as probe:  # a loopback port nobody listens on: the backend is down
        probe.bind(("127.0.0.1", 0))
        down = probe.getsockname()[1]
    down_env = {"OPENLINEAGE__TRANSPORT__TYPE": "http", "OPENLINEAGE__TRANSPORT__URL": f"http://127.0.0.1:{down}",
                "OPENLINEAGE__TRANSPORT__RETRY": '{"total": 0}'}  # the client's own retries would take ~10 s
    failing = CliRunner(env=down_env).invoke(cli, ["flush", "--store", store])
    assert failing.exit_code == 1
    assert "delivered 0, failed 1, pending 10" in failing.stdout and "Connection refused" in failing.stderr

    monkeypatch.setenv("OPENLINEAGE_URL", httpserver.url_for("/").rstrip("/"))
    result = CliRunner().invoke(cli, ["flush", "--store", store, "--format", "json"])
    assert result.exit_code == 0, result.output
    outcome = json.loads(result.stdout)
    assert set(outcome) == documented_keys("flush")
    assert (outcome["delivered"], outcome["pending"]) == (10, 0)
    accepted = [json.loads(req.get_data()) for req, resp in httpserver.log if resp.status_code == 201]

    def key(e: dict) -> tuple:
        return e["run"]["runId"], e["eventType"], e["eventTime"]

    assert sorted(map(key, accepted)) == sorted(map(key, SAMPLE))  # each event once
    assert "delivered 0, failed 0, pending 0" in run("flush", "--store", store).output


def test_import_without_emit_queues_nothing(db: str) -> None:
    with open_store(db) as store:
        assert store.outbox_stats()["pending"] == 0


def test_doctor(db: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NBGOV_STORE", db)
    result = CliRunner().invoke(cli, ["doctor"])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert all(re.match(r"^(OK|WARN|FAIL)\s+\w+\s+", line) for line in lines)
    names = [line.split()[1] for line in lines]
    assert names == ["store", "counts", "outbox", "config", "transport", "schemas"]
    assert "10 events" in result.stdout and "NBGOV_STORE=" in result.stdout

    report = json.loads(CliRunner().invoke(cli, ["doctor", "--format", "json"]).stdout)
    assert set(report) == documented_keys("doctor") and report["ok"] is True
    assert {c["status"] for c in report["checks"]} <= {"OK", "WARN"}

    monkeypatch.setenv("OPENLINEAGE_URL", "https://user:hunter2@lineage.example.com:5000")
    monkeypatch.setenv("OPENLINEAGE_API_KEY", "sk-very-secret")
    shown = CliRunner().invoke(cli, ["doctor", "--store", "postgresql://me:s3cret@127.0.0.1:1/db"])
    assert shown.exit_code == 1
    assert re.search(r"^FAIL\s+store", shown.stdout, re.M)
    for secret in ("s3cret", "hunter2", "sk-very-secret"):
        assert secret not in shown.output


# -------------------------------------------------------------- help and the docs
def test_every_command_has_help_and_is_documented() -> None:
    documented = documented_commands()
    assert set(cli.commands) == set(documented)
    for name, command in cli.commands.items():
        result = run(name, "--help")
        assert result.exit_code == 0 and result.output.startswith(f"Usage: cli {name}")
        options = {opt for p in command.params if isinstance(p, click.Option) for opt in p.opts}
        assert "--store" in options, name
        section = documented[name]
        for opt in options - {"--help"}:
            assert opt in section or opt.lstrip("-") in section, f"{name} {opt} not in docs/cli.md"
        if any(p.name == "fmt" for p in command.params):
            assert "JSON keys:" in section, name


# ------------------------------------------------------------------------- demo
def test_demo_writes_store_and_self_contained_report(tmp_path: Path) -> None:
    result = run("demo")
    assert result.exit_code == 0, result.output
    assert "job:nbgov-demo:train_churn_model" in result.output
    store_path = tmp_path / ".nbgov" / "demo" / "lineage.db"
    report = tmp_path / ".nbgov" / "demo" / "report.html"
    assert store_path.is_file() and report.is_file()
    assert str(store_path.relative_to(tmp_path)) in result.output and "report.html" in result.output
    page = report.read_text("utf-8")
    assert page.startswith("<!DOCTYPE html>")
    # the graph is drawn in the browser by the packaged WebAssembly Graphviz, inlined as it is …
    engine = re.findall(r'<script id="nbgov-viz-engine">(.*?)</script>', page, re.DOTALL)
    assert engine == [inline_script(ENGINE_FILE.read_text("utf-8"))], "the packaged engine is not inlined"
    assert 'data-nbgov-drawing="engine"' in page and "dot` not found" not in result.output
    # … and nothing else in the page loads or runs anything from anywhere
    rest = page.replace(f'<script id="nbgov-viz-engine">{engine[0]}</script>', "")
    assert re.findall(r"<script\b[^>]*>", rest) == ['<script id="nbgov-draw">']
    assert not re.search(r"<link|<img|<iframe|@import|url\(", rest, re.IGNORECASE)
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", rest, re.IGNORECASE)
    assert set(re.findall(r"https?://([^/\s\"'`\\)]+)", engine[0])) <= {"www.w3.org", "www.graphviz.org",
                                                                        "libexpat.github.io"}
    for expected in ("total_spend", "DECIMAL(12,2)", "FAILED", "ValueError: Input contains NaN",
                     "dataset:file:/data/raw/orders.csv"):
        assert expected in rest
    again = run("demo")
    assert "0 events stored, 10 already there" in again.output


def test_demo_report_draws_its_graph_with_the_network_off(tmp_path: Path) -> None:
    from tests.browser.offline import open_offline

    assert run("demo").exit_code == 0
    drawn = open_offline(tmp_path / ".nbgov" / "demo" / "report.html")
    assert drawn.node_titles == [{
        "dataset:file:/data/raw/customers.csv", "dataset:file:/data/raw/orders.csv",
        "dataset:postgres://db.example.com:5432:analytics.public.customers_clean", FEATURES,
        "dataset:file:/models/churn_model.pkl", "job:nbgov-demo:clean_customers", "job:nbgov-demo:build_features",
        "job:nbgov-demo:train_churn_model",
    }]
    assert drawn.node_ids == drawn.node_titles  # ordinary node ids are their own element ids
    assert [url for url in drawn.requests if not url.startswith("file://")] == []


def test_html_report_and_dot_escape_hostile_names() -> None:
    evil = 'x"]; evil [label="<script>alert(1)</script>\\'
    graph = {"graph": [
        {"id": f"dataset:ns:{evil}", "type": "DATASET", "data": {"namespace": "ns", "name": evil, "fields": []},
         "inEdges": [], "outEdges": [{"origin": f"dataset:ns:{evil}", "destination": "job:ns:j"}]},
        {"id": "job:ns:j", "type": "JOB", "data": {"namespace": "ns", "name": "j"},
         "inEdges": [{"origin": f"dataset:ns:{evil}", "destination": "job:ns:j"}], "outEdges": []},
    ]}
    dot = render.lineage_dot(graph, "job:ns:j")
    # outside DOT's quoted strings nothing of the hostile name is left
    bare = re.sub(r'"(?:[^"\\]|\\.)*"', "ID", dot)
    assert "evil" not in bare and "script" not in bare
    assert bare.count("ID -> ID") == 1
    assert '"dataset:ns:x\\"]; evil [label=\\"<script>alert(1)</script>\\\\"' in dot
    page = render.html_report(title="<t>", datasets=[{"namespace": "ns", "name": evil,
                                                       "fields": [{"name": "<b>", "type": "&"}]}],
                              jobs=[], runs={}, graph=graph, root="job:ns:j")
    assert "<script>" not in page and "&lt;script&gt;" in page and "<b>" not in page
    assert "<title>&lt;t&gt;</title>" in page


# ------------------------------------------------------------- a real process
def test_console_script_in_a_real_process(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NBGOV_", "OPENLINEAGE"))}
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    script = Path(sys.executable).parent / "nbgov"
    command = [str(script)] if script.exists() else [sys.executable, "-m", "nbgov"]
    store = str(tmp_path / "p.db")
    done = subprocess.run([*command, "import", "-", "--store", store, "--format", "json"],
                          input=sample_events_path().read_bytes(), capture_output=True, env=env, timeout=120)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["stored"] == 10
    missing = subprocess.run([sys.executable, "-m", "nbgov", "lineage", "dataset:x:y", "--store", store],
                             capture_output=True, text=True, env=env, timeout=120)
    assert missing.returncode == 1
    assert missing.stderr == "Error: node not found: dataset:x:y\n"
    out = subprocess.run([sys.executable, "-m", "nbgov", "export", "--store", store],
                         capture_output=True, text=True, env=env, timeout=120)
    assert [json.loads(line) for line in out.stdout.splitlines()] == SAMPLE
