"""Which parameters train, and the optimiser over them.

``--ft_begin_module M`` (3d-resnets-compat §2.4) trains the model from its top-level module ``M``
onwards. Unlike the original, the modules before ``M`` are really frozen: their parameters get
no gradient and their BatchNorm layers stay in eval mode, so their running statistics do not
move either. ``--freeze_bn`` does the same for every BatchNorm layer of the model.
"""

from __future__ import annotations

import torch
from torch import nn

from strg.engine.errors import RunError

BATCH_NORMS = (nn.BatchNorm1d, nn.BatchNorm2d, nn.BatchNorm3d, nn.SyncBatchNorm)


def top_level_name(parameter_name: str) -> str:
    """The top-level module of a parameter, skipping the wrappers ``module.`` (DDP),
    ``features.`` (densenet) and ``backbone.`` (the STRG head over a backbone)."""
    parts = parameter_name.split(".")
    while len(parts) > 1 and parts[0] in ("module", "features", "backbone"):
        parts = parts[1:]
    return parts[0]


def frozen_modules(
    model: nn.Module, ft_begin_module: str = "", freeze_bn: bool = False
) -> list[nn.Module]:
    """Freeze what does not train; return the modules to keep in eval mode during training.

    Parameters before the first one whose top-level module is ``ft_begin_module`` get
    ``requires_grad = False``; an unknown module name is an error listing the valid ones.
    """
    to_freeze: set[str] = set()
    if ft_begin_module:
        order: list[str] = []
        for name, _ in model.named_parameters():
            top = top_level_name(name)
            if top not in order:
                order.append(top)
        if ft_begin_module not in order:
            raise RunError(
                f"--ft_begin_module {ft_begin_module!r} is not a module of the model; "
                f"valid: {', '.join(order)}"
            )
        to_freeze = set(order[: order.index(ft_begin_module)])
    eval_modules: list[nn.Module] = []
    for name, module in model.named_modules():
        frozen = bool(name) and top_level_name(name) in to_freeze
        if frozen or (freeze_bn and isinstance(module, BATCH_NORMS)):
            for parameter in module.parameters(recurse=False):
                parameter.requires_grad_(False)
            if isinstance(module, BATCH_NORMS):
                eval_modules.append(module)
    return eval_modules


def build_optimizer(
    model: nn.Module,
    optimizer: str,
    learning_rate: float,
    momentum: float = 0.9,
    dampening: float = 0.0,
    weight_decay: float = 1e-3,
    nesterov: bool = False,
    groups: list[dict] | None = None,
) -> torch.optim.Optimizer:
    """SGD (dampening forced to 0 with Nesterov, as the original) or AdamW over the parameters
    that require a gradient, or over ``groups`` (``params`` and ``lr`` each, e.g.
    :meth:`strg.models.strg.STRG.parameter_groups`)."""
    parameters: list = [parameter for parameter in model.parameters() if parameter.requires_grad]
    if groups is not None:
        parameters = groups
    if not parameters:
        raise RunError("no parameter is left to train (check --ft_begin_module / --freeze_bn)")
    if optimizer == "sgd":
        return torch.optim.SGD(
            parameters,
            lr=learning_rate,
            momentum=momentum,
            dampening=0.0 if nesterov else dampening,
            weight_decay=weight_decay,
            nesterov=nesterov,
        )
    if optimizer == "adamw":
        return torch.optim.AdamW(parameters, lr=learning_rate, weight_decay=weight_decay)
    raise RunError(f"unknown optimizer {optimizer!r}; valid: sgd, adamw")
