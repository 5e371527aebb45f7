"""``nbgov impact``, ``nbgov drift`` and ``nbgov owner`` through click's runner, on both backends.

The commands are registered on a fresh group of the main group's class (the one that
turns nbgov errors into one ``Error:`` line), so these tests do not depend on the main
group having registered them.
"""

from __future__ import annotations

import json
import uuid

import click
import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from nbgov.cli import NbgovGroup
from nbgov.cli_impact import register
from nbgov.emit.events import dataset, run_event, to_dict
from nbgov.governance import record_profile, set_owners
from tests.governance.test_impact import lineage
from tests.spec import assert_spec_valid


@click.group(cls=NbgovGroup)
def group() -> None:
    """Test group."""


register(group)

SALES = "dataset:file:/data/sales.csv"


def invoke(*args: str) -> click.testing.Result:
    return CliRunner().invoke(group, list(args), catch_exceptions=False)


def write(store, job: str, inputs, outputs, *, time: str, fields=None, facets=None) -> str:
    run_id = str(uuid.uuid4())
    event = to_dict(
        run_event(
            "COMPLETE",
            job_namespace="nb",
            job_name=job,
            run_id=run_id,
            event_time=time,
            inputs=[dataset("file", n, kind="input") for n in inputs],
            outputs=[dataset("file", n, fields=fields, facets=facets, kind="output") for n in outputs],
        )
    )
    store.add_events([event])
    return run_id


@pytest.fixture
def pipeline(store):
    write(
        store,
        "clean",
        ["/raw.csv"],
        ["/clean.csv"],
        time="2024-01-01T00:00:00Z",
        fields=[("a", "int")],
        facets={"columnLineage": lineage({"a": [("file", "/raw.csv", "a", "IDENTITY")]})},
    )
    write(store, "train", ["/clean.csv"], ["/model.pkl"], time="2024-01-01T01:00:00Z")
    set_owners(store, "dataset:file:/model.pkl", ["team:ml"])
    return store


def test_impact_text_and_json(pipeline, store_url) -> None:
    text = invoke("impact", "dataset:file:/raw.csv", "--store", store_url)
    assert text.exit_code == 0, text.output
    assert text.output.splitlines()[0] == (
        "Impact of dataset:file:/raw.csv: 2 datasets (file 1, model 1), 2 jobs, 2 runs, 1 owners"
    )
    assert "  model  dataset:file:/model.pkl  owners: team:ml" in text.output
    assert "  team:ml  (dataset:file:/model.pkl)" in text.output
    out = invoke("impact", "dataset:file:/raw.csv", "--format", "json", "--store", store_url)
    d = json.loads(out.output)
    assert list(d) == ["node", "summary", "datasets", "jobs", "runs", "owners", "columns", "notes"]
    assert [x["id"] for x in d["datasets"]["model"]] == ["dataset:file:/model.pkl"]
    col = json.loads(
        invoke("impact", "datasetField:file:/raw.csv:a", "--format", "json", "--store", store_url).output
    )
    assert [c["id"] for c in col["columns"]["direct"]] == ["datasetField:file:/clean.csv:a"]
    assert [x["id"] for x in col["datasets"]["file"]] == ["dataset:file:/clean.csv"]


def test_impact_unknown_node_is_one_line(pipeline, store_url) -> None:
    missing = invoke("impact", "dataset:file:/nope.csv", "--store", store_url)
    assert missing.exit_code == 1
    assert missing.stderr == "Error: node not found: dataset:file:/nope.csv\n"
    bad = invoke("impact", "table:x:y", "--store", store_url)
    assert (
        bad.exit_code == 1 and bad.stderr.count("\n") == 1 and bad.stderr.startswith("Error: invalid node id")
    )


def frame(shift: float = 0.0) -> pd.DataFrame:
    rng = np.random.default_rng(3)
    return pd.DataFrame({"amount": rng.normal(50, 5, 2000) + shift, "kind": rng.choice(["a", "b"], 2000)})


