"""A model's parameters, FLOPs per view and per-stage feature shapes (``model_info``).

FLOPs are ``torch.utils.flop_counter`` counts of one forward pass of one view (batch 1), shown
both as FLOPs and as multiply-adds (FLOPs / 2, what fvcore-style tables such as the Non-local
paper's 37.5 G for I3D-R50 at 8×224² report).
"""

from __future__ import annotations

import torch
from torch import nn
from torch.utils.flop_counter import FlopCounterMode


def dummy_boxes(
    steps: int, nrois: int, size: int, batch: int = 1
) -> tuple[torch.Tensor, torch.Tensor]:
    """A deterministic grid of boxes ``batch×T'×N×4`` inside a ``size``² clip, all valid."""
    n = torch.arange(nrois, dtype=torch.float32)
    x1 = (n % 4) * size / 5
    y1 = (n // 4 % 4) * size / 5
    one = torch.stack([x1, y1, x1 + size / 4, y1 + size / 4], dim=1)  # N×4
    boxes = one.expand(batch, steps, nrois, 4).clone()
    return boxes, torch.ones(batch, steps, nrois, dtype=torch.bool)


def model_inputs(
    model: nn.Module, duration: int, size: int, nrois: int = 10, batch: int = 1
) -> tuple[torch.Tensor, ...]:
    """Inputs for one forward pass: ``(clip,)`` or, for STRG, ``(clip, boxes, valid)``."""
    channels = getattr(getattr(model, "backbone", model), "n_input_channels", 3)
    clip = torch.randn(batch, channels, duration, size, size)
    if not hasattr(model, "backbone"):
        return (clip,)
    with torch.no_grad():
        steps = model.backbone.forward_features(clip[:1]).shape[2]
    return (clip, *dummy_boxes(steps, model.nrois or nrois, size, batch))


def stage_shapes(model: nn.Module, inputs: tuple[torch.Tensor, ...]) -> list[tuple[str, tuple]]:
    """``(name, C×T×H×W)`` after each top-level child of the backbone, in execution order."""
    backbone = getattr(model, "backbone", model)
    root = (
        backbone.features
        if isinstance(getattr(backbone, "features", None), nn.Sequential)
        else backbone
    )
    shapes: list[tuple[str, tuple]] = []
    hooks = []
    for name, child in root.named_children():

        def hook(_m, _i, out, name=name):
            if isinstance(out, torch.Tensor) and out.dim() == 5 and name not in dict(shapes):
                shapes.append((name, tuple(out.shape[1:])))

        hooks.append(child.register_forward_hook(hook))
    try:
        with torch.no_grad():
            model.eval()(*inputs)
    finally:
        for h in hooks:
            h.remove()
    return shapes


def count_flops(model: nn.Module, inputs: tuple[torch.Tensor, ...]) -> int:
    """FLOPs of one forward pass (torch.utils.flop_counter; a multiply-add counts 2)."""
    counter = FlopCounterMode(display=False)
    with torch.no_grad(), counter:
        model.eval()(*inputs)
    return counter.get_total_flops()
