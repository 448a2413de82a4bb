"""Spatial transforms that move frames and boxes together (torchvision transforms v2).

A :class:`JointTransform` takes a clip ``T×C×H×W`` uint8 (the decoded frames), its boxes
``T'×N×4`` float XYXY in pixels of those frames (or ``None``) with a ``T'×N`` bool mask, and a
``torch.Generator``; it returns one or more :class:`View` s (three for the 3-crop evaluation), each
still uint8. Every random parameter is drawn once per clip from the generator passed in, then the
functional API (``torchvision.transforms.v2.functional``) is applied to ``tv_tensors.Video`` and
``tv_tensors.BoundingBoxes`` alike, so both see the same crop, resize and flip. The clip is resized
once as a whole (not frame by frame), and stays uint8: batches cross from the loader workers as
uint8 and are normalised where they are used (:mod:`strg.data.normalization`).

After the last step, boxes are clipped to the view and a box narrower or lower than
``min_box_size`` pixels is masked (and zeroed), as are padded boxes.

Training crops (``--train_crop``): ``random`` (RandomResizedCrop, area ``[train_crop_min_scale,
1]``, aspect ``[r, 1/r]``), ``corner`` (MultiScaleCornerCrop: a square of ``short side × scale``
at the centre or a corner, scales ``2^(-k/4)``, k = 0..4), ``center`` (resize the short side,
centre crop). Then a horizontal flip with p = 0.5 unless ``no_hflip``, then colour jitter when
``colorjitter``. Evaluation crops: ``center``, ``three`` (three squares along the long side),
``nocrop`` (short side resized only).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import torch
from torchvision import tv_tensors
from torchvision.transforms.v2 import functional as F  # noqa: N812 (torchvision's own idiom)

from strg.data.settings import DataSettings

#: MultiScaleCornerCrop's scales in main.py.
CORNER_SCALES = (1.0, 2**-0.25, 2**-0.5, 2**-0.75, 0.5)
CORNER_POSITIONS = ("c", "tl", "tr", "bl", "br")
TRAIN_CROPS = ("random", "corner", "center")
EVAL_CROPS = ("center", "three", "nocrop")
#: Colour jitter strengths of ``--colorjitter`` (the original's were all zero, a no-op).
COLORJITTER = {"brightness": 0.4, "contrast": 0.4, "saturation": 0.4, "hue": 0.1}

Step = Callable[[torch.Tensor], torch.Tensor]


@dataclass
class View:
    """A transformed clip: ``video`` T×C×H×W uint8, ``boxes`` T'×N×4 and ``mask`` T'×N (or
    ``None``), ``flipped`` whether it was mirrored (for label swapping)."""

    video: torch.Tensor
    boxes: torch.Tensor | None
    mask: torch.Tensor | None
    flipped: bool = False


def _uniform(low: float, high: float, generator: torch.Generator) -> float:
    return low + (high - low) * float(torch.rand((), generator=generator, dtype=torch.float64))


def _randint(high: int, generator: torch.Generator) -> int:
    return int(torch.randint(high, (1,), generator=generator).item())


def random_resized_crop_params(
    height: int,
    width: int,
    scale: tuple[float, float],
    ratio: tuple[float, float],
    generator: torch.Generator,
) -> tuple[int, int, int, int]:
    """(top, left, h, w) as ``v2.RandomResizedCrop`` draws them, from ``generator``."""
    area = height * width
    log_ratio = (math.log(ratio[0]), math.log(ratio[1]))
    for _ in range(10):
        target_area = area * _uniform(scale[0], scale[1], generator)
        aspect = math.exp(_uniform(log_ratio[0], log_ratio[1], generator))
        w = round(math.sqrt(target_area * aspect))
        h = round(math.sqrt(target_area / aspect))
        if 0 < w <= width and 0 < h <= height:
            return _randint(height - h + 1, generator), _randint(width - w + 1, generator), h, w
    in_ratio = width / height
    if in_ratio < min(ratio):
        w, h = width, round(width / min(ratio))
    elif in_ratio > max(ratio):
        h, w = height, round(height * max(ratio))
    else:
        w, h = width, height
    return (height - h) // 2, (width - w) // 2, h, w


def _corner_box(height: int, width: int, side: int, position: str) -> tuple[int, int]:
    """(top, left) of a ``side`` square at ``position`` (c, tl, tr, bl, br)."""
    if position == "c":
        return (height - side) // 2, (width - side) // 2
    top = 0 if position[0] == "t" else height - side
    left = 0 if position[1] == "l" else width - side
    return top, left


class JointTransform:
    """Base of the joint transforms: :meth:`draw` picks the steps of each view, ``__call__``
    applies them to frames and boxes. Build with :func:`build_spatial_transform`."""

    colorjitter: bool = False
    min_box_size: float = 1.0

    def draw(
        self, height: int, width: int, generator: torch.Generator
    ) -> list[tuple[list[Step], bool]]:
        """The steps of each view and whether the view is flipped."""
        raise NotImplementedError

    def __call__(
        self,
        video: torch.Tensor,
        boxes: torch.Tensor | None,
        mask: torch.Tensor | None,
        generator: torch.Generator,
    ) -> list[View]:
        if video.ndim != 4:
            raise ValueError(f"video must be T×C×H×W, got {tuple(video.shape)}")
        height, width = video.shape[-2:]
        if boxes is not None and (boxes.ndim != 3 or boxes.shape[-1] != 4 or mask is None):
            raise ValueError(f"boxes must be T'×N×4 with a T'×N mask, got {tuple(boxes.shape)}")
        views = []
        for steps, flipped in self.draw(height, width, generator):
            out = tv_tensors.Video(video)
            flat = None
            if boxes is not None:
                flat = tv_tensors.BoundingBoxes(
                    boxes.reshape(-1, 4).float(), format="XYXY", canvas_size=(height, width)
                )
            for step in steps:
                out = step(out)
                if flat is not None:
                    flat = step(flat)
            if self.colorjitter:
                out = _color_jitter(out, generator)
            view_boxes, view_mask = None, None
            if flat is not None:
                view_boxes, view_mask = _finish_boxes(flat, boxes.shape, mask, self.min_box_size)
            views.append(View(out.as_subclass(torch.Tensor), view_boxes, view_mask, flipped))
        return views


@dataclass(frozen=True)
class TrainTransform(JointTransform):
    """Training: one view, crop ``train_crop``, flip unless ``no_hflip``, optional jitter."""

    sample_size: int = DataSettings.sample_size
    train_crop: str = "random"
    scale: tuple[float, float] = (0.25, 1.0)
    ratio: tuple[float, float] = (0.75, 1 / 0.75)
    no_hflip: bool = False
    colorjitter: bool = False
    min_box_size: float = 1.0

    def draw(
        self, height: int, width: int, generator: torch.Generator
    ) -> list[tuple[list[Step], bool]]:
        size = self.sample_size
        if self.train_crop == "random":
            params = random_resized_crop_params(height, width, self.scale, self.ratio, generator)
            steps = [_resized_crop(*params, size)]
        elif self.train_crop == "corner":
            scale = CORNER_SCALES[_randint(len(CORNER_SCALES), generator)]
            position = CORNER_POSITIONS[_randint(len(CORNER_POSITIONS), generator)]
            side = int(min(height, width) * scale)
            top, left = _corner_box(height, width, side, position)
            steps = [_resized_crop(top, left, side, side, size)]
        else:
            steps = [_resize_short(size), _center_crop(size)]
        flipped = False
        if not self.no_hflip:
            flipped = bool(torch.rand((), generator=generator) < 0.5)
            if flipped:
                steps.append(_hflip)
        return [(steps, flipped)]


@dataclass(frozen=True)
class EvalTransform(JointTransform):
    """Evaluation: ``crop`` is center (one view), three (three views) or nocrop (one view)."""

    sample_size: int = DataSettings.sample_size
    crop: str = "center"
    min_box_size: float = 1.0

    def draw(
        self, height: int, width: int, generator: torch.Generator
    ) -> list[tuple[list[Step], bool]]:
        size = self.sample_size
        if self.crop == "nocrop":
            return [([_resize_short(size)], False)]
        if self.crop == "center":
            return [([_resize_short(size), _center_crop(size)], False)]
        new_h, new_w = _short_side_size(height, width, size)
        views = []
        for fraction in (0.0, 0.5, 1.0):
            top = round((new_h - size) * fraction) if new_h > new_w else 0
            left = round((new_w - size) * fraction) if new_w >= new_h else 0
            views.append(([_resize_short(size), _crop(top, left, size, size)], False))
        return views


def _finish_boxes(
    flat: tv_tensors.BoundingBoxes,
    shape: torch.Size,
    mask: torch.Tensor,
    min_box_size: float,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Clip to the canvas, mask degenerate and padded boxes, zero the masked ones."""
    height, width = flat.canvas_size
    boxes = flat.as_subclass(torch.Tensor).reshape(shape).clone()
    boxes[..., 0::2] = boxes[..., 0::2].clamp(0, width)
    boxes[..., 1::2] = boxes[..., 1::2].clamp(0, height)
    size_ok = (boxes[..., 2] - boxes[..., 0] >= min_box_size) & (
        boxes[..., 3] - boxes[..., 1] >= min_box_size
    )
    keep = mask.bool() & size_ok
    boxes[~keep] = 0
    return boxes, keep


