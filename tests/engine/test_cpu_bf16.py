"""The two known-bad CPU bf16 3D convolutions run in float32 under main.py's bf16 autocast."""

from __future__ import annotations

import torch
from torch import nn

from strg.engine.cpu_bf16 import known_bad_shape
from strg.engine.loops import Precision
from strg.models import build_model
from tests.conftest import run_command

CPU_BF16 = Precision(torch.device("cpu"), "bf16")


def test_the_known_bad_shapes() -> None:
    stem = (64, 3, 7, 7, 7)
    assert known_bad_shape((2, 3, 4, 32, 32), stem, (1, 2, 2), (3, 3, 3)) is not None
    assert known_bad_shape((2, 3, 8, 32, 32), stem, (1, 2, 2), (3, 3, 3)) is None
    # pytorch#169688: innermost output width 1 at a stride > 1 (layer4 of a 32² clip)
    assert known_bad_shape((2, 64, 1, 2, 2), (128, 64, 3, 3, 3), 2, 1) is not None
    assert known_bad_shape((2, 64, 1, 2, 2), (128, 64, 1, 1, 1), 2, 0) is not None
    assert known_bad_shape((2, 64, 1, 4, 4), (128, 64, 3, 3, 3), 2, 1) is None
    assert known_bad_shape((2, 64, 1, 1, 1), (128, 64, 1, 1, 1), 1, 0) is None  # stride 1 is fine


def test_guarded_convolutions_run_in_float32_and_others_in_bf16() -> None:
    torch.manual_seed(0)
    stem = nn.Conv3d(3, 8, (7, 7, 7), stride=(1, 2, 2), padding=(3, 3, 3))
    with CPU_BF16.autocast():
        assert stem(torch.randn(1, 3, 4, 16, 16)).dtype == torch.float32
        assert stem(torch.randn(1, 3, 8, 16, 16)).dtype == torch.bfloat16
        assert nn.Conv3d(8, 8, 1, stride=2)(torch.randn(1, 8, 2, 2, 2)).dtype == torch.float32
    with torch.autocast("cpu", dtype=torch.bfloat16):  # the guard is Precision's, not global
        assert stem(torch.randn(1, 3, 4, 16, 16)).dtype == torch.bfloat16


def test_a_guarded_model_matches_float32_within_bf16_tolerance() -> None:
    torch.manual_seed(0)
    model = build_model("resnet", model_depth=10, n_classes=5).eval()
    clips = torch.randn(2, 3, 4, 32, 32)  # the crashing stem shape and layer4's width-1 case
    with torch.no_grad():
        reference = model(clips)
        with CPU_BF16.autocast():
            mixed = model(clips).float()
    torch.testing.assert_close(mixed, reference, rtol=0.05, atol=0.05)


GUARDED_BACKWARD = """
import torch
from torch import nn
from strg.engine.loops import Precision
conv = nn.Conv3d(3, 64, (7, 7, 7), stride=(1, 2, 2), padding=(3, 3, 3))
with Precision(torch.device("cpu"), "bf16").autocast():
    out = conv(torch.randn(2, 3, 4, 32, 32))
out.float().sum().backward()
assert out.dtype == torch.float32 and torch.isfinite(conv.weight.grad).all()
print("ok")
"""


def test_the_crashing_stem_backward_on_four_frames_runs_guarded() -> None:
    # a process of its own: on AVX512-BF16 CPUs the unguarded case aborts the interpreter
    result = run_command(["-c", GUARDED_BACKWARD])
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip() == "ok"
