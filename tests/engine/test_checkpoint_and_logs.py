"""Checkpoints are atomic and safe to load; logs append on resume without duplicated epochs."""

from __future__ import annotations

import os
import pickle
from pathlib import Path

import pytest
import torch

from strg.engine.checkpoint import (
    CheckpointError,
    check_arch,
    checkpoint_path,
    load_checkpoint,
    save_checkpoint,
)
from strg.engine.logs import TRAIN_COLUMNS, TableLogger


def test_checkpoint_round_trip_with_weights_only(tmp_path: Path) -> None:
    model = torch.nn.Linear(3, 2)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    model(torch.ones(1, 3)).sum().backward()
    optimizer.step()
    checkpoint = {
        "epoch": 3,
        "arch": "resnet-18",
        "state_dict": model.state_dict(),
        "optimizer": optimizer.state_dict(),
        "config": {"learning_rate": 0.1, "milestones": [5, 10]},
    }
    path = checkpoint_path(tmp_path, 3)
    assert path.name == "save_3.pth"
    save_checkpoint(path, checkpoint)
    loaded = load_checkpoint(path)
    assert loaded["epoch"] == 3 and loaded["config"] == checkpoint["config"]
    torch.testing.assert_close(loaded["state_dict"]["weight"], model.weight.detach())
    assert loaded["optimizer"]["state"][0]["momentum_buffer"].shape == (2, 3)
    assert os.listdir(tmp_path) == ["save_3.pth"]


class Payload:
    def __reduce__(self):
        return (os.system, ("echo pwned > /dev/null",))


def test_a_checkpoint_that_would_run_code_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "evil.pth"
    with path.open("wb") as handle:
        pickle.dump({"state_dict": Payload()}, handle, protocol=2)
    with pytest.raises(CheckpointError, match=r"refused to load .*evil\.pth"):
        load_checkpoint(path)


def test_a_failed_save_leaves_the_previous_checkpoint_intact(tmp_path: Path) -> None:
    path = tmp_path / "save_1.pth"
    save_checkpoint(path, {"epoch": 1})
    with pytest.raises((AttributeError, TypeError, pickle.PicklingError)):
        save_checkpoint(path, {"epoch": 2, "bad": lambda: None})  # cannot be pickled
    assert load_checkpoint(path) == {"epoch": 1}
    assert os.listdir(tmp_path) == ["save_1.pth"]


def test_missing_and_garbage_files_are_named(tmp_path: Path) -> None:
    with pytest.raises(CheckpointError, match="does not exist"):
        load_checkpoint(tmp_path / "none.pth")
    (tmp_path / "junk.pth").write_bytes(b"junk" * 10)
    with pytest.raises(CheckpointError, match=r"junk\.pth"):
        load_checkpoint(tmp_path / "junk.pth")


def test_resuming_another_arch_names_the_options() -> None:
    with pytest.raises(CheckpointError, match="--model resnet2p1d --model_depth 18"):
        check_arch(Path("save_5.pth"), {"arch": "resnet2p1d-18"}, "resnet-18")
    check_arch(Path("save_5.pth"), {"arch": "resnet-18"}, "resnet-18")


def test_logs_append_on_resume_and_drop_rows_after_the_checkpoint(tmp_path: Path) -> None:
    path = tmp_path / "train.log"
    logger = TableLogger(path, TRAIN_COLUMNS)
    for epoch in (1, 2, 3):
        logger.log(epoch=epoch, loss=1.0 / epoch, acc=0.1 * epoch, lr=0.1)
    logger.close()
    resumed = TableLogger(path, TRAIN_COLUMNS, resume_epoch=2)  # epoch 3 was not checkpointed
    resumed.log(epoch=3, loss=0.25, acc=0.5, lr=0.01)
    resumed.close()
    lines = path.read_text().splitlines()
    assert lines[0] == "epoch\tloss\tacc\tlr"
    assert [line.split("\t")[0] for line in lines[1:]] == ["1", "2", "3"]
    assert lines[3] == "3\t0.25\t0.5\t0.01"
    fresh = TableLogger(path, TRAIN_COLUMNS)
    fresh.close()
    assert path.read_text() == "epoch\tloss\tacc\tlr\n"
