"""Initialise an I3D ResNet by inflating a 2D torchvision ResNet state dict.

Each 2D kernel ``O×I×h×w`` becomes ``O×I×t×h×w`` by repeating it over time and dividing by
``t``, so that a clip of identical frames gives every time step the 2D network's activations
(away from the zero-padded temporal borders). Keys map one to one because
:mod:`strg.models.i3d` uses torchvision's names.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import torch
from torch import nn

from strg.models.state_dict import read_state_dict


def inflate_state_dict(
    model: nn.Module, state_2d: Mapping[str, torch.Tensor], load_fc: bool = True
) -> dict[str, torch.Tensor]:
    """Return a state dict for ``model`` built from the 2D ``state_2d``.

    Entries the 2D network does not have (non-local blocks, ``num_batches_tracked``) keep the
    model's own initial values; so does ``fc`` when ``load_fc`` is False or its class count
    differs (ImageNet's 1000 vs the target's K). Anything else that is missing, left over or of
    an incompatible shape raises a ValueError naming it.
    """
    target = model.state_dict()
    out: dict[str, torch.Tensor] = {}
    missing, bad = [], []
    for key, value in target.items():
        source = state_2d.get(key)
        is_fc = key.startswith("fc.")
        if source is None or (is_fc and (not load_fc or source.shape != value.shape)):
            new_in_3d = ".nl." in key or key.endswith("num_batches_tracked")
            if source is None and not new_in_3d:
                missing.append(key)
            out[key] = value
        elif value.dim() == 5 and source.dim() == 4:
            t = value.shape[2]
            if source.shape != value.shape[:2] + value.shape[3:]:
                bad.append(f"{key}: 2D {tuple(source.shape)} vs 3D {tuple(value.shape)}")
                continue
            out[key] = source.unsqueeze(2).repeat(1, 1, t, 1, 1) / t
        elif source.shape == value.shape:
            out[key] = source.to(value.dtype)
        else:
            bad.append(f"{key}: 2D {tuple(source.shape)} vs 3D {tuple(value.shape)}")
    unexpected = [k for k in state_2d if k not in target]
    if missing or bad or unexpected:
        raise ValueError(
            "cannot inflate the 2D state dict: "
            f"missing {missing}, unexpected {unexpected}, incompatible shapes {bad}"
        )
    return out


def inflate_from_2d(
    model: nn.Module, source: str | Path | Mapping, load_fc: bool = True
) -> nn.Module:
    """Load a 2D torchvision ResNet state dict (a file or a mapping) into ``model``, inflated.

    A file is what ``torch.save(torchvision.models.resnet50(weights=...).state_dict(), path)``
    writes, or torchvision's own downloaded ``resnet50-*.pth``.
    """
    model.load_state_dict(inflate_state_dict(model, read_state_dict(source), load_fc))
    return model
