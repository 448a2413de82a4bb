"""util_scripts/model_info: both ways of running it, and what it prints."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from strg.cli.model_info import main
from strg.models import build_model
from strg.models.info import count_flops, model_inputs

REPO = Path(__file__).resolve().parents[2]


def test_main_prints_parameters_flops_and_stage_shapes(capsys) -> None:
    assert main(["--model", "resnet", "--model_depth", "10", "--sample_duration", "16",
                 "--sample_size", "64"]) == 0  # fmt: skip
    out = capsys.readouterr().out
    n = sum(p.numel() for p in build_model("resnet", model_depth=10).parameters())
    assert f"parameters: {n:,}" in out
    assert "layer4       512×1×2×2" in out
    assert "FLOPs per view:" in out


def test_strg_flops_exceed_the_backbone_and_shapes_follow_the_clip(capsys) -> None:
    model = build_model("i3d", strg=True, n_classes=5, reduce_dim=16, nrois=4)
    clip, boxes, valid = model_inputs(model, duration=8, size=64)
    assert boxes.shape == (1, 4, 4, 4) and valid.all()
    with_head = count_flops(model, (clip, boxes, valid))
    backbone_only = count_flops(model.backbone, (clip,))
    assert with_head > backbone_only > 0


def test_shim_runs_as_module_and_as_script() -> None:
    args = ["--model", "resnet", "--model_depth", "10", "--sample_duration", "8",
            "--sample_size", "32"]  # fmt: skip
    for command in (
        [sys.executable, "-m", "util_scripts.model_info", *args],
        [sys.executable, str(REPO / "util_scripts" / "model_info.py"), *args],
    ):
        done = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr
        assert "parameters: 14," in done.stdout
