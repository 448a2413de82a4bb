"""CPU bfloat16 autocast around two known-bad oneDNN 3D convolutions (torch 2.14.1, oneDNN 3.12).

On CPUs with AVX512-BF16 (AMD EPYC, recent Xeons) torch sends bf16 ``conv3d`` to oneDNN, and two
shape classes go wrong there:

* the backward of the 7×7×7 stem of the 3D ResNets (stride 1×2×2) on 4-frame clips corrupts the
  heap and aborts the process ("double free or corruption"); 1-3 and 5-8 frames pass. Our test
  machine (AVX2 only) cannot reproduce it, so we cannot map its edges: we guard every temporal
  kernel longer than 4 on 4 frames, the reported point and its closest neighbours;
* the forward of a convolution whose innermost output width is 1 with a stride > 1 gives wrong
  values (pytorch#169688; the fix, pytorch#188426, uses the same condition): 32-pixel clips reach
  it in ``layer4`` of a 3D ResNet with its max-pool.

:class:`Bf16ConvGuard` runs exactly those convolutions in float32, outside autocast; every
other operation stays in bf16. :class:`~strg.engine.loops.Precision` enters it with CPU bf16
autocast. It costs a Python call per torch function inside the forward pass, which on the CPU
is small beside the convolutions.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch.overrides import TorchFunctionMode

_ARGUMENTS = ("input", "weight", "bias", "stride", "padding", "dilation", "groups")
_DEFAULTS = {"bias": None, "stride": 1, "padding": 0, "dilation": 1, "groups": 1}


def _triple(value: int | Sequence[int]) -> tuple[int, int, int]:
    return (value,) * 3 if isinstance(value, int) else tuple(value)  # type: ignore[return-value]


def known_bad_shape(
    input_shape: Sequence[int],
    weight_shape: Sequence[int],
    stride: int | Sequence[int] = 1,
    padding: int | Sequence[int] | str = 0,
    dilation: int | Sequence[int] = 1,
) -> str | None:
    """Why a CPU bf16 ``conv3d`` of input ``B×C×T×H×W`` and weight ``O×C/g×kT×kH×kW`` is a
    known-bad one, or None."""
    frames, width = int(input_shape[2]), int(input_shape[4])
    kernel_t, kernel_w = int(weight_shape[2]), int(weight_shape[4])
    if frames == 4 and kernel_t > frames:
        return f"temporal kernel {kernel_t} on {frames} frames"
    stride_w, dilation_w = _triple(stride)[2], _triple(dilation)[2]
    # "same" padding needs stride 1; "valid" pads nothing
    pad_w = 0 if isinstance(padding, str) else _triple(padding)[2]
    out_w = (width + 2 * pad_w - dilation_w * (kernel_w - 1) - 1) // stride_w + 1
    if out_w == 1 and stride_w > 1:
        return f"output width 1 at stride {stride_w}"
    return None


class Bf16ConvGuard(TorchFunctionMode):
    """Inside CPU bf16 autocast, run the :func:`known_bad_shape` ``conv3d`` calls in float32."""

    def __torch_function__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        if func is torch.conv3d and _autocast_cpu_bf16():
            call = {**_DEFAULTS, **dict(zip(_ARGUMENTS, args, strict=False)), **kwargs}
            source, weight = call["input"], call["weight"]
            if source.device.type == "cpu" and known_bad_shape(
                source.shape, weight.shape, call["stride"], call["padding"], call["dilation"]
            ):
                bias = call["bias"]
                with torch.autocast("cpu", enabled=False):
                    return torch.conv3d(
                        source.float(), weight.float(), None if bias is None else bias.float(),
                        call["stride"], call["padding"], call["dilation"], call["groups"],
                    )  # fmt: skip
        return func(*args, **kwargs)


def _autocast_cpu_bf16() -> bool:
    return torch.is_autocast_enabled("cpu") and torch.get_autocast_dtype("cpu") == torch.bfloat16
