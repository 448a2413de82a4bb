"""Reading checkpoints and loading state dicts with errors that name the keys and shapes."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import torch
from torch import nn

#: How many keys an error message lists before it only counts the rest.
_SHOW = 12


def read_state_dict(source: str | Path | Mapping) -> dict[str, torch.Tensor]:
    """Return the flat state dict in ``source`` (a path or an already loaded mapping).

    Accepts a bare state dict or a checkpoint dict holding one under ``state_dict`` (main.py,
    3D-ResNets) or ``model``; strips a ``module.`` prefix left by DataParallel. Files are read
    with ``weights_only=True``: a checkpoint cannot run code.
    """
    if isinstance(source, (str, Path)):
        source = torch.load(source, map_location="cpu", weights_only=True)
    if not isinstance(source, Mapping):
        raise ValueError(f"expected a state dict or checkpoint dict, got {type(source).__name__}")
    for wrapper in ("state_dict", "model"):
        if wrapper in source and isinstance(source[wrapper], Mapping):
            source = source[wrapper]
            break
    out = {}
    for key, value in source.items():
        if not isinstance(value, torch.Tensor):
            raise ValueError(f"state dict entry {key!r} is a {type(value).__name__}, not a tensor")
        out[key.removeprefix("module.")] = value
    return out


def _listing(keys: list[str]) -> str:
    more = f" … and {len(keys) - _SHOW} more" if len(keys) > _SHOW else ""
    return ", ".join(keys[:_SHOW]) + more


def check_state_dict(model: nn.Module, state_dict: Mapping[str, torch.Tensor]) -> None:
    """Raise a ValueError naming missing keys, unexpected keys and shape mismatches, if any."""
    expected = model.state_dict()
    missing = [k for k in expected if k not in state_dict]
    unexpected = [k for k in state_dict if k not in expected]
    mismatched = [
        f"{k}: checkpoint {tuple(state_dict[k].shape)} vs model {tuple(v.shape)}"
        for k, v in expected.items()
        if k in state_dict and state_dict[k].shape != v.shape
    ]
    problems = []
    if missing:
        problems.append(f"missing keys ({len(missing)}): {_listing(missing)}")
    if unexpected:
        problems.append(f"unexpected keys ({len(unexpected)}): {_listing(unexpected)}")
    if mismatched:
        problems.append(f"shape mismatches ({len(mismatched)}): {_listing(mismatched)}")
    if problems:
        name = type(model).__name__
        raise ValueError(f"state dict does not fit {name}: " + "; ".join(problems))


def load_state_dict_exact(model: nn.Module, source: str | Path | Mapping) -> None:
    """Load ``source`` into ``model`` with exactly its keys and shapes (``strict=True``)."""
    state_dict = read_state_dict(source)
    check_state_dict(model, state_dict)
    model.load_state_dict(state_dict, strict=True)
