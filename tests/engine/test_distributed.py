"""Two processes under torchrun (gloo, CPU) train like one process with the same total batch."""

from __future__ import annotations

import socket
from pathlib import Path

import torch

from strg.engine.checkpoint import load_checkpoint
from tests.conftest import run_command
from tests.engine.conftest import tiny_run

# BatchNorm in eval mode: with batch statistics, 2 clips per process would not normalise like 4.
SETTINGS = ["--n_epochs", "1", "--batch_size", "4", "--manual_seed", "3", "--freeze_bn"]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_two_process_torchrun_matches_one_process(
    frames_dir: Path, annotation_json: Path, tmp_path: Path
) -> None:
    single = run_command(tiny_run(frames_dir, annotation_json, tmp_path / "one", *SETTINGS))
    assert single.returncode == 0, single.stderr
    launcher = ["-m", "torch.distributed.run", "--nproc_per_node=2", f"--master_port={free_port()}"]
    double = run_command([*launcher, *tiny_run(frames_dir, annotation_json, tmp_path / "two",
                                               *SETTINGS, "--distributed")])  # fmt: skip
    assert double.returncode == 0, double.stderr
    # only rank 0 wrote: one checkpoint, one row per epoch, one progress line per epoch
    assert sorted(path.name for path in (tmp_path / "two").iterdir()) == sorted(
        path.name for path in (tmp_path / "one").iterdir()
    )
    assert len((tmp_path / "two" / "train.log").read_text().splitlines()) == 2
    assert double.stdout.count("epoch 1:") == 1
    options = (tmp_path / "two" / "opts.json").read_text()
    assert '"world_size": 2' in options and '"batch_size_per_process": 2' in options

    # the same clips per step and gradients averaged over the ranks: the same training
    one = load_checkpoint(tmp_path / "one" / "save_1.pth")["state_dict"]
    two = load_checkpoint(tmp_path / "two" / "save_1.pth")["state_dict"]
    for name in ("conv1.weight", "layer4.0.conv2.weight", "fc.weight", "fc.bias"):
        torch.testing.assert_close(two[name], one[name], rtol=1e-4, atol=1e-6)
    val_one = float((tmp_path / "one" / "val.log").read_text().splitlines()[1].split("\t")[2])
    val_two = float((tmp_path / "two" / "val.log").read_text().splitlines()[1].split("\t")[2])
    assert abs(val_one - val_two) <= 1 / 14  # 14 validation videos: at most one disagrees
