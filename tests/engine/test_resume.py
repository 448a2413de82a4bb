"""A run killed mid-epoch and resumed ends exactly where an uninterrupted run ends (in float32;
in bf16, close to it)."""

from __future__ import annotations

import math
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import torch

from strg.cli.main import main
from strg.engine.checkpoint import load_checkpoint
from tests.conftest import REPO_ROOT
from tests.engine.conftest import tiny_run

EPOCHS = ["--n_epochs", "3", "--checkpoint", "1", "--batch_size", "2"]


def start(args: list[str]) -> subprocess.Popen:
    environment = dict(os.environ, PYTHONPATH=str(REPO_ROOT))
    return subprocess.Popen(
        [sys.executable, *args], cwd=REPO_ROOT, env=environment,
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip


def rows_of_epoch(log: Path, epoch: int) -> int:
    if not log.is_file():
        return 0
    return sum(1 for line in log.read_text().splitlines()[1:] if line.split("\t")[0] == str(epoch))


def test_sigkill_mid_epoch_then_resume_matches_an_uninterrupted_run(
    frames_dir: Path, annotation_json: Path, tmp_path: Path
) -> None:
    whole = start(tiny_run(frames_dir, annotation_json, tmp_path / "whole", *EPOCHS))
    killed_dir = tmp_path / "killed"
    killed = start(tiny_run(frames_dir, annotation_json, killed_dir, *EPOCHS))
    deadline = time.monotonic() + 300
    while rows_of_epoch(killed_dir / "train_batch.log", 3) < 2:  # well inside epoch 3
        assert killed.poll() is None, killed.stderr.read()
        assert time.monotonic() < deadline, "epoch 3 never started"
        time.sleep(0.02)
    killed.send_signal(signal.SIGKILL)
    killed.wait()
    assert whole.wait(timeout=600) == 0, whole.stderr.read()
    assert not (killed_dir / "save_3.pth").exists(), "killed too late: epoch 3 had finished"
    for path in killed_dir.glob("save_*.pth"):
        load_checkpoint(path)  # every checkpoint on disk is complete

    resumed = subprocess.run(
        [sys.executable, *tiny_run(frames_dir, annotation_json, killed_dir, *EPOCHS,
                                   "--resume_path", str(killed_dir / "save_2.pth"))],
        cwd=REPO_ROOT, env=dict(os.environ, PYTHONPATH=str(REPO_ROOT)), capture_output=True,
        text=True, check=False,
    )  # fmt: skip
    assert resumed.returncode == 0, resumed.stderr
    expected = load_checkpoint(tmp_path / "whole" / "save_3.pth")
    actual = load_checkpoint(killed_dir / "save_3.pth")
    assert expected["state_dict"].keys() == actual["state_dict"].keys()
    for name, value in expected["state_dict"].items():
        assert torch.equal(value, actual["state_dict"][name]), name
    momentum = [state["momentum_buffer"] for state in expected["optimizer"]["state"].values()]
    resumed_momentum = [state["momentum_buffer"] for state in actual["optimizer"]["state"].values()]
    assert all(torch.equal(a, b) for a, b in zip(momentum, resumed_momentum, strict=True))
    # the logs hold every epoch once, the interrupted epoch's rows replaced
    epochs = [line.split("\t")[0] for line in (killed_dir / "train.log").read_text().splitlines()]
    assert epochs == ["epoch", "1", "2", "3"]
    assert (killed_dir / "train_batch.log").read_text() == (
        tmp_path / "whole" / "train_batch.log"
    ).read_text()


# bf16 (CPU autocast) is not bit-reproducible: two identical runs already differ in their weights
# on AVX512-BF16 CPUs. What a resume can promise there: the same epochs, schedule and log rows,
# and weights close to an uninterrupted run's. Shapes clear of the known-bad bf16 convolutions.
# A quarter of the widths: CPU bf16 without AVX512-BF16 is emulated and slow.
BF16 = ["--amp", "bf16", "--sample_duration", "8", "--no_max_pool", "--resnet_widen_factor", "0.25",
        "--n_epochs", "2", "--checkpoint", "1", "--batch_size", "7", "--no_val"]  # fmt: skip


def test_a_bf16_run_resumes_and_continues_close_to_an_uninterrupted_one(
    frames_dir: Path, annotation_json: Path, tmp_path: Path
) -> None:
    whole, resumed = tmp_path / "whole", tmp_path / "resumed"
    assert main(tiny_run(frames_dir, annotation_json, whole, *BF16)[1:]) == 0
    resumed.mkdir()
    for name in ("save_1.pth", "train.log", "train_batch.log"):  # as a run killed in epoch 2
        shutil.copy(whole / name, resumed / name)
    resume = ["--resume_path", str(resumed / "save_1.pth")]
    assert main(tiny_run(frames_dir, annotation_json, resumed, *BF16, *resume)[1:]) == 0

    def rows(path: Path) -> list[list[str]]:
        return [line.split("\t") for line in path.read_text().splitlines()]

    expected_rows, actual_rows = rows(whole / "train_batch.log"), rows(resumed / "train_batch.log")
    assert [row[:3] for row in actual_rows] == [row[:3] for row in expected_rows]  # epoch, batch
    assert [row[5] for row in actual_rows] == [row[5] for row in expected_rows]  # the same rates
    for expected, actual in zip(expected_rows[1:], actual_rows[1:], strict=True):
        assert math.isclose(float(actual[3]), float(expected[3]), rel_tol=0.05), (expected, actual)
    expected = load_checkpoint(whole / "save_2.pth")["state_dict"]
    actual = load_checkpoint(resumed / "save_2.pth")["state_dict"]
    assert load_checkpoint(resumed / "save_2.pth")["epoch"] == 2
    for name, value in expected.items():
        if value.is_floating_point():
            difference = float((actual[name] - value).norm())
            assert difference <= 0.02 * float(value.norm()) + 1e-4, name
