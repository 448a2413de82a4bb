"""Collate: the items of several videos into one :class:`~strg.structures.Batch`."""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
from torch.utils.data import get_worker_info

from strg.data.records import DataError
from strg.structures import Batch, VideoItem


def _stack(tensors: list[torch.Tensor], what: str) -> torch.Tensor:
    shapes = {tuple(tensor.shape) for tensor in tensors}
    if len(shapes) > 1:
        raise DataError(
            f"the {what} of one batch differ in shape {sorted(shapes)} (with inference_crop "
            "'nocrop', videos of different sizes need inference_batch_size 1)"
        )
    return torch.stack(tensors)


def _empty_batch(shape: tuple[int, ...]) -> torch.Tensor:
    """An uninitialised uint8 tensor of ``shape``, in shared memory inside a loader worker.

    Allocated there directly, as ``default_collate`` does: ``share_memory_()`` on a fresh tensor
    would copy it into a new segment, touching every page twice.
    """
    if get_worker_info() is None:
        return torch.empty(shape, dtype=torch.uint8)
    storage = torch.UntypedStorage._new_shared(math.prod(shape))
    return torch.empty(0, dtype=torch.uint8).set_(storage, 0, shape)


def _frames(clips: list) -> torch.Tensor:
    """B×C×T×H×W uint8, contiguous: the clips (channels-last from the resize) copied into one
    batch tensor (in shared memory inside a loader worker, so handing it over copies nothing)."""
    shapes = {tuple(clip.frames.shape) for clip in clips}
    if len(shapes) > 1:
        _stack([clip.frames for clip in clips], "clips")  # raises with the shapes
    out = _empty_batch((len(clips), *shapes.pop()))
    for row, clip in enumerate(clips):
        out[row].copy_(clip.frames)
    return out


def collate_videos(items: Sequence[VideoItem]) -> Batch:
    """All clips of all ``items`` stacked along B, in order; ``video_index`` maps clip → video.
    Items without clips (videos skipped in evaluation) add only their ``skipped`` entries.

    frames B×C×T×H×W uint8 (a :class:`~strg.data.normalization.Normalization` makes them
    float32 where they are used); boxes B×T'×N×4 and box_mask B×T'×N (``None`` without
    proposals); targets B int64, or B×K float32 for multi-hot targets.
    """
    skipped = [entry for item in items for entry in item.skipped]
    items = [item for item in items if item.clips]  # a skipped video of evaluation has none
    clips = [clip for item in items for clip in item.clips]
    if not clips:
        if skipped:  # every video of the batch was unreadable: only the skips to report
            empty = torch.empty(0, dtype=torch.int64)
            return Batch(torch.empty(0, dtype=torch.uint8), empty, [], empty, [], skipped=skipped)
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
        frames=_frames(clips),
        targets=target_tensor,
        video_ids=video_ids,
        video_index=video_index,
        segments=[clip.segment for clip in clips],
        boxes=boxes,
        box_mask=box_mask,
        skipped=skipped,
    )
