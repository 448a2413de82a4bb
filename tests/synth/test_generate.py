"""Generation: deterministic, idempotent, and clear about bad output directories."""

from __future__ import annotations

import filecmp
import json
from pathlib import Path

import numpy as np

from strg.synth import SynthOptions, generate_dataset
from strg.synth.generate import BOXES_FILE, LABELS_FILE, SUBSET_FILES, split_sizes
from tests.conftest import run_command
from tests.synth.test_dataset_files import decode

ANNOTATION_FILES = [LABELS_FILE, BOXES_FILE, *SUBSET_FILES.values()]


def test_same_seed_gives_identical_files_and_frames_whatever_the_worker_count(
    tmp_path: Path,
) -> None:
    options = SynthOptions(videos_per_class=1, seed=5)
    generate_dataset(tmp_path / "one", options, workers=1, progress=False)
    generate_dataset(tmp_path / "two", options, workers=2, progress=False)
    for name in ANNOTATION_FILES:
        assert filecmp.cmp(tmp_path / "one" / name, tmp_path / "two" / name, shallow=False), name
    videos = sorted((tmp_path / "one" / "videos").glob("*.webm"))
    assert len(videos) == 14
    for video in videos:
        np.testing.assert_array_equal(
            decode(video), decode(tmp_path / "two" / "videos" / video.name)
        )


def test_another_seed_gives_other_clips(tmp_path: Path) -> None:
    generate_dataset(tmp_path / "a", SynthOptions(videos_per_class=1, seed=1), progress=False)
    generate_dataset(tmp_path / "b", SynthOptions(videos_per_class=1, seed=2), progress=False)
    boxes_a = json.loads((tmp_path / "a" / BOXES_FILE).read_text())
    boxes_b = json.loads((tmp_path / "b" / BOXES_FILE).read_text())
    assert boxes_a != boxes_b


def test_split_sizes() -> None:
    assert split_sizes(30, 0.2, 0.1) == (21, 6, 3)
    assert split_sizes(1, 0.2, 0.1) == (1, 0, 0)
    assert split_sizes(2, 0.2, 0.1) == (1, 1, 0)
    assert split_sizes(3, 0.2, 0.34) == (1, 1, 1)


def test_rerun_with_same_options_does_nothing_and_other_options_are_refused(tmp_path: Path) -> None:
    out = tmp_path / "data set with spaces"
    args = [
        "-m",
        "strg.synth",
        "--out",
        str(out),
        "--videos-per-class",
        "1",
        "--seed",
        "3",
        "--quiet",
    ]
    first = run_command(args)
    assert first.returncode == 0, first.stderr
    stamps = {path: path.stat().st_mtime_ns for path in out.rglob("*") if path.is_file()}
    again = run_command(args)
    assert again.returncode == 0 and "nothing to do" in again.stdout
    assert {path: path.stat().st_mtime_ns for path in out.rglob("*") if path.is_file()} == stamps
    other = run_command(
        ["-m", "strg.synth", "--out", str(out), "--videos-per-class", "1", "--seed", "4"]
    )
    assert other.returncode == 2
    assert str(out) in other.stderr and "--overwrite" in other.stderr
    assert {path: path.stat().st_mtime_ns for path in out.rglob("*") if path.is_file()} == stamps

    lost = next((out / "videos").glob("*.webm"))
    lost_frames = decode(lost)
    lost.unlink()
    repaired = run_command(args)
    assert repaired.returncode == 0 and "wrote" in repaired.stdout
    np.testing.assert_array_equal(decode(lost), lost_frames)


def test_an_output_directory_that_cannot_be_created_is_named(tmp_path: Path) -> None:
    blocker = tmp_path / "a file"
    blocker.write_text("not a directory")
    result = run_command(
        ["-m", "strg.synth", "--out", str(blocker / "out"), "--videos-per-class", "1"]
    )
    assert result.returncode == 2
    assert str(blocker / "out") in result.stderr
    assert blocker.read_text() == "not a directory"


def test_bad_options_are_refused_with_the_flag_named(tmp_path: Path) -> None:
    result = run_command(["-m", "strg.synth", "--out", str(tmp_path), "--videos-per-class", "0"])
    assert result.returncode == 2 and "--videos-per-class" in result.stderr
