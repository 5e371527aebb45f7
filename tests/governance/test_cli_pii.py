"""``nbgov scan`` and ``nbgov tags`` on real files and a real store, through click's runner."""

from __future__ import annotations

import json
from pathlib import Path

import click
import pandas as pd
import pytest
from click.testing import CliRunner

from nbgov.cli import cli
from tests.spec import assert_spec_valid

EMAILS = ["ann.lee@example.com", "bob.ray@example.org", "cy.moss@example.net", "dee.fox@example.com"]


APP = cli  # the real `nbgov` group: cli.py registers these commands


def run(*args: str):
    return CliRunner().invoke(APP, list(args))


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    root = tmp_path / "lake"
    (root / "raw").mkdir(parents=True)
    (root / "curated").mkdir()
    frame = pd.DataFrame({"email": EMAILS * 5, "customer": [f"CUST-AB12CD3{i % 10}" for i in range(20)],
                          "qty": range(20)})
    frame.to_csv(root / "raw" / "people.csv", index=False)
    frame.to_parquet(root / "curated" / "people.parquet")
    (root / "raw" / "people.jsonl").write_text("".join(json.dumps(r) + "\n" for r in frame.to_dict("records")))
    (root / "raw" / "broken.jsonl").write_text('{"email": "x"}\n{oops}\n')
    (root / "curated" / "broken.parquet").write_bytes(b"garbage, not a Parquet file")
    return root


def test_scan_text_summary_failures_on_stderr_exit_1(folder: Path, tmp_path: Path) -> None:
    db = str(tmp_path / "s.db")
    result = run("scan", str(folder), "--store", db)
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        f"{folder / 'curated' / 'broken.parquet'}: not a readable Parquet file: Parquet magic bytes not found in footer",
        f"{folder / 'raw' / 'broken.jsonl'}:2: invalid JSON, column 2: Expecting property name enclosed in double quotes",
    ]
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["FILE", "FORMAT", "ROWS", "SAMPLED", "PII", "COLUMNS", "INFO", "TYPES"]
    row = next(line for line in lines if line.startswith(str(folder / "raw" / "people.csv")))
    assert row.split()[1:] == ["csv", "20", "email", "EMAIL_ADDRESS"]
    assert "failed" in next(line for line in lines if "broken.parquet" in line)
    assert lines[-1] == f"5 files scanned: 3 with PII, 2 failed; tags recorded in {db}"

    tags = run("tags", "--store", db, "--format", "json")
    assert tags.exit_code == 0, tags.output
    found = json.loads(tags.stdout)
    assert found["totalCount"] == len(found["tags"]) == 6  # email: pii + policy_tag, in 3 files
    assert {t["node"].rsplit(":", 1)[1] for t in found["tags"]} == {"email"}
    one = run("tags", f"datasetField:file:{folder / 'raw' / 'people.csv'}:email", "--store", db)
    assert one.exit_code == 0 and "pii" in one.stdout and "EMAIL_ADDRESS" in one.stdout


def test_scan_json_output_include_sampling_and_custom(folder: Path, tmp_path: Path) -> None:
    custom = tmp_path / "custom.yaml"
    custom.write_text("- name: CUST_ID\n  regex: CUST-[A-Z0-9]{8}\n  keywords: [customer]\n")
    db = str(tmp_path / "s.db")
    result = run("scan", str(folder), "--include", "raw/people", "--custom", str(custom), "--store", db,
                 "--format", "json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert set(data) == {"scanned", "failed", "skipped", "files_with_pii", "recorded", "files", "store"}
    assert (data["scanned"], data["failed"], data["skipped"], data["files_with_pii"]) == (2, 0, 0, 2)
    assert data["recorded"] is True and data["store"] == db
    assert [Path(f["path"]).name for f in data["files"]] == ["people.csv", "people.jsonl"]
    first = data["files"][0]
    assert first["info_types"] == ["EMAIL_ADDRESS", "CUST_ID"] and first["pii_columns"] == ["email", "customer"]
    assert first["columns"] == ["email", "customer", "qty"] and first["rows_sampled"] == 20
    assert {f["example"] for f in first["findings"]}.isdisjoint(EMAILS)
    assert result.stderr == ""  # no progress bar in json mode

    from nbgov.store import open_store

    with open_store(db) as store:
        events = list(store.events())
        assert len(events) == 2
        assert_spec_valid(events)

    sampled = run("scan", str(folder), "--sampling-percentage", "40", "--dry-run", "--format", "json")
    data = json.loads(sampled.stdout)
    assert data["scanned"] == 2 and data["skipped"] == 3 and data["recorded"] is False and data["store"] is None


def test_dry_run_records_nothing_and_progress_goes_to_stderr(folder: Path, tmp_path: Path) -> None:
    db = tmp_path / "s.db"
    result = run("scan", str(folder / "raw" / "people.csv"), "--dry-run", "--progress", "--store", str(db))
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[-1] == "1 files scanned: 1 with PII, 0 failed; nothing recorded (--dry-run)"
    assert "1/1" in result.stderr  # tqdm's bar (or the plain counter)
    assert not db.exists()


def test_usage_and_config_errors(folder: Path, tmp_path: Path) -> None:
    missing = run("scan", str(tmp_path / "absent"))
    assert missing.exit_code == 2
    bad = run("scan", str(folder), "--sampling-percentage", "0")
    assert bad.exit_code == 2
    broken = tmp_path / "custom.yaml"
    broken.write_text("- name: X\n  regex: [oops\n")
    result = run("scan", str(folder), "--custom", str(broken), "--dry-run")
    assert result.exit_code == 1
    assert result.stderr.startswith(f"Error: {broken}:3: invalid YAML") and len(result.stderr.splitlines()) == 1
    taxonomy = tmp_path / "tax.yaml"
    taxonomy.write_text("info_types:\n  EMAIL_ADDRESS: Nope\n")
    result = run("scan", str(folder), "--taxonomy", str(taxonomy), "--dry-run")
    assert result.exit_code == 1 and result.stderr.startswith(f"Error: {taxonomy}:2: EMAIL_ADDRESS maps to 'Nope'")
    unknown = run("tags", "dataset:nowhere:x", "--store", str(tmp_path / "s.db"))
    assert unknown.exit_code == 1 and unknown.stderr.strip() == "Error: node not found: dataset:nowhere:x"


@pytest.mark.parametrize("name", ["scan", "tags"])
def test_help_and_shared_options(name: str) -> None:
    assert name in cli.commands
    result = run(name, "--help")
    assert result.exit_code == 0 and result.output.startswith(f"Usage: cli {name}")
    options = {o for p in APP.commands[name].params if isinstance(p, click.Option) for o in p.opts}
    assert {"--store", "--format"} <= options
