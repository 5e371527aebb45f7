"""Reference profiles stored in the store, and drift between stored versions (both backends)."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from jsonschema import Draft202012Validator
from referencing import Registry, Resource

from nbgov.emit.events import dataset, run_event, to_dict
from nbgov.errors import NodeNotFoundError
from nbgov.governance import (
    PROFILE_FACET,
    DatasetProfile,
    ProfileNotFoundError,
    StoredProfile,
    VersionNotFoundError,
    compare,
    version_drift,
    profile,
    profile_facet,
    record_profile,
    stored_profile,
    version_profiles,
)
from nbgov.governance.profiles import PROFILE_SCHEMA_URL
from tests.spec import assert_spec_valid

NS, NAME = "file", "/data/sales.csv"
NODE = f"dataset:{NS}:{NAME}"
SCHEMA_FILE = (
    Path(__file__).resolve().parents[2] / "nbgov" / "governance" / "schemas" / "NbgovProfileDatasetFacet.json"
)
CORE = Path(__file__).resolve().parents[2] / "nbgov" / "schemas" / "2-0-2" / "OpenLineage.json"


def frame(n: int = 3000, seed: int = 1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "amount": rng.normal(100, 10, n),
            "region": rng.choice(["north", "south", "east"], n),
            "qty": rng.integers(1, 5, n),
            "note": np.where(rng.random(n) < 0.01, None, "ok"),
        }
    )


def write(store, df: pd.DataFrame, *, time: str, version: str | None = None) -> str:
    run_id = str(uuid.uuid4())
    facets = {}
    if version is not None:
        facets["version"] = {
            "_producer": "https://github.com/nbgov/nbgov/tree/main/tests",
            "_schemaURL": "https://openlineage.io/spec/facets/1-0-1/DatasetVersionDatasetFacet.json"
            "#/$defs/DatasetVersionDatasetFacet",
            "datasetVersion": version,
        }
    event = to_dict(
        run_event(
            "COMPLETE",
            job_namespace="nb",
            job_name="cell-sales",
            run_id=run_id,
            event_time=time,
            outputs=[
                dataset(
                    NS, NAME, fields=[(c, str(t)) for c, t in df.dtypes.items()], facets=facets, kind="output"
                )
            ],
        )
    )
    store.add_events([event])
    return run_id


def profile_events(store, run_id: str) -> list[dict]:
    return [
        e
        for e in store.events(run_id=run_id)
        if any(PROFILE_FACET in (o.get("facets") or {}) for o in e.get("outputs") or ())
    ]


def test_facet_schema_accepts_the_facet() -> None:
    schema = json.loads(SCHEMA_FILE.read_text("utf-8"))
    assert PROFILE_SCHEMA_URL == schema["$id"] + "#/$defs/NbgovProfileDatasetFacet"
    core = json.loads(CORE.read_text("utf-8"))
    registry = Registry().with_resources(
        [(core["$id"], Resource.from_contents(core)), (schema["$id"], Resource.from_contents(schema))]
    )
    validator = Draft202012Validator({"$ref": PROFILE_SCHEMA_URL}, registry=registry)
    facet = profile_facet(frame())
    # the facet goes through JSON as the store keeps it
    assert list(validator.iter_errors(json.loads(json.dumps(facet)))) == []
    assert list(validator.iter_errors({**facet, "rows": -1}))  # the schema can fail
    assert DatasetProfile.from_dict(facet) == profile(frame())


def test_drift_between_stored_versions(store) -> None:
    base = frame()
    r1 = write(store, base, time="2024-01-01T00:00:00Z")
    r2 = write(store, base.copy(), time="2024-01-02T00:00:00Z")
    changed = base.assign(amount=base["amount"] + 25.0, region=base["region"].replace("east", "west"))
    changed.loc[changed.index[:600], "note"] = None
    changed = changed.drop(columns=["qty"])
    r3 = write(store, changed, time="2024-01-03T00:00:00Z")
    stored = [
        record_profile(store, NS, NAME, df, run_id=r)
        for df, r in ((base, r1), (base.copy(), r2), (changed, r3))
    ]
    assert all(isinstance(s, StoredProfile) for s in stored)
    for r in (r1, r2, r3):
        (event,) = profile_events(store, r)
        assert_spec_valid(event)
        assert event["eventType"] == "OTHER"
    versions = {v["createdByRun"]: v["version"] for v in store.dataset_versions(NS, NAME)}
    assert len(store.dataset_versions(NS, NAME)) == 3  # profiles joined their versions, no new ones

    # default: previous vs latest
    report = version_drift(store, NODE)
    assert set(report.drifted_columns) == {"amount", "region", "note"}
    assert [(c.type, c.column) for c in report.schema_changes] == [("SCHEMA_REMOVAL", "qty")]
    assert report.to_dict()["columns"]["region"]["new_categories"] == ["west"]
    # the same as comparing the data itself
    assert report.to_dict() == compare(base, changed).to_dict()
    # identical data: no drift at all
    same = version_drift(store, NODE, from_version=versions[r1], to_version=versions[r2])
    assert not same.has_drift and same.drifted_columns == () and same.schema_changes == ()
    ref, cur = version_profiles(store, NODE)
    assert (ref.version, cur.version, ref.run_id, cur.run_id) == (versions[r2], versions[r3], r2, r3)
    assert stored_profile(store, NS, NAME).version == versions[r3]
    assert stored_profile(store, NS, NAME, versions[r1]).profile == profile(base)


def test_recording_keeps_run_state_and_latest_run(store) -> None:
    r1 = write(store, frame(), time="2024-01-01T00:00:00Z")
    r2 = write(store, frame(seed=2), time="2024-01-02T00:00:00Z")
    record_profile(store, NS, NAME, frame(), run_id=r1)  # late, for the older run
    job = store.job("nb", "cell-sales")
    assert job["latestRun"]["id"] == r2
    assert store.run(r1)["state"] == "COMPLETED"
    # default target: the latest version
    assert record_profile(store, NS, NAME, frame(seed=2)).run_id == r2
    assert store.run(r2)["state"] == "COMPLETED"


def test_profile_joins_a_version_named_by_a_version_facet(store) -> None:
    """Capture names versions by fingerprint (the `version` facet): the profile must join it."""
    run_id = write(store, frame(), time="2024-01-01T00:00:00Z", version="fp-0001")
    record_profile(store, NS, NAME, profile(frame()), run_id=run_id)
    (only,) = store.dataset_versions(NS, NAME)
    assert only["version"] == "fp-0001" and PROFILE_FACET in only["facets"]
    assert stored_profile(store, NS, NAME, "fp-0001").profile == profile(frame())


def test_errors_say_what_to_do(store) -> None:
    with pytest.raises(NodeNotFoundError):
        version_drift(store, "dataset:file:/nope.csv")
    r1 = write(store, frame(), time="2024-01-01T00:00:00Z")
    with pytest.raises(ProfileNotFoundError, match="record_profile"):
        version_drift(store, NODE)
    record_profile(store, NS, NAME, frame(), run_id=r1)
    with pytest.raises(ProfileNotFoundError, match="older than"):
        version_drift(store, NODE)  # one profiled version: nothing to compare with
    r2 = write(store, frame(), time="2024-01-02T00:00:00Z")
    v2 = next(v["version"] for v in store.dataset_versions(NS, NAME) if v["createdByRun"] == r2)
    with pytest.raises(ProfileNotFoundError, match=f"version {v2}"):
        version_drift(store, NODE, to_version=v2)
    with pytest.raises(VersionNotFoundError, match="no version nope"):
        version_drift(store, NODE, from_version="nope")
    with pytest.raises(VersionNotFoundError):
        stored_profile(store, NS, NAME, "nope")
    with pytest.raises(NodeNotFoundError):
        record_profile(store, NS, NAME, frame(), run_id=str(uuid.uuid4()))


def test_dataset_level_profile_for_a_dataset_no_run_wrote(store) -> None:
    """A source dataset (only ever read) gets its profile on a DatasetEvent."""
    event = to_dict(
        run_event(
            "COMPLETE",
            job_namespace="nb",
            job_name="reader",
            inputs=[dataset(NS, "/data/source.csv", kind="input")],
        )
    )
    store.add_events([event])
    got = record_profile(store, NS, "/data/source.csv", frame())
    assert got.version is None
    (stored_event,) = [e for e in store.events() if "dataset" in e and "run" not in e]
    assert_spec_valid(stored_event)
    assert stored_profile(store, NS, "/data/source.csv").profile == profile(frame())
    with pytest.raises(ProfileNotFoundError):
        version_drift(store, f"dataset:{NS}:/data/source.csv")


def test_stored_profiles_keep_no_raw_pii_and_still_see_drift(store) -> None:
    emails = [f"user{i}@example.com" for i in range(20)]
    base = pd.DataFrame({"email": emails * 50, "region": ["north", "south"] * 500})
    r1 = write(store, base, time="2024-02-01T00:00:00Z")
    changed = base.assign(email=[f"other{i}@example.org" for i in range(20)] * 50)
    r2 = write(store, changed, time="2024-02-02T00:00:00Z")
    record_profile(store, NS, NAME, base, run_id=r1)
    record_profile(store, NS, NAME, changed, run_id=r2)
    stored = json.dumps(list(store.events()))
    assert "@example.com" not in stored and "@example.org" not in stored
    assert "north" in stored  # ordinary categories stay readable
    report = version_drift(store, NODE)
    assert "email" in report.drifted_columns and "region" not in report.drifted_columns
    new = report.to_dict()["columns"]["email"]["new_categories"]
    assert len(new) == 20 and not any("@" in c for c in new)  # reported as hashes