def test_drift_between_stored_versions(store, store_url) -> None:
    runs = [write(store, "sales", [], ["/data/sales.csv"], time=f"2024-01-0{i}T00:00:00Z") for i in (1, 2, 3)]
    for run_id, df in zip(runs, (frame(), frame(), frame(10.0))):
        record_profile(store, "file", "/data/sales.csv", df, run_id=run_id)
    versions = {v["createdByRun"]: v["version"] for v in store.dataset_versions("file", "/data/sales.csv")}
    drifted = invoke("drift", SALES, "--format", "json", "--store", store_url)
    assert drifted.exit_code == 0, drifted.output
    d = json.loads(drifted.output)
    assert list(d) == ["dataset", "reference", "current", "summary", "schema_changes", "columns"]
    assert d["reference"]["version"] == versions[runs[1]] and d["current"]["run_id"] == runs[2]
    assert d["summary"]["has_drift"] is True and d["columns"]["amount"]["drifted"] is True
    assert d["columns"]["kind"]["drifted"] is False
    same = invoke(
        "drift",
        "file:/data/sales.csv",
        "--from",
        versions[runs[0]],
        "--to",
        versions[runs[1]],
        "--store",
        store_url,
    )
    assert same.exit_code == 0 and same.output.rstrip().endswith("no drift")
    assert same.output.startswith(f"{SALES}: version {versions[runs[0]]} (")
    text = invoke("drift", SALES, "--store", store_url)
    assert text.exit_code == 0 and "DRIFT amount" in text.output
    # errors: one line, exit 1, saying what to do
    unknown = invoke("drift", SALES, "--from", "v-nope", "--store", store_url)
    assert unknown.exit_code == 1 and unknown.stderr.startswith(f"Error: {SALES} has no version v-nope")
    assert unknown.stderr.count("\n") == 1
    write(store, "other", [], ["/data/other.csv"], time="2024-01-01T00:00:00Z")
    none = invoke("drift", "dataset:file:/data/other.csv", "--store", store_url)
    assert none.exit_code == 1 and "record_profile" in none.stderr and none.stderr.count("\n") == 1
    missing = invoke("drift", "dataset:file:/nope.csv", "--store", store_url)
    assert missing.exit_code == 1 and missing.stderr == "Error: node not found: dataset:file:/nope.csv\n"
    assert invoke("drift", "job:nb:sales", "--store", store_url).exit_code == 2


def test_owner_show_add_remove(pipeline, store_url) -> None:
    shown = invoke("owner", "job:nb:train", "--store", store_url)
    assert shown.exit_code == 0 and shown.output == "job:nb:train\n  owners: (none)\n"
    added = invoke(
        "owner",
        "job:nb:train",
        "--add",
        "team:ml",
        "--add",
        "user:ada",
        "--description",
        "Trains the churn model",
        "--format",
        "json",
        "--store",
        store_url,
    )
    assert added.exit_code == 0, added.output
    assert json.loads(added.output) == {
        "node": "job:nb:train",
        "owners": ["team:ml", "user:ada"],
        "description": "Trains the churn model",
    }
    removed = invoke("owner", "job:nb:train", "--remove", "user:ada", "--store", store_url)
    assert removed.output == "job:nb:train\n  owners: team:ml\n  description: Trains the churn model\n"
    bad = invoke("owner", "job:nb:train", "--add", "ada", "--store", store_url)
    assert bad.exit_code == 1
    assert bad.stderr == "Error: invalid owner 'ada': owners are written team:NAME or user:NAME\n"
    assert invoke("owner", "job:nb:nope", "--add", "team:x", "--store", store_url).exit_code == 1
    # every event the commands wrote is valid OpenLineage
    from nbgov.store import open_store

    with open_store(store_url) as s:
        assert_spec_valid([e for e in s.events() if "run" not in e])


@pytest.mark.parametrize("command", ["impact", "drift", "owner"])
def test_help(command) -> None:
    result = invoke(command, "--help")
    assert result.exit_code == 0 and "--store" in result.output and "--format" in result.output
