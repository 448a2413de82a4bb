"""The region graphs: learned similarity and the forward / backward IoU graphs.

All graphs are ``B×M×M`` over nodes ``m = t·N + n`` (M = T'·N); padded nodes have zero rows
and zero columns.
"""

from __future__ import annotations

import torch
from torch import nn
from torchvision.ops import box_iou


class SimilarityGraph(nn.Module):
    """``G[i, j] = softmax_j((W x_i)ᵀ (W' x_j))`` over valid j; padded rows are zero.

    W and W' are trained through the graph: nothing here is detached. The paper's F has no
    scale; ``scale=True`` divides the logits by √D as the non-local block does (the authors'
    ``USE_SCALE``). With it a fresh graph is nearly uniform (issue #12 measured a logit spread of
    0.06 within a row, row entropy 0.999 of uniform, on the embedded data set), so it is an
    option, off by default.
    """

    def __init__(self, dim: int, scale: bool = False) -> None:
        super().__init__()
        self.theta = nn.Linear(dim, dim, bias=False)
        self.phi = nn.Linear(dim, dim, bias=False)
        self.scale = dim**-0.5 if scale else 1.0

    def forward(self, x: torch.Tensor, valid: torch.Tensor) -> torch.Tensor:
        """``x`` ``B×M×D``, ``valid`` ``B×M`` bool → ``B×M×M``."""
        if x.dim() != 3 or valid.shape != x.shape[:2]:
            raise ValueError(
                f"x must be B×M×D and valid B×M, got {tuple(x.shape)}, {tuple(valid.shape)}"
            )
        logits = torch.einsum("bid,bjd->bij", self.theta(x), self.phi(x)) * self.scale
        logits = logits.masked_fill(~valid[:, None, :], torch.finfo(logits.dtype).min)
        graph = logits.softmax(dim=-1)
        # A row of a padded node (or of a clip without boxes) must not spread weight anywhere.
        return graph * valid[:, :, None]


def iou_graphs(
    boxes: torch.Tensor, valid: torch.Tensor, threshold: float = 0.0
) -> tuple[torch.Tensor, torch.Tensor]:
    """Forward and backward spatial-temporal graphs from the boxes (no gradient).

    Forward: edge from box i at step t to box j at step t+1 with weight IoU(i, j) when it
    exceeds ``threshold``, each row divided by its sum; a row without overlap stays zero.
    Backward: the same from t+1 to t. No edges within a step; padded nodes have none.

    Args:
        boxes: ``B×T'×N×4`` XYXY; valid: ``B×T'×N`` bool.

    Returns:
        ``(forward, backward)``, each ``B×M×M``.
    """
    if boxes.dim() != 4 or boxes.shape[-1] != 4 or valid.shape != boxes.shape[:3]:
        raise ValueError(
            f"boxes must be B×T'×N×4 and valid B×T'×N, "
            f"got {tuple(boxes.shape)}, {tuple(valid.shape)}"
        )
    b, steps, n, _ = boxes.shape
    with torch.no_grad():
        flat = boxes.reshape(b, steps * n, 4).float()
        # vmap rather than a loop over the clips: a graph of any batch size can be recorded
        # (strg.models.tracing), and each entry is box_iou's own arithmetic on the same pair.
        iou = torch.vmap(box_iou)(flat, flat)  # B×M×M
        step = torch.arange(steps, device=boxes.device).repeat_interleave(n)  # M
        next_step = step[None, :] == step[:, None] + 1  # M×M: j is one step after i
        node_valid = valid.reshape(b, steps * n)
        pair_valid = node_valid[:, :, None] & node_valid[:, None, :]
        keep = next_step & pair_valid & (iou > threshold)  # iou > t is False for NaN (0/0 areas)
        forward = torch.where(keep, iou, torch.zeros_like(iou))
        backward = forward.transpose(1, 2)
        return _row_normalise(forward), _row_normalise(backward)


def _row_normalise(graph: torch.Tensor) -> torch.Tensor:
    total = graph.sum(dim=-1, keepdim=True)
    return torch.where(total > 0, graph / total.clamp_min(1e-12), torch.zeros_like(graph))
