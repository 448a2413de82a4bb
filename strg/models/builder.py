"""One entry point for every model: ``build_model(name, **options)``.

``MODELS`` is a plain literal dict from the ``--model`` names to builder functions; each
builder's keyword arguments carry main.py's flag names (``model_depth``, ``n_classes``,
``resnet_shortcut`` …), so an unknown name or option fails here, listing the valid ones.
``*_strg`` names, or ``strg=True`` with any name, put the region-graph head on the backbone.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable

from torch import nn

from strg.models import densenet, i3d, preresnet, resnet, resnet2p1d, resnext, wideresnet
from strg.models.strg import GRAPH_CHOICES, STRG


def build_resnet(
    model_depth: int = 18,
    n_classes: int = 400,
    n_input_channels: int = 3,
    conv1_t_size: int = 7,
    conv1_t_stride: int = 1,
    no_max_pool: bool = False,
    resnet_shortcut: str = "B",
    resnet_widen_factor: float = 1.0,
) -> nn.Module:
    return resnet.generate_model(
        model_depth,
        n_classes=n_classes,
        n_input_channels=n_input_channels,
        conv1_t_size=conv1_t_size,
        conv1_t_stride=conv1_t_stride,
        no_max_pool=no_max_pool,
        shortcut_type=resnet_shortcut,
        widen_factor=resnet_widen_factor,
    )


def build_resnet2p1d(
    model_depth: int = 18,
    n_classes: int = 400,
    n_input_channels: int = 3,
    conv1_t_size: int = 7,
    conv1_t_stride: int = 1,
    no_max_pool: bool = False,
    resnet_shortcut: str = "B",
    resnet_widen_factor: float = 1.0,
) -> nn.Module:
    return resnet2p1d.generate_model(
        model_depth,
        n_classes=n_classes,
        n_input_channels=n_input_channels,
        conv1_t_size=conv1_t_size,
        conv1_t_stride=conv1_t_stride,
        no_max_pool=no_max_pool,
        shortcut_type=resnet_shortcut,
        widen_factor=resnet_widen_factor,
    )


def build_preresnet(
    model_depth: int = 18,
    n_classes: int = 400,
    n_input_channels: int = 3,
    conv1_t_size: int = 7,
    conv1_t_stride: int = 1,
    no_max_pool: bool = False,
    resnet_shortcut: str = "B",
) -> nn.Module:
    return preresnet.generate_model(
        model_depth,
        n_classes=n_classes,
        n_input_channels=n_input_channels,
        conv1_t_size=conv1_t_size,
        conv1_t_stride=conv1_t_stride,
        no_max_pool=no_max_pool,
        shortcut_type=resnet_shortcut,
    )


def build_wideresnet(
    model_depth: int = 50,
    n_classes: int = 400,
    n_input_channels: int = 3,
    conv1_t_size: int = 7,
    conv1_t_stride: int = 1,
    no_max_pool: bool = False,
    resnet_shortcut: str = "B",
    wide_resnet_k: int = 2,
) -> nn.Module:
    return wideresnet.generate_model(
        model_depth,
        k=wide_resnet_k,
        n_classes=n_classes,
        n_input_channels=n_input_channels,
        conv1_t_size=conv1_t_size,
        conv1_t_stride=conv1_t_stride,
        no_max_pool=no_max_pool,
        shortcut_type=resnet_shortcut,
    )


def build_resnext(
    model_depth: int = 50,
    n_classes: int = 400,
    n_input_channels: int = 3,
    conv1_t_size: int = 7,
    conv1_t_stride: int = 1,
    no_max_pool: bool = False,
    resnet_shortcut: str = "B",
    resnext_cardinality: int = 32,
) -> nn.Module:
    return resnext.generate_model(
        model_depth,
        cardinality=resnext_cardinality,
        n_classes=n_classes,
        n_input_channels=n_input_channels,
        conv1_t_size=conv1_t_size,
        conv1_t_stride=conv1_t_stride,
        no_max_pool=no_max_pool,
        shortcut_type=resnet_shortcut,
    )


def build_densenet(
    model_depth: int = 121,
    n_classes: int = 400,
    n_input_channels: int = 3,
    conv1_t_size: int = 7,
    conv1_t_stride: int = 1,
    no_max_pool: bool = False,
) -> nn.Module:
    return densenet.generate_model(
        model_depth,
        n_classes=n_classes,
        n_input_channels=n_input_channels,
        conv1_t_size=conv1_t_size,
        conv1_t_stride=conv1_t_stride,
        no_max_pool=no_max_pool,
    )


def build_i3d(
    model_depth: int = 50,
    n_classes: int = 400,
    n_input_channels: int = 3,
    res5_stride: int | None = None,
    res5_dilation: int = 1,
    nonlocal_blocks: bool = False,
    temporal_pool_kernel: int = 3,
    dropout: float = 0.5,
    *,
    _for_strg: bool = False,
) -> nn.Module:
    """I3D ResNet-50/101; res5 stride defaults to 1 under STRG (14×14 at 224) and 2 alone."""
    if res5_stride is None:
        res5_stride = 1 if _for_strg else 2
    return i3d.generate_model(
        model_depth,
        n_classes=n_classes,
        n_input_channels=n_input_channels,
        res5_stride=res5_stride,
        res5_dilation=res5_dilation,
        nonlocal_blocks=nonlocal_blocks,
        temporal_pool_kernel=temporal_pool_kernel,
        dropout=dropout,
    )


#: ``--model`` name → (backbone builder, whether the STRG head goes on top).
MODELS: dict[str, tuple[Callable[..., nn.Module], bool]] = {
    "resnet": (build_resnet, False),
    "resnet2p1d": (build_resnet2p1d, False),
    "preresnet": (build_preresnet, False),
    "wideresnet": (build_wideresnet, False),
    "resnext": (build_resnext, False),
    "densenet": (build_densenet, False),
    "i3d": (build_i3d, False),
    "resnet_strg": (build_resnet, True),  # jd730/STRG's name: STRG over the 3D ResNet
    "i3d_strg": (build_i3d, True),  # the paper's model
}

#: STRG head options (main.py flags) with their defaults.
STRG_OPTIONS: dict[str, object] = {
    "nrois": None,
    "reduce_dim": 512,
    "roi_output_size": 7,
    "gcn_layers": 3,
    "graphs": GRAPH_CHOICES,
    "fusion": "end",
    "residual": False,
    "use_global": True,
    "global_dropout": 0.3,
    "graph_dropout": 0.5,
    "iou_threshold": 0.0,
}


def _lookup(name: str) -> tuple[Callable[..., nn.Module], bool]:
    try:
        return MODELS[name]
    except KeyError:
        raise ValueError(f"unknown model {name!r}; valid: {', '.join(MODELS)}") from None


def model_options(name: str, strg: bool = False) -> list[str]:
    """The option names ``build_model(name, strg=strg, ...)`` accepts."""
    builder, with_strg = _lookup(name)
    names = [p for p in inspect.signature(builder).parameters if not p.startswith("_")]
    return names + list(STRG_OPTIONS) if (strg or with_strg) else names


def build_model(name: str, strg: bool = False, **options) -> nn.Module:
    """Build the model ``name`` (a key of :data:`MODELS`) with main.py-named ``options``.

    Example: ``build_model('resnet', model_depth=18, n_classes=700)``;
    ``build_model('i3d', strg=True, n_classes=174, nrois=10)`` is the paper's STRG-I3D.
    """
    builder, with_strg = _lookup(name)
    strg = strg or with_strg
    accepted = model_options(name, strg)
    unknown = sorted(set(options) - set(accepted))
    if unknown:
        raise ValueError(f"model {name!r} does not take {unknown}; it takes: {', '.join(accepted)}")
    head = {k: options.pop(k) for k in list(options) if k in STRG_OPTIONS}
    if not strg:
        return builder(**options)
    if "_for_strg" in inspect.signature(builder).parameters:
        options["_for_strg"] = True
    backbone = builder(**options)
    return STRG(backbone, n_classes=options.get("n_classes", 400), **head)
