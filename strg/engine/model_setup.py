"""The model of a run, from main.py's options: building, pretrained weights, resuming.

The published 3D-ResNets checkpoints load whether they are a dict with ``state_dict`` or a bare
state dict, with or without DataParallel's ``module.`` prefix (:mod:`strg.models.state_dict`).
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

import torch
from torch import nn

from strg.engine.checkpoint import CheckpointError
from strg.engine.errors import RunError
from strg.models import build_model
from strg.models.builder import model_options
from strg.models.state_dict import check_state_dict, read_state_dict

#: build_model option -> how it is read from main.py's options.
_FROM_OPTIONS = {
    "model_depth": lambda args: args.model_depth,
    "conv1_t_size": lambda args: args.conv1_t_size,
    "conv1_t_stride": lambda args: args.conv1_t_stride,
    "no_max_pool": lambda args: args.no_max_pool,
    "resnet_shortcut": lambda args: args.resnet_shortcut,
    "resnet_widen_factor": lambda args: args.resnet_widen_factor,
    "wide_resnet_k": lambda args: args.wide_resnet_k,
    "resnext_cardinality": lambda args: args.resnext_cardinality,
    "nrois": lambda args: args.nrois,
    "reduce_dim": lambda args: args.reduce_dim,
    "gcn_layers": lambda args: args.gcn_layers,
    "graphs": lambda args: tuple(args.graphs),
    "fusion": lambda args: args.gcn_fusion,
    "residual": lambda args: args.gcn_residual,
    "use_global": lambda args: not args.no_global,
}
#: The flag behind each option above, for messages.
_FLAG = {
    "fusion": "gcn_fusion",
    "residual": "gcn_residual",
    "use_global": "no_global",
}


def uses_strg(args: argparse.Namespace) -> bool:
    """Whether the run puts the region-graph head on the backbone."""
    return bool(args.strg or args.model.endswith("_strg"))


def arch_name(args: argparse.Namespace) -> str:
    """``{model}-{depth}`` as the original writes it; ``_strg`` is added for the graph head."""
    model = args.model if args.model.endswith("_strg") or not args.strg else f"{args.model}_strg"
    return f"{model}-{args.model_depth}"


def model_kwargs(
    args: argparse.Namespace, defaults: argparse.Namespace, n_classes: int, n_input_channels: int
) -> dict[str, Any]:
    """The build_model options of this run. A flag set away from its default that the model
    does not take is an error (every flag is used), naming the flag and the model."""
    accepted = set(model_options(args.model, uses_strg(args)))
    options: dict[str, Any] = {"n_classes": n_classes, "n_input_channels": n_input_channels}
    for name, read in _FROM_OPTIONS.items():
        if name in accepted:
            options[name] = read(args)
        else:
            flag = _FLAG.get(name, name)
            if getattr(args, flag) != getattr(defaults, flag):
                raise RunError(f"--{flag} does not apply to --model {args.model}")
    return {name: value for name, value in options.items() if name in accepted}


def classifier_name(model: nn.Module) -> str:
    """The attribute holding the final Linear layer: ``fc`` or densenet's ``classifier``."""
    for name in ("fc", "classifier"):
        if isinstance(getattr(model, name, None), nn.Linear):
            return name
    raise RunError(f"{type(model).__name__} has no fc/classifier Linear layer to replace")


def replace_classifier(model: nn.Module, n_classes: int) -> None:
    """A fresh classifier with ``n_classes`` outputs (fine-tuning on another label set)."""
    name = classifier_name(model)
    old: nn.Linear = getattr(model, name)
    setattr(model, name, nn.Linear(old.in_features, n_classes))


def build_run_model(
    args: argparse.Namespace,
    defaults: argparse.Namespace,
    n_classes: int,
    n_input_channels: int,
    pretrain_path: Path | None,
) -> nn.Module:
    """Build the model; with ``pretrain_path`` load it and put a new ``n_classes`` classifier on
    (unless ``args.keep_classifier``: then the checkpoint's classifier stays).

    Under STRG, a checkpoint of a plain backbone (the paper's stage 1) initialises the backbone
    (its classifier is dropped); a checkpoint of an STRG model initialises all of it.
    """
    strg = uses_strg(args)
    if pretrain_path is None:
        return build_model(
            args.model, strg=strg, **model_kwargs(args, defaults, n_classes, n_input_channels)
        )
    state = read_state_dict(pretrain_path)
    from_strg = any(key.startswith("backbone.") for key in state)
    if strg and not from_strg:
        if args.keep_classifier:
            raise CheckpointError(
                f"--keep_classifier: {pretrain_path} is a plain backbone, whose classifier STRG "
                "does not use (its head starts fresh)"
            )
        model = build_model(
            args.model, strg=True, **model_kwargs(args, defaults, n_classes, n_input_channels)
        )
        try:
            model.load_backbone_state_dict(state)
        except ValueError as error:
            raise CheckpointError(f"--pretrain_path {pretrain_path}: {error}") from error
        return model
    model = build_model(
        args.model,
        strg=strg,
        **model_kwargs(args, defaults, args.n_pretrain_classes, n_input_channels),
    )
    load_exactly(model, state, pretrain_path, "--n_pretrain_classes")
    if not args.keep_classifier:
        replace_classifier(model, n_classes)
    return model


def load_exactly(
    model: nn.Module, state: dict[str, torch.Tensor], path: Path, classes_flag: str
) -> None:
    """Load ``state`` with exactly the model's keys and shapes, or say what differs (and which
    flag to check when only the classifier's size does)."""
    try:
        check_state_dict(model, state)
    except ValueError as error:
        hint = ""
        name = classifier_name(model)
        if (
            f"{name}.weight" in state
            and state[f"{name}.weight"].shape[0] != getattr(model, name).out_features
        ):
            hint = (
                f" (the checkpoint has {state[f'{name}.weight'].shape[0]} classes, the model "
                f"{getattr(model, name).out_features}: check {classes_flag})"
            )
        raise CheckpointError(f"{path}: {error}{hint}") from error
    model.load_state_dict(state, strict=True)
