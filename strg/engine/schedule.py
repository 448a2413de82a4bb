"""The learning-rate schedule, as a pure function of the step plus the plateau state.

``multistep`` divides by 10 after each milestone epoch, ``cosine`` anneals to 0 over the run,
``plateau`` divides by 10 after ``patience`` epochs without a lower validation loss. An optional
linear warm-up from 0 over ``warmup_epochs`` multiplies any of them, per iteration. Because the
rate is recomputed from (epoch, iteration) before every step, a resumed run follows exactly the
schedule of an uninterrupted one (the original stepped its scheduler before saving, so a resume
shifted every decay by one epoch).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import torch

from strg.engine.errors import RunError

SCHEDULES = ("multistep", "plateau", "cosine")


@dataclass
class LearningRateSchedule:
    """The rate of every parameter group at epoch ``epoch`` (1-based) and iteration ``iteration``.

    ``iterations_per_epoch`` is the number of optimiser steps in one epoch (for the warm-up and the
    cosine). ``plateau_*`` fields are the only state, saved in checkpoints.
    """

    base_lr: float
    kind: str = "multistep"
    milestones: Sequence[int] = (50, 100, 150)
    n_epochs: int = 200
    warmup_epochs: float = 0.0
    iterations_per_epoch: int = 1
    plateau_patience: int = 10
    plateau_best: float = math.inf
    plateau_bad_epochs: int = 0
    plateau_decays: int = 0
    group_scales: list[float] = field(default_factory=list)

    def __post_init__(self) -> None:
        if self.kind not in SCHEDULES:
            raise RunError(f"unknown lr_scheduler {self.kind!r}; valid: {', '.join(SCHEDULES)}")
        self.milestones = sorted(int(m) for m in self.milestones)

    def rate(self, epoch: int, iteration: int = 0) -> float:
        """The rate at ``iteration`` (0-based, within the epoch) of ``epoch`` (1-based)."""
        progress = (epoch - 1) + iteration / max(self.iterations_per_epoch, 1)  # epochs done
        if self.kind == "multistep":
            decay = 0.1 ** sum(1 for milestone in self.milestones if epoch > milestone)
        elif self.kind == "cosine":
            decay = 0.5 * (1.0 + math.cos(math.pi * min(progress / max(self.n_epochs, 1), 1.0)))
        else:
            decay = 0.1**self.plateau_decays
        warmup = min(1.0, progress / self.warmup_epochs) if self.warmup_epochs > 0 else 1.0
        return self.base_lr * decay * warmup

    def apply(self, optimizer: torch.optim.Optimizer, epoch: int, iteration: int = 0) -> float:
        """Set every group's rate for this step (times its scale); returns the base group's."""
        if not self.group_scales:
            self.group_scales = [1.0] * len(optimizer.param_groups)
        rate = self.rate(epoch, iteration)
        for group, scale in zip(optimizer.param_groups, self.group_scales, strict=True):
            group["lr"] = rate * scale
        return rate

    def end_epoch(self, validation_loss: float | None) -> None:
        """Update the plateau state with the epoch's validation loss (other kinds: nothing)."""
        if self.kind != "plateau" or validation_loss is None:
            return
        if validation_loss < self.plateau_best:
            self.plateau_best = validation_loss
            self.plateau_bad_epochs = 0
        else:
            self.plateau_bad_epochs += 1
            if self.plateau_bad_epochs > self.plateau_patience:
                self.plateau_decays += 1
                self.plateau_bad_epochs = 0

    def state_dict(self) -> dict[str, Any]:
        """What a checkpoint keeps: the milestones and the plateau state."""
        return {
            "milestones": list(self.milestones),
            "plateau_best": self.plateau_best,
            "plateau_bad_epochs": self.plateau_bad_epochs,
            "plateau_decays": self.plateau_decays,
        }

    def load_state_dict(self, state: dict[str, Any], overwrite_milestones: bool = False) -> None:
        """Restore from a checkpoint; the checkpoint's milestones win unless overwritten."""
        if not overwrite_milestones:
            self.milestones = sorted(int(m) for m in state["milestones"])
        self.plateau_best = float(state["plateau_best"])
        self.plateau_bad_epochs = int(state["plateau_bad_epochs"])
        self.plateau_decays = int(state["plateau_decays"])
