"""main.py on bad options and inputs, in-process: one error line naming the culprit, exit status
2, nothing written lost; the skips of --skip_missing counted and named."""

from __future__ import annotations

import errno
import json
import math
from pathlib import Path

import pytest
import torch

from strg.cli.main import main
from strg.config import FRAME_PATTERNS
from strg.data.builder import build_video_dataset
from strg.data.proposal_store import ProposalStore, ProposalStoreError, from_frame_lists
from strg.engine import checkpoint as checkpoint_module
from strg.engine.checkpoint import load_checkpoint
from strg.engine.epochs import _save
from strg.engine.errors import RunError
from tests.engine.bad_inputs import main_args, the_error_line, with_unreadable_video

NO_VAL = ["--n_epochs", "1", "--no_val"]


@pytest.mark.parametrize(
    ("extra", "flag"),
    [
        (["--learning_rate", "-0.1"], "--learning_rate must be a finite number >= 0, got -0.1"),
        (["--learning_rate", "nan"], "--learning_rate must be a finite number >= 0, got nan"),
        (["--weight_decay", "-0.001"], "--weight_decay must be a finite number >= 0"),
        (["--input_type", "flow", "--file_type", "hdf5", "--colorjitter"], "--colorjitter"),
    ],
)
def test_impossible_optimiser_and_input_values_are_refused(
    extra: list[str], flag: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(main_args(tmp_path, tmp_path / "a.json", tmp_path / "out", *extra))
    assert exit_info.value.code == 2
    assert flag in the_error_line(capsys.readouterr().err)
    assert not (tmp_path / "out").exists()


def test_n_classes_below_the_labels_is_refused_and_above_them_warned(
    frames_dir: Path, annotation_json: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = main_args(frames_dir, annotation_json, tmp_path / "a", *NO_VAL, "--n_classes", "10")
    below = main(args)
    line = the_error_line(capsys.readouterr().err)
    assert below == 2
    assert f"--n_classes 10, but {annotation_json} has 14 labels" in line
    assert not list((tmp_path / "a").glob("save_*.pth"))

    infer = ["--no_train", "--no_val", "--inference", "--output_topk", "0", "--n_classes", "16"]
    assert main(main_args(frames_dir, annotation_json, tmp_path / "b", *infer)) == 0
    warnings = [line for line in capsys.readouterr().err.splitlines() if "warning" in line]
    assert warnings == [
        f"warning: --n_classes 16 is more than the 14 labels of {annotation_json}; 2 output(s) "
        "will never be a target"
    ]
    labels = set(json.loads(annotation_json.read_text())["labels"])
    results = json.loads((tmp_path / "b" / "val.json").read_text())["results"]
    assert all({entry["label"] for entry in ranked} == labels for ranked in results.values())


def test_a_batch_larger_than_the_training_set_is_refused(
    frames_dir: Path, annotation_json: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status = main(main_args(frames_dir, annotation_json, tmp_path, *NO_VAL, "--batch_size", "20"))
    assert status == 2
    line = the_error_line(capsys.readouterr().err)
    assert "--batch_size 20 is larger than the 14 video(s) of the training subset" in line
    assert not list(tmp_path.glob("save_*.pth"))


def test_an_unwritable_result_path_is_named(
    frames_dir: Path, annotation_json: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # a checkpoint that records no architecture: the run gets as far as its result folder
    checkpoint = tmp_path / "x.pth"
    torch.save({"epoch": 1}, checkpoint)
    # /sys refuses writes even to root, who may write into any chmod-ed folder
    for result, resume in (
        (Path("/sys/kernel/strg-run"), []),
        (Path("/sys/kernel"), [str(checkpoint)]),
    ):
        extra = [*NO_VAL, *(["--resume_path", *resume] if resume else [])]
        assert main(main_args(frames_dir, annotation_json, result, *extra)) == 2
        line = the_error_line(capsys.readouterr().err)
        assert line.startswith(f"error: cannot write in --result_path {result}: "), line


def test_a_failed_checkpoint_write_keeps_the_earlier_ones(
    frames_dir: Path,
    annotation_json: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    real_save = torch.save
    calls = []

    def disk_full_at_the_second(obj, handle) -> None:
        calls.append(1)
        if len(calls) == 2:
            handle.write(b"half a checkpoint")
            raise OSError(errno.ENOSPC, "No space left on device")
        real_save(obj, handle)

    monkeypatch.setattr(checkpoint_module.torch, "save", disk_full_at_the_second)
    two_epochs = ["--n_epochs", "2", "--checkpoint", "1", "--batch_size", "7", "--no_val"]
    assert main(main_args(frames_dir, annotation_json, tmp_path, *two_epochs)) == 2
    line = the_error_line(capsys.readouterr().err)
    assert f"epoch 2: could not write {tmp_path / 'save_2.pth'}: No space left on device" in line
    assert "the earlier checkpoints are intact" in line
    assert load_checkpoint(tmp_path / "save_1.pth")["epoch"] == 1
    assert sorted(path.name for path in tmp_path.glob("*save*")) == ["save_1.pth"]  # no .tmp


def test_a_diverging_run_stops_at_the_nan_loss_without_a_checkpoint(
    frames_dir: Path, annotation_json: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    huge = ["--learning_rate", "1e38", "--batch_size", "2"]
    assert main(main_args(frames_dir, annotation_json, tmp_path, *NO_VAL, *huge)) == 2
    line = the_error_line(capsys.readouterr().err)
    assert "epoch 1, iteration " in line and "the training loss is nan" in line
    assert not list(tmp_path.glob("save_*.pth"))


def test_non_finite_weights_are_not_saved(tmp_path: Path) -> None:
    path = tmp_path / "save_3.pth"
    weights = {"fc.weight": torch.tensor([1.0, math.inf]), "steps": torch.tensor(3)}
    with pytest.raises(RunError, match=r"epoch 3: 1 weight tensor\(s\) are NaN or infinite"):
        _save(path, {"state_dict": weights}, 3)
    assert not path.exists()


def test_skips_under_skip_missing_are_counted_named_and_logged(
    frames_dir: Path, annotation_json: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    annotation, video_id, broken = with_unreadable_video(annotation_json, tmp_path, "training")
    without = main(main_args(frames_dir, annotation, tmp_path / "a", *NO_VAL, "--batch_size", "7"))
    assert without == 2
    assert str(broken) in the_error_line(capsys.readouterr().err)

    skip = [*NO_VAL, "--batch_size", "7", "--skip_missing"]
    assert main(main_args(frames_dir, annotation, tmp_path / "b", *skip)) == 0
    err = capsys.readouterr().err
    assert (
        "epoch 1 training: skipped 1 unreadable video(s) under --skip_missing (each replaced by "
        f"the next readable video): {video_id}; reasons in {tmp_path / 'b' / 'skipped.log'}"
    ) in err
    rows = [row.split("\t") for row in (tmp_path / "b" / "skipped.log").read_text().splitlines()]
    assert rows[0] == ["epoch", "phase", "video", "reason"]
    assert [row[:3] for row in rows[1:]] == [["1", "training", video_id]]
    assert str(broken) in rows[1][3]


def test_inference_scores_no_video_in_the_place_of_an_unreadable_one(
    frames_dir: Path, annotation_json: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    annotation, video_id, _ = with_unreadable_video(annotation_json, tmp_path, "validation")
    infer = ["--no_train", "--no_val", "--inference", "--skip_missing", "--n_test_clips", "2",
             "--inference_no_average", "--inference_batch_size", "1"]  # fmt: skip
    assert main(main_args(frames_dir, annotation, tmp_path / "out", *infer)) == 0
    err = capsys.readouterr().err
    assert "inference: skipped 1 unreadable video(s) under --skip_missing (left out of the " in err
    assert f"result file): {video_id};" in err
    results = json.loads((tmp_path / "out" / "val.json").read_text())["results"]
    truth = json.loads(annotation.read_text())["database"]
    validation = {key for key, entry in truth.items() if entry["subset"] == "validation"}
    assert set(results) == validation - {video_id}
    assert all(len(clips) == 2 for clips in results.values())  # no video took another's clips


def test_a_proposal_file_without_frames_names_the_video_and_the_file(
    frames_dir: Path, annotation_json: Path, tmp_path: Path
) -> None:
    database = json.loads(annotation_json.read_text())["database"]
    video_id = next(key for key, entry in database.items() if entry["subset"] == "training")
    store = ProposalStore(tmp_path / "boxes")
    store.save(video_id, from_frame_lists([], [], (32, 32)))
    built = build_video_dataset(
        "train", annotation_json, frames_dir, proposal_path=store.root, video_ids=[video_id],
        sample_size=32, sample_duration=4, frame_pattern=FRAME_PATTERNS["somethingv2"],
    )  # fmt: skip
    with pytest.raises(ProposalStoreError, match="no stored frames"):  # the store says so too
        store.load(video_id)
    with pytest.raises(ProposalStoreError) as error:
        built.dataset[0]
    assert str(error.value) == f"video {video_id}: {store.path(video_id)} has no stored frames"
