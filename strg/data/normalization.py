"""Normalisation: uint8 clips to float32 ``(x / 255 · value_scale − mean) / std``.

Batches leave the loader workers as uint8 (a quarter of the float32 bytes through shared memory and
to the GPU) and :class:`Normalization` turns them into float32 where they are used: on the GPU in
training, in the main process on a CPU. :func:`mean_std` gives the ``--mean_dataset`` presets.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch

#: ``--mean_dataset`` presets on the [0, 1] scale (3d-resnets-compat §3.6).
MEAN_STD = {
    "kinetics": ((0.4345, 0.4051, 0.3775), (0.2768, 0.2713, 0.2737)),
    "activitynet": ((0.4477, 0.4209, 0.3906), (0.2767, 0.2695, 0.2714)),
    "0.5": ((0.5, 0.5, 0.5), (0.5, 0.5, 0.5)),
}


def mean_std(
    mean_dataset: str = "kinetics",
    no_mean_norm: bool = False,
    no_std_norm: bool = False,
    value_scale: float = 1,
    n_channels: int = 3,
) -> tuple[list[float], list[float]]:
    """Mean and std as main.py derives them (already multiplied by ``value_scale``; flow keeps
    the first two values)."""
    try:
        mean, std = MEAN_STD[mean_dataset]
    except KeyError:
        raise ValueError(
            f"unknown mean_dataset {mean_dataset!r}; valid: {', '.join(MEAN_STD)}"
        ) from None
    mean = [0.0] * 3 if no_mean_norm else [value * value_scale for value in mean]
    std = [1.0] * 3 if no_std_norm else [value * value_scale for value in std]
    return mean[:n_channels], std[:n_channels]


def _scale_shift(
    mean: Sequence[float], std: Sequence[float], value_scale: float
) -> list[tuple[np.float32, np.float32]]:
    """Per channel ``(a_c, b_c)`` = ``(value_scale / 255 / std_c, −mean_c / std_c)`` in float32."""
    return [
        (np.float32(value_scale / 255.0 / s), np.float32(-m / s))
        for m, s in zip(mean, std, strict=True)
    ]


#: Values per ufunc call in :func:`normalize` (whole frames, at least one): about 1 MB of float32,
#: so the second pass (the shift) finds the first pass's output still in the L2 cache.
_NORMALIZE_CHUNK = 2**18


def normalize(
    video: torch.Tensor,
    mean: Sequence[float],
    std: Sequence[float],
    value_scale: float = 1,
    out: torch.Tensor | None = None,
) -> torch.Tensor:
    """C×T×H×W uint8 (CPU, any strides) → C×T×H×W float32: ``(x / 255 · value_scale − mean) / std``.

    Computed as ``x · a_c + b_c`` with ``a_c = value_scale / 255 / std_c`` and ``b_c = −mean_c /
    std_c``, both rounded to float32 as torch rounds a scalar operand (the result is bit for bit
    what ``out.copy_(video)`` followed by ``mul_(a_c)`` and ``sub_(mean_c / std_c)`` gives), into
    ``out`` when given (the clip's slot of a batch).

    One NumPy multiply per channel and chunk converts and scales, writing each output element
    once (for a channels-last clip, as the resize gives it, through a small contiguous buffer);
    torch's ``copy_`` would gather such a clip element by element and the affine would then need
    two more passes over ``out``. The shift is added to chunks of about 1 MB, while they are
    still in the L2 cache.
    """
    if video.ndim != 4 or video.shape[0] != len(mean) or len(std) != len(mean):
        raise ValueError(f"video must be {len(mean)}×T×H×W, got {tuple(video.shape)}")
    if out is None:
        out = torch.empty(video.shape, dtype=torch.float32)
    elif out.shape != video.shape or out.dtype != torch.float32:
        raise ValueError(
            f"out must be float32 {tuple(video.shape)}, got {out.dtype} {tuple(out.shape)}"
        )
    source, target = video.numpy(), out.numpy()
    frames = max(1, _NORMALIZE_CHUNK // max(1, video.shape[2] * video.shape[3]))
    for channel, (scale, shift) in enumerate(_scale_shift(mean, std, value_scale)):
        for start in range(0, video.shape[1], frames):
            chunk = target[channel, start : start + frames]
            # dtype pins float32 arithmetic (NumPy 1.x's value-based casting could pick float16)
            np.multiply(source[channel, start : start + frames], scale, out=chunk, dtype=np.float32)
            np.add(chunk, shift, out=chunk)
    return out


@dataclass(frozen=True)
class Normalization:
    """``mean``, ``std`` (already scaled, as :func:`mean_std` gives them) and ``value_scale``,
    applied to whole uint8 batches by calling it."""

    mean: tuple[float, ...]
    std: tuple[float, ...]
    value_scale: float = 1

    def __call__(self, frames: torch.Tensor) -> torch.Tensor:
        """B×C×T×H×W uint8 → B×C×T×H×W float32 (contiguous) on the same device.

        On the CPU each clip goes through :func:`normalize` into an array NumPy allocates: NumPy
        asks the kernel for transparent huge pages on large arrays, and first-touch page faults
        on 4 KiB pages cost as much as the normalisation itself (a 32×224² clip is 19 MB). On
        another device the same float32 scale and shift are applied with torch, giving the same
        values.
        """
        if frames.ndim != 5 or frames.dtype != torch.uint8:
            raise ValueError(
                f"frames must be B×C×T×H×W uint8, got {frames.dtype} {tuple(frames.shape)}"
            )
        if frames.device.type == "cpu":
            out = torch.from_numpy(np.empty(tuple(frames.shape), dtype=np.float32))
            for row in range(len(frames)):
                normalize(frames[row], self.mean, self.std, self.value_scale, out=out[row])
            return out
        return normalize_with_torch(frames, self.mean, self.std, self.value_scale)


def normalize_with_torch(
    frames: torch.Tensor, mean: Sequence[float], std: Sequence[float], value_scale: float = 1
) -> torch.Tensor:
    """B×C×T×H×W uint8 → float32 on the frames' device with torch ops, the same float32 values
    as :func:`normalize` (the same scale and shift, applied in the same order)."""
    out = frames.float()
    for channel, (scale, shift) in enumerate(_scale_shift(mean, std, value_scale)):
        out[:, channel].mul_(float(scale)).add_(float(shift))
    return out
