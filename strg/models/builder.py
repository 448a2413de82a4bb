"""One entry point for every model: ``build_model(name, **options)``.

:data:`strg.models.names.MODELS` names the models. ``build_model`` takes main.py's option names
(``model_depth``, ``resnet_shortcut``, ``n_classes`` …) and, for the head, the keyword names of
:class:`~strg.models.strg.STRG`; each family's :class:`Family` maps the option names to its
``generate_model``'s own parameter names, so the CLI vocabulary stops here. An unknown name or an
option the model does not take fails here, listing the valid ones.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from torch import nn

from strg.models import densenet, i3d, preresnet, resnet, resnet2p1d, resnext, wideresnet
from strg.models.names import MODELS, backbone_family, has_region_graph
from strg.models.strg import STRG

__all__ = ["FAMILIES", "HEAD_OPTIONS", "MODELS", "build_model", "has_region_graph", "model_options"]


@dataclass(frozen=True)
class Family:
    """A backbone family: ``generate(model_depth, **parameters)`` and the options it takes.

    ``options`` maps each build_model option name to the ``generate`` parameter it sets.
    ``under_region_graph`` are the parameters the family gets under the region-graph head
    unless the caller sets them (I3D keeps res5 at stride 1 there: 14×14 maps at 224²).
    """

    generate: Callable[..., nn.Module]
    default_depth: int
    options: Mapping[str, str]
    under_region_graph: Mapping[str, Any] = field(default_factory=dict)


_CLASSES = {"n_classes": "n_classes", "n_input_channels": "n_input_channels"}
_STEM = {
    **_CLASSES,
    "conv1_t_size": "conv1_t_size",
    "conv1_t_stride": "conv1_t_stride",
    "no_max_pool": "no_max_pool",
}
_RESNET = {
    **_STEM,
    "resnet_shortcut": "shortcut_type",
    "temporal_strides": "temporal_strides",
    "spatial_strides": "spatial_strides",
    "max_pool_t_stride": "max_pool_t_stride",
}

FAMILIES: dict[str, Family] = {
    "resnet": Family(resnet.generate_model, 18, {**_RESNET, "resnet_widen_factor": "widen_factor"}),
    "resnet2p1d": Family(
        resnet2p1d.generate_model, 18, {**_RESNET, "resnet_widen_factor": "widen_factor"}
    ),
    "preresnet": Family(preresnet.generate_model, 18, _RESNET),
    "wideresnet": Family(wideresnet.generate_model, 50, {**_RESNET, "wide_resnet_k": "k"}),
    "resnext": Family(
        resnext.generate_model, 50, {**_RESNET, "resnext_cardinality": "cardinality"}
    ),
    "densenet": Family(densenet.generate_model, 121, _STEM),
    "i3d": Family(
        i3d.generate_model,
        50,
        {
            **_CLASSES,
            "res5_stride": "res5_stride",
            "res5_dilation": "res5_dilation",
            "nonlocal_blocks": "nonlocal_blocks",
            "temporal_pool_kernel": "temporal_pool_kernel",
            "dropout": "dropout",
        },
        under_region_graph={"res5_stride": 1},
    ),
}

#: The region-graph head's options: STRG's keyword parameters besides the backbone and classes.
HEAD_OPTIONS: tuple[str, ...] = tuple(
    name for name in inspect.signature(STRG).parameters if name not in ("backbone", "n_classes")
)


def _family(name: str) -> Family:
    return FAMILIES[backbone_family(name)]


def default_depth(name: str) -> int:
    """The depth ``build_model(name)`` builds when none is given (resnet 18, i3d 50, ...)."""
    return _family(name).default_depth


def model_options(name: str, strg: bool = False) -> list[str]:
    """The option names ``build_model(name, strg=strg, ...)`` accepts."""
    names = ["model_depth", *_family(name).options]
    return names + list(HEAD_OPTIONS) if has_region_graph(name, strg) else names


def build_model(name: str, strg: bool = False, **options: Any) -> nn.Module:
    """Build the model ``name`` (a key of :data:`MODELS`) with main.py-named ``options``.

    Example: ``build_model('resnet', model_depth=18, n_classes=700)``;
    ``build_model('i3d', strg=True, n_classes=174, nrois=10)`` is the paper's STRG-I3D.
    """
    family = _family(name)
    with_head = has_region_graph(name, strg)
    accepted = model_options(name, strg)
    unknown = sorted(set(options) - set(accepted))
    if unknown:
        raise ValueError(f"model {name!r} does not take {unknown}; it takes: {', '.join(accepted)}")
    depth = options.pop("model_depth", family.default_depth)
    head = {key: options.pop(key) for key in list(options) if key in HEAD_OPTIONS}
    parameters = {family.options[key]: value for key, value in options.items()}
    if with_head:
        parameters = {**family.under_region_graph, **parameters}
    backbone = family.generate(depth, **parameters)
    if not with_head:
        return backbone
    return STRG(backbone, n_classes=options.get("n_classes", 400), **head)
