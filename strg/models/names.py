"""The ``--model`` names: which backbone family each builds and whether the region graph is on.

This table is the one owner of "is this STRG?". It imports nothing, so the option parser and
:mod:`strg.config` read it without loading torch.
"""

from __future__ import annotations

#: ``--model`` name → (backbone family, whether the STRG head goes on top).
MODELS: dict[str, tuple[str, bool]] = {
    "resnet": ("resnet", False),
    "resnet2p1d": ("resnet2p1d", False),
    "preresnet": ("preresnet", False),
    "wideresnet": ("wideresnet", False),
    "resnext": ("resnext", False),
    "densenet": ("densenet", False),
    "i3d": ("i3d", False),
    "resnet_strg": ("resnet", True),  # jd730/STRG's name: STRG over the 3D ResNet
    "i3d_strg": ("i3d", True),  # the paper's model
}


def _entry(name: str) -> tuple[str, bool]:
    try:
        return MODELS[name]
    except KeyError:
        raise ValueError(f"unknown model {name!r}; valid: {', '.join(MODELS)}") from None


def backbone_family(name: str) -> str:
    """The backbone family of the model ``name`` (``resnet_strg`` → ``resnet``)."""
    return _entry(name)[0]


def has_region_graph(name: str, strg: bool = False) -> bool:
    """Whether the model ``name``, with ``--strg`` given or not, carries the region-graph head."""
    return strg or _entry(name)[1]


def arch_name(name: str, depth: int, strg: bool = False) -> str:
    """``{model}-{depth}`` as 3D-ResNets-PyTorch writes it, ``_strg`` added for the graph head."""
    if has_region_graph(name, strg) and not _entry(name)[1]:
        name = f"{name}_strg"
    return f"{name}-{depth}"


#: ``--pretrain_format`` names, in the order :data:`strg.models.pretrained.FORMATS` tries to
#: describe them; ``auto`` detects the format from the file. Here so that the option parser
#: reads them without loading torch (pretrained.py checks its table against this list).
PRETRAIN_FORMATS: tuple[str, ...] = (
    "3d-resnets",
    "torchvision-2d",
    "torchvision-video",
    "caffe2",
    "something-else",
    "pyslowfast",
    "mmaction2",
)
