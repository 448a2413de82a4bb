"""From logits to class scores: per clip, then per video (the one aggregation of the project).

Single-label data: the softmax of each clip, averaged over a video's clips (3D-ResNets-PyTorch).
Multi-label data (Charades): the sigmoid of each clip, the maximum over a video's clips (the
Charades practice). Inference and the graph picture both score videos through here.
"""

from __future__ import annotations

import torch


def clip_scores(logits: torch.Tensor, multi_label: bool = False) -> torch.Tensor:
    """Logits ``B×K`` → class scores ``B×K``: softmax, or sigmoid for multi-label data."""
    return torch.sigmoid(logits) if multi_label else torch.softmax(logits, dim=-1)


def video_scores(scores: torch.Tensor, multi_label: bool = False) -> torch.Tensor:
    """The clip scores ``n×K`` of one video → its scores ``K``: mean, or max for multi-label."""
    if scores.ndim != 2 or len(scores) == 0:
        raise ValueError(f"clip scores must be n×K with n >= 1, got {tuple(scores.shape)}")
    return scores.max(dim=0).values if multi_label else scores.mean(dim=0)
