"""Batch scans over real files under tmp_path: finding, sampled reading, classifying, recording.

Store-backed tests run on both backends; the privacy test reads every text column of
every nbgov_* table and looks for the raw values of the test data.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from nbgov.errors import ConfigError
from nbgov.governance.scan import (
    FileReadError,
    ScanError,
    find_files,
    load_custom_identifiers,
    read_sample,
    scan_files,
)
from nbgov.governance.tags import CLASSIFIER_SOURCE, PII_FACET, effective_tags
from nbgov.governance.taxonomy import Taxonomy
from tests.spec import assert_spec_valid

EMAILS = ["ann.lee@example.com", "bob.ray@example.org", "cy.moss@example.net", "dee.fox@example.com"]
SSNS = ["536-22-1234", "401-12-3456", "123-45-6780", "219-33-4455"]
CUSTS = ["CUST-AB12CD34", "CUST-ZZ99YY88", "CUST-QW12ER34", "CUST-PO09IU87"]


def people(n: int = 40) -> pd.DataFrame:
    return pd.DataFrame({
        "email": [EMAILS[i % 4] for i in range(n)],
        "ssn": [SSNS[i % 4] for i in range(n)],
        "customer": [CUSTS[i % 4] for i in range(n)],
        "qty": list(range(n)),
    })


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """data/: people.csv, sub/people.parquet, logs/people.jsonl, plain.json, bad.csv, bad.parquet,
    notes.txt (not data), .hidden/people.csv (skipped)."""
    root = tmp_path / "data"
    (root / "sub").mkdir(parents=True)
    (root / "logs").mkdir()
    (root / ".hidden").mkdir()
    people().to_csv(root / "people.csv", index=False)
    people().to_parquet(root / "sub" / "people.parquet")
    (root / "logs" / "people.jsonl").write_text("".join(json.dumps(r) + "\n" for r in people().to_dict("records")))
    (root / "plain.json").write_text(json.dumps([{"qty": i, "note": "ok"} for i in range(5)]))
    (root / "bad.csv").write_text("a,b,c\n1,2,3\n4,5,6,7,8\n")
    (root / "bad.parquet").write_bytes(b"PAR1 definitely not parquet")
    (root / "notes.txt").write_text("ann.lee@example.com")
    people().to_csv(root / ".hidden" / "people.csv", index=False)
    return root


# ---------------------------------------------------------------------- finding
def test_find_files_walks_folders_by_suffix_and_skips_hidden(folder: Path) -> None:
    files, skipped = find_files([folder])
    assert [p.relative_to(folder).as_posix() for p in files] == [
        "bad.csv", "bad.parquet", "logs/people.jsonl", "people.csv", "plain.json", "sub/people.parquet"]
    assert skipped == 0 and all(p.is_absolute() for p in files)
    direct, _ = find_files([folder / "people.csv", folder / "people.csv", folder / "notes.txt"])
    assert direct == [folder / "people.csv"]
    with pytest.raises(ScanError, match="no such file"):
        find_files([folder / "absent"])


def test_include_prefixes_are_relative_to_each_path(folder: Path) -> None:
    files, _ = find_files([folder], include=["sub/", "logs"])
    assert [p.name for p in files] == ["people.jsonl", "people.parquet"]
    files, _ = find_files([folder / "sub", folder], include=["people"])
    assert [p.relative_to(folder).as_posix() for p in files] == ["people.csv", "sub/people.parquet"]
    assert find_files([folder], include=["./people.csv"])[0] == [folder / "people.csv"]


def test_sampling_percentage_picks_a_repeatable_share_of_files(tmp_path: Path) -> None:
    for i in range(20):
        (tmp_path / f"f{i:02}.csv").write_text("a\n1\n")
    chosen, skipped = find_files([tmp_path], sampling_percentage=25)
    assert len(chosen) == 5 and skipped == 15
    assert find_files([tmp_path], sampling_percentage=25)[0] == chosen
    assert find_files([tmp_path], sampling_percentage=25, seed=1)[0] != chosen
    assert len(find_files([tmp_path], sampling_percentage=0.1)[0]) == 1  # at least one
    for bad in (0, -5, 100.5):
        with pytest.raises(ScanError, match="sampling percentage"):
            find_files([tmp_path], sampling_percentage=bad)


# ---------------------------------------------------------------------- reading
def test_small_files_are_read_whole_with_types(folder: Path) -> None:
    frame, complete, fields = read_sample(folder / "people.csv")
    assert complete and len(frame) == 40
    assert fields == [("email", "string"), ("ssn", "string"), ("customer", "string"), ("qty", "integer")]
    frame, complete, fields = read_sample(folder / "sub" / "people.parquet")
    assert complete and len(frame) == 40 and dict(fields)["qty"] == "int64"
    frame, complete, fields = read_sample(folder / "logs" / "people.jsonl")
    assert complete and frame["email"].tolist() == people()["email"].tolist() and dict(fields)["qty"] == "integer"
    frame, complete, _ = read_sample(folder / "plain.json")
    assert complete and frame.columns.tolist() == ["qty", "note"]


def test_big_csv_is_sampled_head_plus_seeded_blocks(tmp_path: Path) -> None:
    path = tmp_path / "big.csv"
    pd.DataFrame({"id": range(20_000), "email": [EMAILS[i % 4] for i in range(20_000)]}).to_csv(path, index=False)
    frame, complete, _ = read_sample(path, max_rows=1000)
    ids = frame["id"].astype(int)
    assert not complete and len(frame) == 1000
    assert ids.iloc[:500].tolist() == list(range(500))  # the first half is the top of the file
    assert ids.iloc[500:].min() >= 500 and ids.max() > 10_000  # the rest comes from further down
    again, _, _ = read_sample(path, max_rows=1000)
    other, _, _ = read_sample(path, max_rows=1000, seed=7)
    assert again.equals(frame) and not other.equals(frame)


def test_csv_dialects_and_quoted_newlines(tmp_path: Path) -> None:
    semi = tmp_path / "semi.csv"
    semi.write_text("name;mail\nAnn;ann@example.com\nBob;bob@example.org\n")
    assert read_sample(semi)[0].columns.tolist() == ["name", "mail"]
    tsv = tmp_path / "t.tsv"
    tsv.write_text("a\tb\n1\t2\n")
    assert read_sample(tsv)[0].columns.tolist() == ["a", "b"]
    quoted = tmp_path / "q.csv"
    quoted.write_text('id,address\n1,"221B Baker Street\nLondon"\n2,"x"\n')
    frame, complete, _ = read_sample(quoted)
    assert complete and frame["address"].tolist() == ["221B Baker Street\nLondon", "x"]
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    assert read_sample(empty)[0].empty


def test_big_jsonl_and_parquet_are_sampled(tmp_path: Path) -> None:
    rows = [{"id": i, "user": {"email": EMAILS[i % 4], "tags": ["a", "b"]}} for i in range(5000)]
    jsonl = tmp_path / "big.jsonl"
    jsonl.write_text("".join(json.dumps(r) + "\n" for r in rows))
    frame, complete, _ = read_sample(jsonl, max_rows=400)
    assert not complete and len(frame) == 400
    assert frame.columns.tolist() == ["id", "user.email", "user.tags"]  # nested objects flattened
    assert frame["user.tags"].iloc[0] == '["a", "b"]'
    assert frame["id"].iloc[:200].tolist() == list(range(200)) and frame["id"].max() > 2500
    as_json = tmp_path / "array.json"
    as_json.write_text(json.dumps(rows))
    frame, complete, _ = read_sample(as_json, max_rows=400)
    assert not complete and len(frame) == 400 and frame["id"].max() > 2500
    lines_named_json = tmp_path / "lines.json"
    lines_named_json.write_text(jsonl.read_text())
    assert len(read_sample(lines_named_json, max_rows=400)[0]) == 400

    parquet = tmp_path / "big.parquet"
    pd.DataFrame({"id": range(10_000), "email": [EMAILS[i % 4] for i in range(10_000)]}).to_parquet(
        parquet, row_group_size=1000)
    frame, complete, fields = read_sample(parquet, max_rows=800)
    assert not complete and len(frame) == 800 and [f for f, _ in fields] == ["id", "email"]
    assert frame["id"].iloc[:400].tolist() == list(range(400)) and frame["id"].max() >= 1000
    single = tmp_path / "single.parquet"
    pd.DataFrame({"id": range(3000)}).to_parquet(single, row_group_size=5000)
    assert read_sample(single, max_rows=800)[0]["id"].tolist() == list(range(800))
    nested = tmp_path / "nested.parquet"
    pd.DataFrame({"user": [{"email": e, "age": 3} for e in EMAILS]}).to_parquet(nested)
    assert read_sample(nested)[0].columns.tolist() == ["user.age", "user.email"] or \
        read_sample(nested)[0].columns.tolist() == ["user.email", "user.age"]


@pytest.mark.parametrize(
    ("name", "content", "line", "words"),
    [
        ("bad.csv", "a,b,c\n1,2,3\n4,5,6,7,8\n", 3, "malformed CSV: expected 3 fields, saw 5"),
        ("bad.jsonl", '{"a": 1}\n\n{"a": \n', 3, "invalid JSON, column 1: Expecting value"),
        ("bad.json", '[{"a": 1},\n {"a": }]', 2, "invalid JSON, column 8"),
        ("bad.parquet", "PAR1 nope", None, "not a readable Parquet file: Parquet magic bytes not found"),
    ],
)
def test_corrupt_files_say_what_and_where(tmp_path: Path, name: str, content: str, line: int | None,
                                          words: str) -> None:
    path = tmp_path / name
    path.write_text(content)
    with pytest.raises(FileReadError) as info:
        read_sample(path)
    assert info.value.line == line and info.value.path == str(path)
    assert str(info.value).startswith(f"{path}:{line}: " if line else f"{path}: ") and words in str(info.value)
    assert "\n" not in str(info.value)


def test_read_sample_rejects_unknown_formats_and_tiny_limits(folder: Path) -> None:
    with pytest.raises(ScanError, match="unknown format"):
        read_sample(folder / "notes.txt")
    with pytest.raises(ScanError, match="max_rows"):
        read_sample(folder / "people.csv", max_rows=1)


# ------------------------------------------------------------ custom identifiers
def test_custom_identifier_files(tmp_path: Path) -> None:
    spec = [{"name": "CUST_ID", "regex": "CUST-[A-Z0-9]{8}", "keywords": ["customer"]}]
    as_yaml = tmp_path / "custom.yaml"
    as_yaml.write_text("- name: CUST_ID\n  regex: CUST-[A-Z0-9]{8}\n  keywords: [customer]\n")
    as_json = tmp_path / "custom.json"
    as_json.write_text(json.dumps({"custom_identifiers": spec}))
    assert load_custom_identifiers(as_yaml) == load_custom_identifiers(as_json)
    assert load_custom_identifiers(as_yaml)[0].keywords == ("customer",)
    broken = tmp_path / "broken.yaml"
    broken.write_text("- name: X\n  regex: [unclosed\n")
    with pytest.raises(ConfigError, match=rf"^{broken}:3: invalid YAML"):
        load_custom_identifiers(broken)
    bad_json = tmp_path / "bad.json"
    bad_json.write_text('[{"name": "X",\n "regex": }]')
    with pytest.raises(ConfigError, match=rf"^{bad_json}:2: invalid JSON"):
        load_custom_identifiers(bad_json)
    bad_regex = tmp_path / "regex.yaml"
    bad_regex.write_text("- name: X\n  regex: '('\n")
    with pytest.raises(ConfigError, match=r"custom\[0\]\.regex: invalid regex"):
        load_custom_identifiers(bad_regex)
    dupes = tmp_path / "dupes.yaml"
    dupes.write_text("- {name: X, regex: a}\n- {name: X, regex: b}\n")
    with pytest.raises(ConfigError, match="unique"):
        load_custom_identifiers(dupes)


# --------------------------------------------------------------------- scanning
def text_cells(raw_sql, backend: str) -> list[str]:
    """Every text value of every nbgov_* table of the store."""
    if backend == "sqlite":
        tables = [r[0] for r in raw_sql("SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE 'nbgov_%'")]
        columns = [(t, r[1]) for t in tables for r in raw_sql(f"PRAGMA table_info({t})")]
    else:
        columns = raw_sql("SELECT table_name, column_name FROM information_schema.columns"
                          " WHERE table_schema = current_schema() AND table_name LIKE 'nbgov_%'")
    cells = []
    for table, column in columns:
        cells += [v for (v,) in raw_sql(f'SELECT "{column}" FROM {table}') if isinstance(v, str)]
    return cells


def test_scan_records_tags_and_no_raw_value_lands_in_the_store(folder: Path, store, raw_sql, backend) -> None:
    custom = [{"name": "CUST_ID", "regex": "CUST-[A-Z0-9]{8}", "keywords": ["customer"]}]
    taxonomy = Taxonomy.from_mapping({"info_types": {"CUST_ID": "PII.Sensitive"}})
    seen: list[tuple[str, int, int]] = []
    report = scan_files([folder], store=store, custom=custom, taxonomy=taxonomy,
                  on_file=lambda f, i, n: seen.append((Path(f.path).name, i, n)))
    assert [s[1:] for s in seen] == [(i, 6) for i in range(6)]
    assert [Path(f.path).name for f in report.failed] == ["bad.csv", "bad.parquet"]
    assert not report.ok and report.recorded and report.skipped == 0
    by_name = {Path(f.path).relative_to(folder).as_posix(): f for f in report.files}
    for rel in ("people.csv", "sub/people.parquet", "logs/people.jsonl"):
        f = by_name[rel]
        assert f.pii_columns == ("email", "ssn", "customer"), rel
        assert f.info_types == ("EMAIL_ADDRESS", "US_SOCIAL_SECURITY_NUMBER", "CUST_ID")
        assert (f.namespace, f.name) == ("file", f.path) and f.rows_sampled == 40
    assert by_name["plain.json"].pii_columns == ()

    events = list(store.events())
    assert len(events) == 4  # one DatasetEvent per file read
    assert_spec_valid(events)
    csv_path = str(folder / "people.csv")
    data = store.dataset("file", csv_path)
    assert {f["name"]: f["tags"] for f in data["fields"]} == {
        "email": ["pii:EMAIL_ADDRESS", "policy_tag:PII"],
        "ssn": ["pii:US_SOCIAL_SECURITY_NUMBER", "policy_tag:PII.Sensitive"],
        "customer": ["pii:CUST_ID", "policy_tag:PII.Sensitive"],
        "qty": [],
    }
    assert data["facets"][PII_FACET]["taxonomy"] == "nbgov-default"  # an override extends the default
    own = effective_tags(store, f"datasetField:file:{csv_path}:customer")
    assert {(t.key, t.value, t.source) for t in own} == {("pii", "CUST_ID", CLASSIFIER_SOURCE),
                                                        ("policy_tag", "PII.Sensitive", CLASSIFIER_SOURCE)}

    cells = text_cells(raw_sql, backend)
    assert any("@e***" in c for c in cells)  # the masked examples are there (the reader works)
    leaked = {v for v in EMAILS + SSNS + CUSTS for c in cells if v in c}
    assert leaked == set()

    again = scan_files([folder], store=store, custom=custom, taxonomy=taxonomy)
    assert [f.info_types for f in again.files] == [f.info_types for f in report.files]
    assert store.dataset("file", csv_path)["fields"] == data["fields"]  # a rescan changes nothing


def test_scan_without_a_store_records_nothing(folder: Path) -> None:
    report = scan_files([folder], include=["people"], sampling_percentage=100, max_rows=10)
    assert [Path(f.path).name for f in report.files] == ["people.csv"]
    assert not report.recorded and report.files[0].rows_sampled == 10 and not report.files[0].complete
    assert report.to_frame().columns.tolist() == ["path", "format", "rows_sampled", "pii_columns", "info_types",
                                                  "error"]
    data = report.to_dict()
    assert set(data) == {"scanned", "failed", "skipped", "files_with_pii", "recorded", "files"}
    assert set(data["files"][0]) == {"path", "format", "namespace", "name", "rows_sampled", "complete", "columns",
                                     "pii_columns", "info_types", "findings", "error"}
    assert repr(report) == "ScanReport(1 files, 1 with PII, 0 failed, 0 skipped)"
