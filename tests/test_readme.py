"""The README's Quick start is the project's contract: two commands, CI runs the second."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def quick_start_blocks() -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = re.search(r"^## Quick start\n(.*?)(?=^## )", text, re.S | re.M)
    assert section, "README has no '## Quick start' section"
    return [b.strip() for b in re.findall(r"```bash\n(.*?)```", section.group(1), re.S)]


def test_quick_start_has_exactly_two_bash_commands():
    blocks = quick_start_blocks()
    assert len(blocks) == 2, blocks
    for block in blocks:
        assert len(block.splitlines()) == 1, f"one command per block: {block!r}"


def test_first_command_installs_and_runs_the_main_job():
    first = quick_start_blocks()[0]
    assert "pip install" in first and "nbgov" in first.split("&&")[-1]


def test_ci_runs_the_readme_test_command_verbatim():
    second = quick_start_blocks()[1]
    assert "pytest" in second
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    commands = [line for line in ci.splitlines() if "-m pytest" in line and not line.lstrip().startswith("#")]
    assert commands and all(line.startswith(second) for line in commands), (
        "the test command in .ci/run must be the README's second command, verbatim"
    )
