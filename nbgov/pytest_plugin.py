"""A pytest plugin: run notebooks under ``pytest --nbval`` with nbgov loaded and fail on policy violations.

Enable it with ``-p nbgov.pytest_plugin`` (or ``pytest_plugins = ["nbgov.pytest_plugin"]``
in a ``conftest.py``) and give a policy::

    pytest -p nbgov.pytest_plugin --nbval --nbgov-policy policy.yaml notebooks/

With ``--nbgov-policy FILE``, every Jupyter kernel started by the test run (nbval's, and
nbclient's or papermill's in the same process) loads nbgov at start-up and checks the
policy after each cell that records lineage, with ``on_violation = raise``: a cell whose
lineage breaks a rule fails with a short ``PolicyViolationError`` naming the rule, the
node and the path — so nbval reports that cell as failed. ``--nbgov-store LOCATION``
sets the store the kernels write (default: ``$NBGOV_STORE``, else ``.nbgov/lineage.db``
in each notebook's folder).

How: kernels inherit the test process's environment, so the plugin sets
``NBGOV_ON_VIOLATION=raise``, ``NBGOV_POLICY`` and ``IPYTHONDIR`` — a temporary IPython
directory whose ``ipython_kernel_config.py`` lists nbgov among the kernel's extensions —
and restores them when the run ends. The temporary ``IPYTHONDIR`` hides your own IPython
profile from those kernels; put what they need in the notebooks themselves.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

__all__ = ["pytest_addoption", "pytest_configure", "pytest_unconfigure"]

_SAVED = "_nbgov_saved_env"
_CONFIG = 'c.InteractiveShellApp.extensions = ["nbgov"]\n'


def pytest_addoption(parser: Any) -> None:
    group = parser.getgroup("nbgov", "nbgov: lineage and the governance policy in notebook tests")
    group.addoption("--nbgov-policy", metavar="FILE", default=None,
                    help="Load nbgov in every kernel and fail a cell that violates this policy (YAML).")
    group.addoption("--nbgov-store", metavar="LOCATION", default=None,
                    help="The lineage store the kernels write [default: $NBGOV_STORE].")


def pytest_configure(config: Any) -> None:
    policy = config.getoption("nbgov_policy", default=None)
    if not policy:
        return
    from nbgov.governance.policy import load_policy

    path = os.path.abspath(policy)
    load_policy(path)  # a broken policy stops the run here, with its file and line
    ipython_dir = tempfile.mkdtemp(prefix="nbgov-ipython-")
    profile = Path(ipython_dir) / "profile_default"
    profile.mkdir(parents=True)
    (profile / "ipython_kernel_config.py").write_text(_CONFIG, encoding="utf-8")
    wanted = {"IPYTHONDIR": ipython_dir, "NBGOV_ON_VIOLATION": "raise", "NBGOV_POLICY": path}
    store = config.getoption("nbgov_store", default=None)
    if store:
        wanted["NBGOV_STORE"] = store
    setattr(config, _SAVED, ({k: os.environ.get(k) for k in wanted}, ipython_dir))
    os.environ.update(wanted)


def pytest_unconfigure(config: Any) -> None:
    saved = getattr(config, _SAVED, None)
    if saved is None:
        return
    env, ipython_dir = saved
    for key, value in env.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value
    shutil.rmtree(ipython_dir, ignore_errors=True)
