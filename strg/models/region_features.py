"""Region features: RoIAlign per feature time step, then max over the RoI grid.

Boxes are float XYXY in continuous pixel coordinates of the input clip (``strg.structures``),
one set per feature time step. ``spatial_scale`` is ``1 / backbone.spatial_stride``;
``aligned=True`` because in continuous coordinates the centre of feature cell ``i`` sits at input
pixel ``(i + 0.5) * stride``, which is what aligned RoIAlign assumes.
"""

from __future__ import annotations

import torch
from torchvision.ops import roi_align

from strg.models.tracing import is_recording


def check_boxes(boxes: torch.Tensor, valid: torch.Tensor, steps: int | None = None) -> None:
    """Raise a ValueError unless ``boxes`` is ``B×T'×N×4`` XYXY and ``valid`` is ``B×T'×N`` bool.

    ``steps`` is the expected T' (the feature map's). Valid boxes must have ``x1 <= x2`` and
    ``y1 <= y2``, which catches XYWH and swapped layouts in most real data. That check reads the
    values, so it runs in eager mode only (:func:`strg.models.tracing.is_recording`).
    """
    if boxes.dim() != 4 or boxes.shape[-1] != 4:
        raise ValueError(f"boxes must be B×T'×N×4 (x1, y1, x2, y2), got {tuple(boxes.shape)}")
    if valid.shape != boxes.shape[:3] or valid.dtype != torch.bool:
        raise ValueError(
            f"valid must be a bool B×T'×N mask matching boxes {tuple(boxes.shape)}, "
            f"got {valid.dtype} {tuple(valid.shape)}"
        )
    if steps is not None and boxes.shape[1] != steps:
        raise ValueError(
            f"boxes have T'={boxes.shape[1]} steps {tuple(boxes.shape)} but the feature map has "
            f"T'={steps}; give one box set per feature time step"
        )
    if is_recording():  # the value check reads tensors: eager only (strg.models.tracing)
        return
    wrong = (boxes[..., 2:] < boxes[..., :2]).any(dim=-1) | ~torch.isfinite(boxes).all(dim=-1)
    wrong &= valid
    if wrong.any():
        raise ValueError(
            "valid boxes must be finite XYXY with x1 <= x2 and y1 <= y2; "
            f"got {boxes[wrong][0].tolist()}"
        )


def clips_without_boxes(valid: torch.Tensor) -> int:
    """How many clips of a batch mask ``valid`` ``B×T'×N`` (bool) have no valid box at all.

    Such a clip (every box cropped away, or none stored) has no nodes: its graph feature is 0
    and only its global feature reaches the classifier. On a GPU mask the count syncs.
    """
    if valid.dim() != 3 or valid.dtype != torch.bool:
        raise ValueError(
            f"valid must be a bool B×T'×N mask, got {valid.dtype} {tuple(valid.shape)}"
        )
    return int((~valid.flatten(1).any(dim=1)).sum())


def region_features(
    features: torch.Tensor,
    boxes: torch.Tensor,
    valid: torch.Tensor,
    spatial_scale: float,
    output_size: int = 7,
) -> torch.Tensor:
    """Pool one feature vector per box.

    Args:
        features: ``B×D×T'×H'×W'`` (already reduced to D channels: RoIAlign costs D).
        boxes: ``B×T'×N×4`` XYXY in input-clip pixels; box (b, t, n) reads step t of clip b.
        valid: ``B×T'×N`` bool; padded boxes are skipped and their rows are zero.
        spatial_scale: feature cells per input pixel, ``1 / spatial_stride``.
        output_size: RoIAlign grid (7×7 in the paper), max-pooled to one vector.

    Returns:
        ``B×M×D`` node features, ``M = T'·N``, node ``m = t·N + n``.
    """
    if features.dim() != 5:
        raise ValueError(f"features must be B×D×T'×H'×W', got {tuple(features.shape)}")
    b, d, steps, h, w = features.shape
    check_boxes(boxes, valid, steps)
    if boxes.shape[0] != b:
        raise ValueError(
            f"boxes {tuple(boxes.shape)} and features {tuple(features.shape)}: B differs"
        )
    n = boxes.shape[2]
    # One image per (clip, step): index b·T' + t, matching the box's (b, t).
    images = features.permute(0, 2, 1, 3, 4).reshape(b * steps, d, h, w)
    image_index = torch.arange(b * steps, device=boxes.device).view(b, steps, 1).expand(b, steps, n)
    # Every box is pooled and the padded ones are masked after, rather than selected with
    # boxes[valid]: a data-dependent number of RoIs cannot be traced, compiled or exported.
    # Each RoI is pooled on its own, so the valid rows are the values selection gives; a padded
    # box (any values, NaN included) is pooled as the empty box (0, 0, 0, 0), which gives 0.
    row_valid = valid.reshape(-1, 1)
    safe = torch.where(row_valid, boxes.reshape(-1, 4), torch.zeros((), dtype=boxes.dtype))
    rois = torch.cat([image_index.reshape(-1, 1).to(boxes.dtype), safe], dim=1)
    # torchvision's CPU roi_align has no bf16 kernel and the op is cheap once D is reduced.
    with torch.autocast(device_type=features.device.type, enabled=False):
        pooled = roi_align(
            images.float(),
            rois.float(),
            output_size,
            spatial_scale,
            sampling_ratio=-1,
            aligned=True,
        )
    node = pooled.amax(dim=(2, 3)).to(features.dtype)  # max over the grid [paper]
    out = torch.where(row_valid, node, torch.zeros((), dtype=node.dtype, device=node.device))
    return out.view(b, steps * n, d)