def _color_jitter(video: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """ColorJitter with :data:`COLORJITTER` strengths; factors and order from ``generator``."""
    operations = {
        "brightness": F.adjust_brightness,
        "contrast": F.adjust_contrast,
        "saturation": F.adjust_saturation,
    }
    order = torch.randperm(4, generator=generator).tolist()
    names = ["brightness", "contrast", "saturation", "hue"]
    for position in order:
        name = names[position]
        strength = COLORJITTER[name]
        if name == "hue":
            video = F.adjust_hue(video, _uniform(-strength, strength, generator))
        else:
            factor = _uniform(max(0.0, 1 - strength), 1 + strength, generator)
            video = operations[name](video, factor)
    return video


def _resize_short(size: int) -> Step:
    return lambda x: F.resize(x, [size], antialias=True)


def _center_crop(size: int) -> Step:
    return lambda x: F.center_crop(x, [size, size])


def _resized_crop(top: int, left: int, h: int, w: int, size: int) -> Step:
    return lambda x: F.resized_crop(x, top, left, h, w, [size, size], antialias=True)


def _crop(top: int, left: int, h: int, w: int) -> Step:
    return lambda x: F.crop(x, top, left, h, w)


def _hflip(x: torch.Tensor) -> torch.Tensor:
    return F.horizontal_flip(x)


def build_spatial_transform(
    phase: str,
    sample_size: int = DataSettings.sample_size,
    train_crop: str = DataSettings.train_crop,
    train_crop_min_scale: float = DataSettings.train_crop_min_scale,
    train_crop_min_ratio: float = DataSettings.train_crop_min_ratio,
    no_hflip: bool = False,
    colorjitter: bool = False,
    inference_crop: str = DataSettings.inference_crop,
    min_box_size: float = 1.0,
) -> JointTransform:
    """The joint transform of ``phase``: ``train`` (``train_crop``, flip, jitter), ``val``
    (resize + centre crop) or ``inference`` (``inference_crop``: center, three, nocrop)."""
    if phase == "train":
        if train_crop not in TRAIN_CROPS:
            raise ValueError(f"unknown train_crop {train_crop!r}; valid: {', '.join(TRAIN_CROPS)}")
        if not 0 < train_crop_min_scale <= 1 or not 0 < train_crop_min_ratio <= 1:
            raise ValueError("train_crop_min_scale and train_crop_min_ratio must be in (0, 1]")
        return TrainTransform(
            sample_size=sample_size,
            train_crop=train_crop,
            scale=(train_crop_min_scale, 1.0),
            ratio=(train_crop_min_ratio, 1 / train_crop_min_ratio),
            no_hflip=no_hflip,
            colorjitter=colorjitter,
            min_box_size=min_box_size,
        )
    if phase not in ("val", "inference"):
        raise ValueError(f"unknown phase {phase!r}; valid: train, val, inference")
    crop = "center" if phase == "val" else inference_crop
    if crop not in EVAL_CROPS:
        raise ValueError(f"unknown inference_crop {crop!r}; valid: {', '.join(EVAL_CROPS)}")
    return EvalTransform(sample_size=sample_size, crop=crop, min_box_size=min_box_size)


def _short_side_size(height: int, width: int, size: int) -> tuple[int, int]:
    """(h, w) after resizing the short side to ``size``, as ``F.resize`` rounds it."""
    if height <= width:
        return size, int(size * width / height)
    return int(size * height / width), size
