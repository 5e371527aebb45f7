"""Issue 7 in real kernels: a model trained on a join of two files (one with an email
column) gets a model card listing both files, the email's PII tag on the feature and the
metrics; ``nbgov check`` fails on it naming the rule and the path from the PII column to
the model, and passes after the notebook variant that hashes the email (and an approval).
Then ``pytest --nbval`` with the nbgov plugin fails the cell that breaks the policy."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.spec import assert_spec_valid

nbclient = pytest.importorskip("nbclient")
nbformat = pytest.importorskip("nbformat")
np = pytest.importorskip("numpy")
pd = pytest.importorskip("pandas")
pytest.importorskip("sklearn")

NOTEBOOK = Path(__file__).resolve().parents[1] / "notebooks" / "model_card_pipeline.ipynb"


def _run(work: Path, mask: bool) -> object:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("NBGOV_", "OPENLINEAGE", "JPY_SESSION", "MASK_EMAIL"))}
    env.update({"NBGOV_STORE": str(work / "lineage.db"), "NBGOV_NOTEBOOK": "model_card_pipeline.ipynb",
                "NBGOV_EMIT": "0", "MASK_EMAIL": "1" if mask else "0"})
    nb = nbformat.read(NOTEBOOK, as_version=4)
    old = dict(os.environ)
    os.environ.clear()
    os.environ.update(env)  # the kernel inherits this process's environment
    try:
        nbclient.NotebookClient(nb, kernel_name="python3", timeout=120,
                                resources={"metadata": {"path": str(work)}}).execute()
    finally:
        os.environ.clear()
        os.environ.update(old)
    return nb


def _card(nb) -> dict:
    cell = next(c for c in nb.cells if c.cell_type == "code" and "model_card(model)" in c.source)
    return json.loads("".join(o.get("text", "") for o in cell.outputs))


@pytest.fixture(scope="module")
def work(tmp_path_factory: pytest.TempPathFactory) -> Path:
    work = tmp_path_factory.mktemp("models")
    n = 40
    rng = np.random.default_rng(0)
    pd.DataFrame({"customer_id": range(n), "email": [f"user{i}@example.com" for i in range(n)],
                  "age": rng.integers(20, 70, n), "churned": rng.integers(0, 2, n)}).to_csv(
        work / "customers.csv", index=False)
    pd.DataFrame({"customer_id": range(n), "amount": rng.random(n) * 100}).to_csv(work / "orders.csv", index=False)
    return work


def check(work: Path, *args: str):
    from nbgov.cli import cli

    return CliRunner().invoke(cli, ["check", "--store", str(work / "lineage.db"), *args], catch_exceptions=False)


def test_card_check_mask_and_approve(work: Path) -> None:
    nb = _run(work, mask=False)
    assert not any(o.output_type == "error" for c in nb.cells for o in c.get("outputs", []))
    assert "suppressed internal errors: none" in "".join(o.get("text", "") for o in nb.cells[-1].outputs)
    card = _card(nb)
    sources = {d["name"] for d in card["data_lineage"]["training_data"] if d["source"]}
    assert sources == {str(work / "customers.csv"), str(work / "orders.csv")}
    features = card["data_lineage"]["features"]
    assert features["feature_names"] == ["email", "age", "amount"] and features["pii_features"] == ["email"]
    email = features["details"][0]
    assert ("pii", "EMAIL_ADDRESS") in {(t["key"], t["value"]) for t in email["tags"]}
    assert card["data_lineage"]["labels"]["column"] == "churned"
    metrics = card["evaluation"]["metrics"]
    assert set(metrics) == {"accuracy", "f1", "holdout_auc"} and metrics["holdout_auc"] == 0.71
    assert card["evaluation"]["sources"]["accuracy"] == "sklearn.metrics.accuracy_score"
    assert card["governance"]["owner"] == "team:risk" and card["model_details"]["training_rows"] == 40

    failed = check(work)
    assert failed.exit_code == 1
    assert "FAIL  pii-flow" in failed.output
    model_email = "datasetField:model://notebook:model_card_pipeline.ipynb/model:email"
    path_line = next(line for line in failed.output.splitlines() if line.strip().startswith("path:")
                     and line.rstrip().endswith(model_email))
    assert "datasetField:dataframe://notebook:model_card_pipeline.ipynb/customers:email -> " in path_line

    masked = _run(work, mask=True)
    assert _card(masked)["data_lineage"]["features"]["pii_features"] == []
    from nbgov.cli import cli

    approved = CliRunner().invoke(cli, ["approve", "model", "--by", "user:ana", "--next-review", "2999-01-01",
                                        "--store", str(work / "lineage.db")])
    assert approved.exit_code == 0, approved.output
    passed = check(work, "--notebook", str(NOTEBOOK))
    assert passed.exit_code == 0, passed.output
    from nbgov.store import open_store

    with open_store(str(work / "lineage.db")) as store:
        assert_spec_valid(list(store.events()))


def test_nbval_fails_the_cell_that_breaks_the_policy(tmp_path: Path) -> None:
    pytest.importorskip("nbval")
    cells = [
        "import pandas as pd\nfrom sklearn.linear_model import LinearRegression",
        "people = pd.DataFrame({'email': [f'p{i}@example.org' for i in range(30)], 'n': range(30)})",
        ("X = people.assign(email=people['email'].str.len())\n"
        "model = LinearRegression().fit(X[['email']], X['n'])"),
    ]
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells])
    nbformat.write(nb, tmp_path / "train.ipynb")
    (tmp_path / "policy.yaml").write_text("rules:\n  output-owner: false\n  model-card: false\n", "utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NBGOV_", "OPENLINEAGE", "JPY_SESSION"))}
    env.update({"NBGOV_NOTEBOOK": "train.ipynb", "NBGOV_EMIT": "0"})
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "nbgov.pytest_plugin", "--nbval-lax", "-p", "no:cacheprovider",
         "--nbgov-policy", "policy.yaml", "--nbgov-store", str(tmp_path / "lineage.db"), "train.ipynb",
         "-q", "-o", "addopts=", "--rootdir", str(tmp_path)],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=240, check=False,
    )
    out = done.stdout + done.stderr
    assert done.returncode == 1, out
    assert "1 failed, 2 passed" in out
    assert "PolicyViolationError" in out and "pii-flow" in out and "model://notebook:train.ipynb/model:email" in out


# ------------------------------------------------------------------ in-process
def test_on_violation_ignore_warn_raise_in_process(shell, monkeypatch: pytest.MonkeyPatch) -> None:
    """The same cell under each on_violation: ignore says nothing, warn warns once, raise fails the cell."""
    from nbgov.governance.policy import PolicyViolationError, PolicyViolationWarning

    shell.run_cell("%load_ext nbgov")
    shell.run_cell("import pandas as pd\nfrom sklearn.linear_model import LinearRegression\n"
                   "people = pd.DataFrame({'email': [f'p{i}@example.org' for i in range(30)], 'n': range(30)})")
    fit = "X = people.assign(email=people['email'].str.len())\nm = LinearRegression().fit(X[['email']], X['n'])"
    assert shell.run_cell(fit).success  # default: ignore
    shell.run_cell("%config Nbgov.on_violation = 'warn'")
    with pytest.warns(PolicyViolationWarning, match="pii-flow") as caught:
        warned = shell.run_cell(fit.replace("m =", "m2 ="))
        assert warned.success
    # located at the cell that broke the policy, not at nbgov's own hook
    assert [w.filename for w in caught] == [f"<cell In[{warned.execution_count}]>"]
    shell.run_cell("%config Nbgov.on_violation = 'raise'")
    result = shell.run_cell(fit.replace("m =", "m3 ="))
    assert not result.success and isinstance(result.error_in_exec, PolicyViolationError)
    assert "m3:email" in str(result.error_in_exec) and result.error_in_exec.report.failed_rules
    again = shell.run_cell(fit.replace("m =", "m3 ="))  # the same violations are reported once
    assert again.success
    status = shell.run_cell("get_ipython().find_magic('nbgov').__self__.status()").result
    assert status["errors"] == {}
