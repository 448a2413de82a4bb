"""Collate: the items of several videos into one :class:`~strg.structures.Batch`."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import torch
from torch.utils.data import get_worker_info

from strg.data.records import DataError
from strg.data.spatial import normalize
from strg.structures import Batch, VideoItem

#: (mean, std, value_scale) as :func:`strg.data.spatial.mean_std` gives them.
Normalization = tuple[Sequence[float], Sequence[float], float]


def _stack(tensors: list[torch.Tensor], what: str) -> torch.Tensor:
    shapes = {tuple(tensor.shape) for tensor in tensors}
    if len(shapes) > 1:
        raise DataError(
            f"the {what} of one batch differ in shape {sorted(shapes)} (with inference_crop "
            "'nocrop', videos of different sizes need inference_batch_size 1)"
        )
    return torch.stack(tensors)


def _empty_batch(shape: tuple[int, ...]) -> torch.Tensor:
    """An uninitialised float32 tensor of ``shape``, in shared memory inside a loader worker.

    Allocated there directly, as ``default_collate`` does: ``share_memory_()`` on a fresh tensor
    would copy it into a new segment, touching every page twice (about 10 ms per 32×224² clip,
    as much as the normalisation itself).
    """
    if get_worker_info() is None:
        return torch.empty(shape, dtype=torch.float32)
    storage = torch.UntypedStorage._new_shared(math.prod(shape) * 4)
    return torch.empty(0, dtype=torch.float32).set_(storage, 0, shape)


def _frames(clips: list, normalization: Normalization | None) -> torch.Tensor:
    """B×C×T×H×W: the uint8 clips normalised straight into one batch tensor (in shared memory
    inside a loader worker, so handing it to the main process copies nothing)."""
    shapes = {tuple(clip.frames.shape) for clip in clips}
    if len(shapes) > 1:
        _stack([clip.frames for clip in clips], "clips")  # raises with the shapes
    if normalization is None:
        return _stack([clip.frames for clip in clips], "clips")
    out = _empty_batch((len(clips), *shapes.pop()))
    for row, clip in enumerate(clips):
        normalize(clip.frames, *normalization, out=out[row])
    return out


@dataclass(frozen=True)
class VideoCollate:
    """:func:`collate_videos` with the data set's normalisation (a picklable callable)."""

    mean: tuple[float, ...]
    std: tuple[float, ...]
    value_scale: float = 1

    def __call__(self, items: Sequence[VideoItem]) -> Batch:
        return collate_videos(items, (self.mean, self.std, self.value_scale))


def collate_videos(items: Sequence[VideoItem], normalization: Normalization | None = None) -> Batch:
    """All clips of all ``items`` stacked along B, in order; ``video_index`` maps clip → video.

    frames B×C×T×H×W: float32 normalised with ``normalization`` = (mean, std, value_scale),
    uint8 as they are without it; boxes B×T'×N×4 and box_mask B×T'×N (``None`` without
    proposals); targets B int64, or B×K float32 for multi-hot targets.
    """
    clips = [clip for item in items for clip in item.clips]
    if not clips:
        raise DataError("cannot collate an empty batch")
    has_boxes = {clip.boxes is not None for clip in clips}
    if len(has_boxes) > 1:
        raise DataError("some clips of the batch have boxes and some do not")
    targets = [clip.target for clip in clips]
    if isinstance(targets[0], torch.Tensor):
        target_tensor = _stack(targets, "targets")
    else:
        target_tensor = torch.tensor(targets, dtype=torch.int64)
    video_ids = [item.clips[0].video_id for item in items]
    video_index = torch.tensor(
        [position for position, item in enumerate(items) for _ in item.clips], dtype=torch.int64
    )
    boxes = box_mask = None
    if has_boxes == {True}:
        boxes = _stack([clip.boxes for clip in clips], "boxes")
        box_mask = _stack([clip.box_mask for clip in clips], "box masks")
    return Batch(
        frames=_frames(clips, normalization),
        targets=target_tensor,
        video_ids=video_ids,
        video_index=video_index,
        segments=[clip.segment for clip in clips],
        boxes=boxes,
        box_mask=box_mask,
        skipped=[entry for item in items for entry in item.skipped],
    )
