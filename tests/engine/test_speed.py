"""The speed switches: channels_last_3d and torch.compile compute what the plain model computes,
train, and leave checkpoints that load without them."""

from __future__ import annotations

import copy
import functools
import json
from pathlib import Path

import pytest
import torch

from strg.cli.main import main
from strg.engine.checkpoint import load_checkpoint
from strg.engine.loops import Precision, forward
from strg.engine.speed import MEMORY_FORMAT, clip_in_format, compiled, to_channels_last
from strg.models import build_model
from strg.models.info import dummy_boxes
from strg.structures import Batch
from tests.engine.conftest import tiny_run


def _tiny_strg() -> torch.nn.Module:
    """Without dropout: eager and compiled code draw their random masks differently."""
    torch.manual_seed(0)
    return build_model(
        "resnet_strg", model_depth=10, n_classes=5, nrois=3, reduce_dim=16,
        temporal_strides=(1, 2, 1, 1), global_dropout=0.0, graph_dropout=0.0,
    )  # fmt: skip


def _batch() -> Batch:
    torch.manual_seed(1)
    frames = torch.randn(2, 3, 8, 32, 32)
    boxes, valid = dummy_boxes(2, 3, 32, 2)  # T' = 8 frames / temporal stride 4
    return Batch(
        frames=frames, targets=torch.tensor([1, 3]), video_ids=["a", "b"],
        video_index=torch.tensor([0, 1]), segments=[[1, 9], [1, 9]], boxes=boxes, box_mask=valid,
    )  # fmt: skip


def _sgd_step(
    model: torch.nn.Module, network: torch.nn.Module, precision: Precision
) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
    """The training-mode logits of one SGD step of ``network`` (``model`` or a wrapper of it)
    and ``model``'s state after it."""
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    batch = _batch()
    network.train()
    logits = forward(network, batch, precision)
    torch.nn.functional.cross_entropy(logits, batch.targets).backward()
    optimizer.step()
    return logits.detach(), {
        name: value.detach().clone() for name, value in model.state_dict().items()
    }


def test_channels_last_gives_the_plain_outputs_and_training_step() -> None:
    plain = _tiny_strg()
    fast = to_channels_last(copy.deepcopy(plain))
    conv = fast.backbone.conv1.weight
    assert conv.is_contiguous(memory_format=MEMORY_FORMAT) and not conv.is_contiguous()
    cpu = torch.device("cpu")
    frames = clip_in_format(_batch().frames, True)
    assert frames.is_contiguous(memory_format=MEMORY_FORMAT)
    plain.eval(), fast.eval()
    with torch.no_grad():
        expected = forward(plain, _batch(), Precision(cpu))
        actual = forward(fast, _batch(), Precision(cpu, channels_last=True))
    torch.testing.assert_close(actual, expected, rtol=1e-4, atol=1e-5)
    _, before = _sgd_step(plain, plain, Precision(cpu))
    _, after = _sgd_step(fast, fast, Precision(cpu, channels_last=True))
    assert before.keys() == after.keys()
    for name, value in before.items():
        torch.testing.assert_close(after[name], value, rtol=1e-4, atol=1e-4, msg=name)
    with pytest.raises(ValueError, match="B×C×T×H×W"):
        clip_in_format(torch.zeros(3, 8, 32, 32), True)


def test_compiled_model_gives_the_plain_outputs_and_training_step() -> None:
    """The default backend (inductor, C++ on the CPU) on the tiny STRG: the same logits and the
    same weights after one SGD step; the wrapper's keys carry ``_orig_mod.``, the model's not."""
    plain = _tiny_strg()
    twin = copy.deepcopy(plain)
    network = compiled(twin)
    assert all(key.startswith("_orig_mod.") for key in network.state_dict())
    assert not any("_orig_mod" in key for key in twin.state_dict())
    cpu = torch.device("cpu")
    expected, before = _sgd_step(plain, plain, Precision(cpu))
    actual, after = _sgd_step(twin, network, Precision(cpu))
    torch.testing.assert_close(actual, expected, rtol=1e-4, atol=1e-5)
    assert before.keys() == after.keys()
    for name, value in before.items():
        torch.testing.assert_close(after[name], value, rtol=1e-3, atol=1e-3, msg=name)


def test_a_compiled_channels_last_run_resumes_without_the_switches(
    frames_dir: Path, annotation_json: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Dynamo captures the graphs as in a real run; the eager backend leaves out inductor's
    # C++ code generation, which the test above covers, to keep this run short.
    monkeypatch.setattr(torch, "compile", functools.partial(torch.compile, backend="eager"))
    run = ["--n_epochs", "1", "--batch_size", "2", "--no_val", "--sample_duration", "8"]
    switches = ["--channels_last", "--compile", "--inference"]
    first = tiny_run(frames_dir, annotation_json, tmp_path, *run, *switches)
    assert main(first[1:]) == 0
    opts = json.loads((tmp_path / "opts.json").read_text())
    assert opts["channels_last"] is True and opts["compile"] is True
    assert opts["compile_mode"] == "default"
    checkpoint = load_checkpoint(tmp_path / "save_1.pth")
    keys = list(checkpoint["state_dict"])
    assert keys and not any("_orig_mod" in key or key.startswith("module.") for key in keys)
    assert checkpoint["config"]["compile"] is True
    assert json.loads((tmp_path / "val.json").read_text())["results"]  # inference ran

    resumed = [*run[:1], "2", *run[2:], "--resume_path", str(tmp_path / "save_1.pth")]
    assert main(tiny_run(frames_dir, annotation_json, tmp_path, *resumed)[1:]) == 0
    second = load_checkpoint(tmp_path / "save_2.pth")
    assert second["config"]["compile"] is False and second["epoch"] == 2
    assert second["state_dict"].keys() == checkpoint["state_dict"].keys()
    first_weights = checkpoint["state_dict"]
    changed = [k for k, v in second["state_dict"].items() if not torch.equal(v, first_weights[k])]
    assert changed  # epoch 2 trained from the resumed weights
