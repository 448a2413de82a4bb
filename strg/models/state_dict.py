"""Reading checkpoint files and loading state dicts; errors name the file, the keys and shapes.

:func:`read_checkpoint` is the project's one reader of ``.pth`` files: ``weights_only=True`` (a
checkpoint cannot run code), on the CPU, every failure a :class:`CheckpointError` naming the file.
:func:`load_state_dict_exact` is the one "load exactly these keys and shapes" function.
"""

from __future__ import annotations

import pickle
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import torch
from torch import nn

from strg.errors import StrgError
from strg.models.classifier import classifier_name

#: How many keys an error message lists before it only counts the rest.
_SHOW = 12


class CheckpointError(StrgError, ValueError):
    """A checkpoint cannot be used as asked (the message names the file and the reason)."""


def read_checkpoint(path: str | Path) -> dict[str, Any]:
    """Read a checkpoint (or a bare state dict) with ``weights_only=True``, on the CPU."""
    path = Path(path)
    if path.is_dir():
        raise CheckpointError(f"checkpoint {path} is a directory, not a .pth file")
    if not path.is_file():
        raise CheckpointError(f"checkpoint {path} does not exist")
    try:
        loaded = torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as error:
        first_line = (
            str(error).strip().splitlines()[0] if str(error).strip() else "unpickling failed"
        )
        raise CheckpointError(
            f"refused to load {path}: it needs more than tensors and plain values to unpickle "
            f"(weights_only=True): {first_line}"
        ) from error
    except (RuntimeError, EOFError, KeyError, ValueError, OSError) as error:
        message = str(error).strip().splitlines()[0] if str(error).strip() else ""
        if not message:  # EOFError() of an empty or cut file says nothing itself
            message = (
                "the file ends early (empty or truncated)"
                if isinstance(error, EOFError)
                else type(error).__name__
            )
        raise CheckpointError(f"{path} is not a readable checkpoint: {message}") from error
    if not isinstance(loaded, dict):
        raise CheckpointError(f"{path} holds a {type(loaded).__name__}, not a checkpoint dict")
    return loaded


def read_state_dict(source: str | Path | Mapping) -> dict[str, torch.Tensor]:
    """Return the flat state dict in ``source`` (a path or an already loaded mapping).

    Accepts a bare state dict or a checkpoint dict holding one under ``state_dict`` (main.py,
    3D-ResNets) or ``model``; strips a ``module.`` prefix left by DataParallel.
    """
    if isinstance(source, (str, Path)):
        source = read_checkpoint(source)
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


def _classes_hint(model: nn.Module, state: Mapping[str, torch.Tensor], classes_flag: str) -> str:
    """`` (the checkpoint has 700 classes, the model 14: check --n_classes)`` when only the
    classifier's size differs, else ``""``."""
    try:
        name = classifier_name(model)
    except ValueError:
        return ""
    key, wanted = f"{name}.weight", getattr(model, name).out_features
    if key in state and state[key].shape[0] != wanted:
        return (
            f" (the checkpoint has {state[key].shape[0]} classes, the model {wanted}: "
            f"check {classes_flag})"
        )
    return ""


def load_state_dict_exact(
    model: nn.Module, source: str | Path | Mapping, classes_flag: str | None = None
) -> None:
    """Load ``source`` into ``model`` with exactly its keys and shapes (``strict=True``).

    A mismatch is a ValueError naming the keys; with ``classes_flag`` (``--n_classes``) it is a
    :class:`CheckpointError` naming the file too, and saying which flag to check when only the
    classifier's size differs.
    """
    state_dict = read_state_dict(source)
    try:
        check_state_dict(model, state_dict)
    except ValueError as error:
        if classes_flag is None:
            raise
        where = f"{source}: " if isinstance(source, (str, Path)) else ""
        hint = _classes_hint(model, state_dict, classes_flag)
        raise CheckpointError(f"{where}{error}{hint}") from error
    model.load_state_dict(state_dict, strict=True)
