"""Boxes of a clip: one box set per backbone feature time step, from the proposal store.

The backbone reduces the T sampled frames to T' feature steps with a temporal stride ``s`` (read
from the backbone by the caller: 2 for the STRG I3D, ``T`` for a 3D ResNet ending at T' = 1).
**Rule:** feature step ``t'`` takes the boxes of sampled frame ``t' · s`` (the first frame of its
window, which is the centre of the receptive field of the stride-2, kernel-3, padding-1 temporal
convs and pools), so T' = ceil(T / s); with the paper's 32 frames at ``s = 2`` that is boxes on
every 2nd input frame, 16 steps. Each such frame takes the boxes of the nearest frame the store
holds (:meth:`VideoProposals.select`), the best ``nrois`` by score, padded with a mask.
Boxes are then rescaled from the frame size the store measured on to the decoded frame size.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch

from strg.data.proposal_store import VideoProposals


def feature_step_frames(frame_indices: Sequence[int], temporal_stride: int) -> list[int]:
    """The sampled frames whose boxes stand for each feature step (see the module docstring)."""
    if temporal_stride < 1:
        raise ValueError(f"temporal_stride must be >= 1, got {temporal_stride}")
    return list(frame_indices)[::temporal_stride]


def clip_boxes(
    proposals: VideoProposals,
    frame_indices: Sequence[int],
    nrois: int,
    temporal_stride: int,
    frame_size: tuple[int, int],
) -> tuple[torch.Tensor, torch.Tensor]:
    """Boxes T'×N×4 (float32 XYXY, pixels of frames of ``frame_size`` = (H, W)) and mask T'×N
    for the clip sampled at ``frame_indices``; N = ``nrois``."""
    steps = feature_step_frames(frame_indices, temporal_stride)
    boxes, _, mask = proposals.select(steps, nrois)
    boxes_t = torch.from_numpy(boxes)
    (stored_h, stored_w), (height, width) = proposals.frame_size, frame_size
    if stored_h <= 0 or stored_w <= 0:
        raise ValueError(f"proposal frame_size must be positive, got {proposals.frame_size}")
    scale = torch.tensor([width / stored_w, height / stored_h] * 2, dtype=torch.float32)
    return boxes_t * scale, torch.from_numpy(mask)
