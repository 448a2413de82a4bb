"""Load the I3D checkpoint published with the Something-Else code (Materzynska et al. 2020).

Their backbone (``code/model/resnet3d_xl.py``) is the Non-local paper's ResNet-50 I3D written
with ``nn.Sequential(conv, bn)`` pairs: ``conv1.weight`` (64×3×5×7×7), ``bn1.*``,
``layer{1-4}.{i}.conv{1,2,3}.{0,1}.*``, ``layer{1-4}.{i}.shortcut.{0,1}.*`` and a classifier
(``fc`` in the Kinetics file ``kinetics-res50.pth``, ``classifier`` in their trained models).
Their video models hold it as ``self.i3D`` and save ``model.module.state_dict()``, so keys come
bare, with ``module.``, or under ``i3D.``; the prefix is found in front of
``layer1.0.conv1.0.weight`` and keys outside it (their heads) are left out, named in a note.
Weight shapes are those of :class:`~strg.models.i3d.I3DResNet`; their res5 has stride 1 (as
strg's I3D under the region graph), their stem max-pool no padding (strg's pads 1), and their
inputs are normalised with ImageNet's mean and std.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from torch import nn

from strg.models.layouts import fit_to_target, something_else_to_strg
from strg.models.state_dict import check_state_dict, read_state_dict


def load_something_else_i3d(
    model: nn.Module, source: str | Path | Mapping, load_fc: bool = False
) -> nn.Module:
    """Load the Something-Else I3D checkpoint into an I3D ResNet-50 ``model``.

    ``load_fc``: load their classifier too (it must have the model's class count).
    """
    backbone, _ = something_else_to_strg(read_state_dict(source))
    target = model.state_dict()
    if load_fc:
        have = [tuple(backbone[k].shape) for k in ("fc.weight", "fc.bias") if k in backbone]
        if have != [tuple(target["fc.weight"].shape), tuple(target["fc.bias"].shape)]:
            raise ValueError(
                f"load_fc: the checkpoint's fc {have} does not fit the model's "
                f"{tuple(target['fc.weight'].shape)}"
            )
    else:
        backbone = {k: v for k, v in backbone.items() if not k.startswith("fc.")}
        backbone.update({k: v for k, v in target.items() if k.startswith("fc.")})
    backbone = fit_to_target(backbone, target)
    check_state_dict(model, backbone)
    model.load_state_dict(backbone, strict=True)
    return model
