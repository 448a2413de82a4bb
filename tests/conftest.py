"""Shared fixtures: a small embedded data set, generated once per test session."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from strg.synth import SynthOptions, generate_dataset

REPO_ROOT = Path(__file__).resolve().parents[1]
#: Videos per class of the session's data set: small, but every class is in train and validation.
VIDEOS_PER_CLASS = 3
#: One video per class in each of train, validation and test.
TEST_FRACTION = 0.34


def run_command(args: list[str], cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """Run a project command as a user would, with the repository importable; capture output."""
    environment = dict(os.environ)
    environment["PYTHONPATH"] = os.pathsep.join(
        filter(None, [str(REPO_ROOT), environment.get("PYTHONPATH")])
    )
    return subprocess.run(
        [sys.executable, *args],
        cwd=cwd or REPO_ROOT,
        env=environment,
        capture_output=True,
        text=True,
        check=False,
    )


@pytest.fixture(scope="session")
def synth_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An embedded data set with 3 videos per class, seed 7 (read-only for tests)."""
    out = tmp_path_factory.mktemp("synth") / "sthv2"
    options = SynthOptions(videos_per_class=VIDEOS_PER_CLASS, seed=7, test_fraction=TEST_FRACTION)
    generate_dataset(out, options, workers=2, progress=False)
    return out


@pytest.fixture(scope="session")
def frames_dir(synth_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Frames of the session's data set, extracted with vid2img_sthv2 (read-only for tests)."""
    out = tmp_path_factory.mktemp("frames") / "frames"
    result = run_command(
        ["-m", "util_scripts.vid2img_sthv2", str(synth_dir / "videos"), str(out), "--quiet"]
    )
    assert result.returncode == 0, result.stderr
    return out
