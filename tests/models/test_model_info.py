"""util_scripts/model_info: both ways of running it, and what it prints."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from strg.cli.model_info import main
from strg.models import build_model
from strg.models.info import count_flops, model_inputs
from strg.models.nonlocal_block import NonLocalBlock

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


def _parameters(out: str) -> int:
    line = next(line for line in out.splitlines() if line.startswith("parameters: "))
    return int(line.split()[1].replace(",", ""))


def test_main_py_model_flags_change_the_model_measured(capsys) -> None:
    tiny = ["--model", "resnet", "--model_depth", "10", "--sample_duration", "8",
            "--sample_size", "32"]  # fmt: skip
    assert main([*tiny, "--no_max_pool", "--resnet_widen_factor", "0.5"]) == 0
    out = capsys.readouterr().out
    expected = build_model("resnet", model_depth=10, no_max_pool=True, resnet_widen_factor=0.5)
    assert _parameters(out) == sum(p.numel() for p in expected.parameters())
    assert "layer1       32×8×16×16" in out  # no max-pool: layer1 at half the clip's side
    assert main([*tiny, "--nonlocal_blocks"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.endswith("--nonlocal_blocks does not apply to --model resnet")
    assert len(err.splitlines()) == 1


def test_nl_i3d_r50_has_the_papers_parameter_count(capsys) -> None:
    view = ["--model", "i3d", "--sample_duration", "8", "--sample_size", "32"]
    assert main(view) == 0
    plain = _parameters(capsys.readouterr().out)
    assert main([*view, "--nonlocal_blocks"]) == 0
    non_local = _parameters(capsys.readouterr().out)
    # 28.0 M, plus two res3 blocks of 0.52 M and three res4 blocks of 2.1 M: 35.4 M
    assert abs(plain - 28.04e6) < 0.05e6 and abs(non_local - 35.40e6) < 0.05e6
    res3, res4 = (sum(p.numel() for p in NonLocalBlock(c).parameters()) for c in (512, 1024))
    assert abs(res3 - 0.52e6) < 0.01e6 and abs(res4 - 2.1e6) < 0.01e6
    assert non_local - plain == 2 * res3 + 3 * res4


def test_a_clip_too_short_for_the_model_is_one_line_naming_the_flags(capsys) -> None:
    assert main(["--model", "densenet", "--sample_duration", "8", "--sample_size", "64"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "Traceback" not in err
    assert "densenet-121 cannot run a 8×64² clip" in err and "--sample_duration" in err
