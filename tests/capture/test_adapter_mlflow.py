"""The MLflow adapter's pure parts (the integration itself runs in a real kernel against a
real tracking store: tests/magics/test_mlflow_kernel.py)."""

from __future__ import annotations

import sys

import pytest

from nbgov.capture.adapters import mlflow as adapter


@pytest.mark.parametrize(("uri", "shown"), [
    ("https://user:s3cret@mlflow.example.com:5000/api?token=abc#x", "https://mlflow.example.com:5000/api"),
    ("https://ghp_token@mlflow.example.com/", "https://mlflow.example.com/"),
    ("sqlite:////tmp/work/mlflow.db", "sqlite:////tmp/work/mlflow.db"),
    ("file:///tmp/mlruns", "file:///tmp/mlruns"),
    ("databricks://profile:prefix", "databricks://profile:prefix"),
    ("databricks", "databricks"),
    ("./mlruns", "./mlruns"),
])
def test_tracking_uris_lose_their_credentials(uri: str, shown: str) -> None:
    assert adapter.redact_uri(uri) == shown
    run = adapter.MlflowRun("r1", "0", uri)
    assert run.to_facet() == {"runId": "r1", "experimentId": "0", "trackingUri": shown}
    assert "s3cret" not in repr(run) and "ghp_token" not in repr(run)


def test_artifact_names_are_safe_paths() -> None:
    assert adapter.artifact_name("nb.ipynb/cell-ab12", "0190-1") == "nbgov/nb.ipynb_cell-ab12-0190-1.json"
    assert adapter.artifact_name("///", "r") == "nbgov/cell-r.json"


def test_no_run_without_mlflow_imported(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delitem(sys.modules, "mlflow", raising=False)
    assert adapter.active_run() is None
    assert adapter.patches() == []
