"""``--keep_classifier``: continue from a checkpoint with its own classifier, not a fresh one."""

from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import run_command
from tests.engine.conftest import tiny_run


def _scores(result: Path) -> dict[str, list]:
    return json.loads((result / "val.json").read_text())["results"]


def test_kept_classifier_predicts_as_the_checkpoint(
    frames_dir: Path, annotation_json: Path, tmp_path: Path
) -> None:
    stage1 = tmp_path / "stage1"
    trained = run_command(tiny_run(frames_dir, annotation_json, stage1, "--n_epochs", "1"))
    assert trained.returncode == 0, trained.stderr[-2000:]
    checkpoint = str(stage1 / "save_1.pth")
    infer = ["--no_train", "--no_val", "--inference"]
    runs = {
        "resumed": ["--resume_path", checkpoint],
        "kept": ["--pretrain_path", checkpoint, "--n_pretrain_classes", "14", "--keep_classifier"],
        "fresh": ["--pretrain_path", checkpoint, "--n_pretrain_classes", "14"],
    }
    for name, extra in runs.items():
        result = run_command(tiny_run(frames_dir, annotation_json, tmp_path / name, *infer, *extra))
        assert result.returncode == 0, (name, result.stderr[-2000:])
    resumed = _scores(tmp_path / "resumed")
    assert _scores(tmp_path / "kept") == resumed
    assert _scores(tmp_path / "fresh") != resumed  # the default puts a new classifier on


def test_keep_classifier_needs_the_same_classes(
    frames_dir: Path, annotation_json: Path, tmp_path: Path
) -> None:
    no_checkpoint = run_command(
        tiny_run(frames_dir, annotation_json, tmp_path / "a", "--keep_classifier")
    )
    assert no_checkpoint.returncode == 2
    assert "--keep_classifier needs --pretrain_path" in no_checkpoint.stderr
    other_classes = run_command(tiny_run(
        frames_dir, annotation_json, tmp_path / "b", "--keep_classifier",
        "--pretrain_path", str(tmp_path / "x.pth"), "--n_pretrain_classes", "400",
    ))  # fmt: skip
    assert other_classes.returncode == 2
    assert "--n_classes must be 400, got 14" in other_classes.stderr
