"""Temporal sampling: which frames of a video make each clip.

A sampler takes a video's frame indices (0-based, e.g. ``range(n)``) and a ``torch.Generator``
and returns a list of clips, each a list of exactly ``size`` frame indices (training samplers
return one clip). Randomness comes only from the generator passed in.

Semantics follow 3D-ResNets-PyTorch (3d-resnets-compat §3.6), with its defects fixed:

* a clip of ``size`` frames at ``stride`` spans ``(size - 1) * stride + 1`` frames; a video shorter
  than that gives the frames it has at that stride, loop-padded (repeated cyclically) to ``size``:
  never a shorter clip. ``stride`` is ``--sample_t_stride``; 32 frames at stride 2 is the dense
  "32×2" sampling of I3D / non-local networks.
* random crop: the start is uniform over *every* possible start (the original never picked the
  last one).
* centre crop: the span starts at ``n // 2 - span // 2`` (100 frames, 16 → frames 42..57).
* even crop (validation): starts ``0, s, 2s, …`` with ``s = max(1, ceil((n - 1 - span) /
  (n_samples - 1)))``, at most ``n_samples`` clips, stopping after the first loop-padded clip;
  ``n_samples = 1`` is the centre crop (the original divided by zero).
* sliding window (inference): starts ``0, w, 2w, …`` (``w`` = ``inference_stride``, 0 meaning
  ``span``), stopping after the first loop-padded clip.
* Divergence: with ``stride > 1`` the original's validation and inference clips were consecutive
  frames (only their starts were spread out); here every clip is strided like the training clips.
* segment sampling (Something-Something, TSN): the video is cut into ``size`` equal segments and
  one frame is taken from each: uniformly at random in training, at the centre in testing. With
  ``n_samples > 1`` testing clips take the frames at offsets ``(k + 0.5) / n_samples`` of each
  segment.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import torch

from strg.data.settings import DataSettings

Clips = list[list[int]]


def loop_pad(indices: Sequence[int], size: int) -> list[int]:
    """``indices`` repeated cyclically up to ``size`` (a copy; the input is not changed)."""
    if not indices:
        raise ValueError("cannot loop-pad an empty clip")
    out = list(indices)
    while len(out) < size:
        out.append(out[len(out) % len(indices)])
    return out[:size]


def _randint(high: int, generator: torch.Generator) -> int:
    """Uniform integer in ``[0, high)``."""
    return int(torch.randint(high, (1,), generator=generator).item())


def _check(size: int, stride: int) -> None:
    if size < 1 or stride < 1:
        raise ValueError(f"clip size and stride must be >= 1, got {size} and {stride}")


def _clip_from(frames: Sequence[int], start: int, size: int, stride: int) -> tuple[list[int], bool]:
    """The clip starting at position ``start``; whether it had to be loop-padded."""
    positions = range(start, min(start + (size - 1) * stride + 1, len(frames)), stride)
    clip = [frames[position] for position in positions]
    return loop_pad(clip, size), len(clip) < size


@dataclass(frozen=True)
class TemporalCrop:
    """One clip: ``position`` is ``random``, ``center`` or ``begin``."""

    size: int
    stride: int = 1
    position: str = "random"

    def __post_init__(self) -> None:
        _check(self.size, self.stride)
        if self.position not in ("random", "center", "begin"):
            raise ValueError(
                f"unknown temporal crop {self.position!r}; valid: random, center, begin"
            )

    def __call__(self, frames: Sequence[int], generator: torch.Generator) -> Clips:
        if not frames:
            raise ValueError("the video has no frames")
        span = (self.size - 1) * self.stride + 1
        room = max(len(frames) - span, 0)
        if self.position == "random":
            start = _randint(room + 1, generator)
        elif self.position == "center":
            start = min(max(len(frames) // 2 - span // 2, 0), room)
        else:
            start = 0
        return [_clip_from(frames, start, self.size, self.stride)[0]]


@dataclass(frozen=True)
class EvenCrop:
    """Up to ``n_samples`` clips spread evenly over the video (validation)."""

    size: int
    n_samples: int = 3
    stride: int = 1

    def __post_init__(self) -> None:
        _check(self.size, self.stride)
        if self.n_samples < 1:
            raise ValueError(f"n_val_samples must be >= 1, got {self.n_samples}")

    def __call__(self, frames: Sequence[int], generator: torch.Generator) -> Clips:
        if self.n_samples == 1:
            return TemporalCrop(self.size, self.stride, "center")(frames, generator)
        span = (self.size - 1) * self.stride + 1
        step = max(1, math.ceil((len(frames) - 1 - span) / (self.n_samples - 1)))
        return _walk(frames, step, self.size, self.stride, self.n_samples)


@dataclass(frozen=True)
class SlidingWindow:
    """Clips starting every ``window_stride`` frames over the whole video (inference)."""

    size: int
    window_stride: int = 0
    stride: int = 1

    def __post_init__(self) -> None:
        _check(self.size, self.stride)
        if self.window_stride < 0:
            raise ValueError(f"inference_stride must be >= 0, got {self.window_stride}")

    def __call__(self, frames: Sequence[int], generator: torch.Generator) -> Clips:
        span = (self.size - 1) * self.stride + 1
        return _walk(frames, self.window_stride or span, self.size, self.stride, None)


def _walk(frames: Sequence[int], step: int, size: int, stride: int, limit: int | None) -> Clips:
    if not frames:
        raise ValueError("the video has no frames")
    clips: Clips = []
    for start in range(0, len(frames), step):
        clip, padded = _clip_from(frames, start, size, stride)
        clips.append(clip)
        if padded or (limit is not None and len(clips) == limit):
            break
    return clips


@dataclass(frozen=True)
class SegmentSampler:
    """One frame from each of ``size`` equal segments (TSN; Something-Something)."""

    size: int
    random: bool = True
    n_samples: int = 1

    def __post_init__(self) -> None:
        _check(self.size, 1)
        if self.n_samples < 1:
            raise ValueError(f"n_samples must be >= 1, got {self.n_samples}")

    def __call__(self, frames: Sequence[int], generator: torch.Generator) -> Clips:
        if not frames:
            raise ValueError("the video has no frames")
        length = len(frames) / self.size
        starts = torch.arange(self.size, dtype=torch.float64) * length
        if self.random:
            offsets = [torch.rand(self.size, generator=generator, dtype=torch.float64)]
        else:
            offsets = [
                torch.full((self.size,), (k + 0.5) / self.n_samples, dtype=torch.float64)
                for k in range(self.n_samples)
            ]
        clips = []
        for offset in offsets:
            positions = (starts + offset * length).floor().long().clamp_(0, len(frames) - 1)
            clips.append([frames[int(position)] for position in positions])
        return clips


TemporalSampler = TemporalCrop | EvenCrop | SlidingWindow | SegmentSampler
PHASES = ("train", "val", "inference")


def build_temporal_sampler(
    phase: str,
    sample_duration: int = DataSettings.sample_duration,
    sample_t_stride: int = DataSettings.sample_t_stride,
    train_t_crop: str = DataSettings.train_t_crop,
    n_val_samples: int = DataSettings.n_val_samples,
    inference_stride: int = DataSettings.inference_stride,
    temporal_sampling: str = DataSettings.temporal_sampling,
    n_test_clips: int = DataSettings.n_test_clips,
) -> TemporalSampler:
    """The sampler of ``phase`` (``train``, ``val``, ``inference``), as main.py builds them.

    ``temporal_sampling`` is ``dense`` (the original's crops of consecutive frames at
    ``sample_t_stride``) or ``segment`` (one frame per segment; ``sample_t_stride`` is unused,
    validation takes ``n_val_samples`` clips, inference one centred clip). ``n_test_clips > 0``
    makes inference take that many evenly spread clips instead of a sliding window (dense) or
    one clip (segment).
    """
    if phase not in PHASES:
        raise ValueError(f"unknown phase {phase!r}; valid: {', '.join(PHASES)}")
    if temporal_sampling == "segment":
        if phase == "train":
            return SegmentSampler(sample_duration, random=train_t_crop == "random")
        n_samples = n_val_samples if phase == "val" else max(n_test_clips, 1)
        return SegmentSampler(sample_duration, random=False, n_samples=n_samples)
    if temporal_sampling != "dense":
        raise ValueError(f"unknown temporal_sampling {temporal_sampling!r}; valid: dense, segment")
    if phase == "train":
        return TemporalCrop(sample_duration, sample_t_stride, train_t_crop)
    if phase == "val":
        return EvenCrop(sample_duration, n_val_samples, sample_t_stride)
    if n_test_clips > 0:
        return EvenCrop(sample_duration, n_test_clips, sample_t_stride)
    return SlidingWindow(sample_duration, inference_stride, sample_t_stride)
