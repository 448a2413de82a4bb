"""Load the I3D backbone checkpoint published with the Something-Else code (Materzynska et al.).

Assumed format (documented here because it cannot be checked offline): a ``torch.save``'d dict
whose ``state_dict`` (or the dict itself) holds a torchvision-named ResNet-50 I3D, possibly under
a prefix such as ``module.`` (DataParallel) and/or the attribute naming the backbone inside their
video model (for example ``module.i3D.``): ``conv1.weight`` (64×3×5×7×7), ``bn1.*``,
``layer{1-4}.{i}.conv{1,2,3}.weight``, ``...bn{1,2,3}.*``, ``...downsample.{0,1}.*``. The prefix is
found as the one in front of ``conv1.weight``. Keys outside it (their classifier and
coordinate heads) are ignored; keys inside it must fit our :class:`~strg.models.i3d.I3DResNet`
exactly (a non-local checkpoint with other block names fails with the names listed). ``fc.*``
is loaded only when present, wanted and of the model's shape.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import torch
from torch import nn

from strg.models.state_dict import check_state_dict, read_state_dict


def find_backbone_prefix(keys: list[str]) -> str:
    """The prefix in front of ``conv1.weight`` that also fronts ``layer1.0.conv1.weight``."""
    for key in keys:
        if key.endswith("conv1.weight") and not key.endswith(("_conv1.weight", ".0.conv1.weight")):
            prefix = key.removesuffix("conv1.weight")
            if prefix + "layer1.0.conv1.weight" in keys:
                return prefix
    raise ValueError(
        "no I3D backbone in this checkpoint: no '<prefix>conv1.weight' with "
        f"'<prefix>layer1.0.conv1.weight'; first keys: {keys[:8]}"
    )


def load_something_else_i3d(
    model: nn.Module, source: str | Path | Mapping, load_fc: bool = False
) -> nn.Module:
    """Load the Something-Else I3D checkpoint into an I3D ResNet-50 ``model``."""
    raw = read_state_dict(source)
    prefix = find_backbone_prefix(list(raw))
    backbone = {k.removeprefix(prefix): v for k, v in raw.items() if k.startswith(prefix)}
    target = model.state_dict()
    fc_fits = all(
        k in backbone and backbone[k].shape == target[k].shape for k in ("fc.weight", "fc.bias")
    )
    if not (load_fc and fc_fits):
        if load_fc:
            raise ValueError(
                "load_fc: the checkpoint's fc "
                f"{[tuple(backbone[k].shape) for k in ('fc.weight', 'fc.bias') if k in backbone]} "
                f"does not fit the model's {tuple(target['fc.weight'].shape)}"
            )
        backbone = {k: v for k, v in backbone.items() if not k.startswith("fc.")}
        backbone.update({k: v for k, v in target.items() if k.startswith("fc.")})
    for key, value in target.items():  # older torch versions saved no num_batches_tracked
        if key.endswith("num_batches_tracked"):
            backbone.setdefault(key, torch.zeros_like(value))
    check_state_dict(model, backbone)
    model.load_state_dict(backbone, strict=True)
    return model
