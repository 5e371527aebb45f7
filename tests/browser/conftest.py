"""A real JupyterLab and a real headless Chromium for the front-end tests.

``lab`` starts ``jupyter lab`` on 127.0.0.1 with a random token, a temporary root
directory and private config/data/settings directories (the news popup switched off);
``browser`` is a Chromium (Debian's ``/usr/bin/chromium``, driven by Python Playwright)
with the flags this machine needs. ``lab`` is started once per session and shared by every
module (starting JupyterLab is the slow part; a module that runs kernels shuts them down
with :meth:`Lab.shutdown_kernels`, since other modules check that none run). ``browser``
is module-scoped: ``tests/browser/offline.py`` starts its own Playwright, which cannot run
beside another in the same thread. Without Chromium, Playwright or JupyterLab the tests
skip — except in CI (``CI=true``), where they fail.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import in_ci

ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]


def unavailable(reason: str) -> None:
    """Skip the test, or fail it in CI where the browser tests must run."""
    if in_ci():
        pytest.fail(reason, pytrace=False)
    pytest.skip(reason)


def chromium_path() -> str | None:
    for candidate in (os.environ.get("NBGOV_TEST_CHROMIUM"), shutil.which("chromium"), "/usr/bin/chromium"):
        if candidate and Path(candidate).is_file() and os.access(candidate, os.X_OK):
            return candidate
    return None


def chromium_and_playwright() -> tuple[str, Any]:
    """The Chromium executable and Playwright's ``sync_playwright``; skips the test (fails it
    in CI) when either is missing."""
    executable = chromium_path()
    if executable is None:
        unavailable("Chromium is not installed (apt-get install chromium chromium-driver)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as exc:
        unavailable(f"Playwright is not installed: {exc}")
    return executable, sync_playwright


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Lab:
    """A running JupyterLab: its base URL, token and root directory."""

    url: str
    token: str
    root: Path
    log: Path

    def page_url(self, notebook: str) -> str:
        return f"{self.url}/lab/tree/{notebook}?reset&token={self.token}"

    def api(self, path: str, method: str = "GET") -> Any:
        request = urllib.request.Request(f"{self.url}{path}", method=method,
                                         headers={"Authorization": f"token {self.token}"})
        with urllib.request.urlopen(request, timeout=10) as response:
            body = response.read()
        return json.loads(body) if body else None

    def shutdown_kernels(self) -> None:
        """End every session and kernel on the server (and wait until none is listed)."""
        for session in self.api("/api/sessions"):
            self.api(f"/api/sessions/{session['id']}", "DELETE")
        for kernel in self.api("/api/kernels"):
            self.api(f"/api/kernels/{kernel['id']}", "DELETE")
        deadline = time.monotonic() + 20
        while self.api("/api/kernels") and time.monotonic() < deadline:
            time.sleep(0.2)


@pytest.fixture(scope="session")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    try:
        import jupyterlab  # noqa: F401
    except ImportError as exc:
        unavailable(f"JupyterLab is not installed: {exc}")
    home = tmp_path_factory.mktemp("lab")
    root = home / "root"
    settings = home / "settings" / "@jupyterlab" / "apputils-extension"
    root.mkdir()
    settings.mkdir(parents=True)
    (settings / "notification.jupyterlab-settings").write_text(
        json.dumps({"fetchNews": "false", "checkForUpdates": False})
    )
    env = dict(os.environ)
    env.update(
        JUPYTER_CONFIG_DIR=str(home / "config"),
        JUPYTER_DATA_DIR=str(home / "data"),
        JUPYTER_RUNTIME_DIR=str(home / "runtime"),
        JUPYTERLAB_SETTINGS_DIR=str(home / "settings"),
        JUPYTERLAB_WORKSPACES_DIR=str(home / "workspaces"),
        JUPYTER_PLATFORM_DIRS="1",
    )
    token = secrets.token_hex(16)
    port = free_port()
    log = home / "lab.log"
    cmd = [
        sys.executable, "-m", "jupyterlab", "--no-browser", "--allow-root",
        "--ip", "127.0.0.1", "--port", str(port), "--port-retries=0",
        f"--ServerApp.token={token}", f"--ServerApp.root_dir={root}",
        "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
    ]
    with log.open("wb") as out:
        process = subprocess.Popen(cmd, env=env, stdout=out, stderr=subprocess.STDOUT, cwd=root)
    server = Lab(url=f"http://127.0.0.1:{port}", token=token, root=root, log=log)
    try:
        deadline = time.monotonic() + 90
        while True:
            if process.poll() is not None:
                pytest.fail(f"jupyter lab exited with {process.returncode}:\n{log.read_text()[-3000:]}")
            try:
                server.api("/api/status")
                break
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                if time.monotonic() > deadline:
                    pytest.fail(f"jupyter lab did not answer within 90 s:\n{log.read_text()[-3000:]}")
                time.sleep(0.3)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """A Playwright persistent Chromium context (one per module)."""
    executable, sync_playwright = chromium_and_playwright()
    ARTIFACTS.mkdir(exist_ok=True)
    manager = sync_playwright().start()
    try:
        context = manager.chromium.launch_persistent_context(
            str(tmp_path_factory.mktemp("chromium")),
            executable_path=executable,
            headless=True,
            args=CHROMIUM_FLAGS,
            viewport={"width": 1400, "height": 900},
        )
        context.set_default_timeout(30_000)
        yield context
        context.close()
    finally:
        manager.stop()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    """A fresh tab; every JavaScript dialog it opens is recorded (and dismissed) in ``page.dialogs``."""
    tab = browser.new_page()
    tab.dialogs = []  # type: ignore[attr-defined]

    def on_dialog(dialog: Any) -> None:
        tab.dialogs.append(dialog.message)  # type: ignore[attr-defined]
        dialog.dismiss()

    tab.on("dialog", on_dialog)
    yield tab
    tab.close()
