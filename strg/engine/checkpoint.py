"""Checkpoints ``save_{epoch}.pth``: written atomically, read without running code.

A checkpoint is a dict with ``epoch`` (the finished epoch), ``arch`` (``"resnet-50"``),
``state_dict`` (the unwrapped model: no ``module.`` prefix), ``optimizer``, ``scheduler``,
``scaler``, ``config`` (the run's configuration as plain JSON-able values) and ``class_names``
(the annotation's labels in class-index order; absent in checkpoints written before it was
stored, or ``None`` when the annotation has no labels). Every value is a
tensor, a number, a string or a container of those, so ``torch.load(..., weights_only=True)``
reads it; a file that needs arbitrary objects to unpickle is refused with the reason.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import torch

from strg.atomic import atomic_path
from strg.models.state_dict import CheckpointError, read_checkpoint

__all__ = ["CheckpointError", "check_arch", "checkpoint_path", "load_checkpoint", "save_checkpoint"]


def checkpoint_path(result_path: Path, epoch: int) -> Path:
    """``result_path/save_{epoch}.pth``, the original's name."""
    return Path(result_path) / f"save_{epoch}.pth"


def save_checkpoint(path: Path, checkpoint: dict[str, Any]) -> None:
    """Write ``checkpoint`` to ``path`` atomically: a crash leaves the old file or none, never half.

    The file is written beside ``path`` and renamed over it once complete and flushed to disk.
    """
    with atomic_path(path) as temporary, temporary.open("wb") as handle:
        torch.save(checkpoint, handle)
        handle.flush()
        os.fsync(handle.fileno())


def load_checkpoint(path: Path) -> dict[str, Any]:
    """Read a checkpoint (or a bare state dict) with ``weights_only=True``, on the CPU
    (:func:`strg.models.state_dict.read_checkpoint`, the one reader)."""
    return read_checkpoint(path)


def check_arch(path: Path, checkpoint: dict[str, Any], arch: str) -> None:
    """Refuse to resume a checkpoint of another architecture, saying which options to pass."""
    saved = checkpoint.get("arch")
    if saved is not None and saved != arch:
        model, _, depth = str(saved).rpartition("-")
        raise CheckpointError(
            f"{path} was trained as {saved!r} but this run builds {arch!r}; resume it with "
            f"--model {model} --model_depth {depth}"
        )
