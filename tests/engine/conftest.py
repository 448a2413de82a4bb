"""Fixtures for running main.py on the embedded data set."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import REPO_ROOT, run_command


@pytest.fixture(scope="session")
def proposal_store(synth_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The session data set's Something-Else boxes in a proposal store (import_boxes)."""
    store = tmp_path_factory.mktemp("store") / "boxes"
    boxes = synth_dir / "bounding_box_smthsmth.json"
    videos = synth_dir / "videos"
    result = run_command(
        ["-m", "util_scripts.import_boxes", str(boxes), str(store), "--video_dir", str(videos)]
    )
    assert result.returncode == 0, result.stderr
    return store


@pytest.fixture(scope="session")
def annotation_json(
    synth_dir: Path, frames_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> Path:
    """The session data set's annotation JSON (14 classes; 1 train, 1 val, 1 test video each)."""
    path = tmp_path_factory.mktemp("annotation") / "sthv2.json"
    result = run_command(
        ["-m", "util_scripts.sthv2_json", str(synth_dir), str(frames_dir), str(path)]
    )
    assert result.returncode == 0, result.stderr
    return path


def tiny_run(frames_dir: Path, annotation: Path, result: Path, *extra: str) -> list[str]:
    """main.py arguments of a small, fast run: r3d-10 on 4×32² clips, no loader workers."""
    return [
        str(REPO_ROOT / "main.py"),
        "--video_path", str(frames_dir),
        "--annotation_path", str(annotation),
        "--result_path", str(result),
        "--dataset", "somethingv2",
        "--n_classes", "14",
        "--model", "resnet",
        "--model_depth", "10",
        "--sample_size", "32",
        "--sample_duration", "4",
        "--n_val_samples", "1",
        "--n_threads", "0",
        "--learning_rate", "0.01",
        "--batch_size", "7",  # the 14 training videos: two full batches
        *extra,
    ]  # fmt: skip
