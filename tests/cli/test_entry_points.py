"""Every tool runs as `python -m util_scripts.X`, as `python util_scripts/X.py`, and via `strg`."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from strg.cli import COMMANDS
from tests.conftest import REPO_ROOT, run_command

SCRIPTS = sorted(
    path.stem for path in (REPO_ROOT / "util_scripts").glob("*.py") if path.stem != "__init__"
)


@pytest.mark.parametrize("script", SCRIPTS)
def test_util_script_runs_as_module_and_as_file(script: str, tmp_path: Path) -> None:
    as_module = run_command(["-m", f"util_scripts.{script}", "--help"])
    as_file = run_command(
        [str(REPO_ROOT / "util_scripts" / f"{script}.py"), "--help"], cwd=tmp_path
    )
    assert as_module.returncode == 0 and as_module.stdout.startswith("usage:"), as_module.stderr
    assert as_file.returncode == 0 and as_file.stdout.startswith("usage:"), as_file.stderr


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_strg_console_script_dispatches(command: str) -> None:
    strg = Path(sys.executable).with_name("strg")
    result = subprocess.run(
        [str(strg), command, "--help"], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0 and result.stdout.startswith("usage:"), result.stderr


def test_strg_rejects_an_unknown_command_listing_the_valid_ones() -> None:
    result = run_command(["-m", "strg.cli", "trian"])
    assert result.returncode == 2
    assert "trian" in result.stderr and "synth" in result.stderr
