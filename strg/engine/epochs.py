"""The epoch loop of ``main.py``: train → validate → step the schedule → log → checkpoint.

:func:`run_epochs` takes the pieces :mod:`strg.engine.run` composed and only repeats them; a
checkpoint is written after the epoch is complete (validation and schedule included), atomically,
every ``checkpoint_every`` epochs and after the last one.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from torch import nn

from strg.atomic import WriteError
from strg.data.loader import VideoLoader
from strg.engine.checkpoint import checkpoint_path, save_checkpoint
from strg.engine.distributed import Process, barrier
from strg.engine.errors import RunError
from strg.engine.logs import TableLogger
from strg.engine.loops import EpochResult, Precision, train_epoch, validate_epoch
from strg.engine.schedule import LearningRateSchedule
from strg.engine.skips import SkipLog
from strg.engine.tracking import Tracker


@dataclass
class Trainer:
    """What one training epoch needs: the network (DDP-wrapped or not), its optimiser, schedule
    and gradient scaler, the modules kept in eval mode, and how gradients accumulate."""

    network: nn.Module
    optimizer: torch.optim.Optimizer
    schedule: LearningRateSchedule
    precision: Precision
    process: Process
    scaler: torch.amp.GradScaler | None = None
    accumulate_steps: int = 1
    eval_modules: Iterable[nn.Module] = ()


def epoch_line(epoch: int, train: EpochResult, lr: float, validation: EpochResult | None) -> str:
    """``epoch 3: train loss 2.1 acc 0.3 lr 0.01 | val loss 2.0 acc 0.35``, the progress line."""
    line = f"epoch {epoch}: train loss {train.loss:.4f} acc {train.accuracy:.4f} lr {lr:.3g}"
    if validation is not None:
        line += f" | val loss {validation.loss:.4f} acc {validation.accuracy:.4f}"
    return line


def run_epochs(
    trainer: Trainer,
    train_loader: VideoLoader,
    val_loader: VideoLoader | None,
    epochs: range,
    logs: Mapping[str, TableLogger],
    tracker: Tracker,
    result_path: Path,
    checkpoint_every: int,
    checkpoint_of: Callable[[int], dict[str, Any]],
    skip_log: SkipLog | None = None,
) -> None:
    """Run ``epochs``; rank 0 logs, prints and saves ``checkpoint_of(epoch)`` as ``save_N.pth``
    every ``checkpoint_every`` epochs and after the last; ``skip_log`` reports each pass's
    unreadable videos skipped under ``--skip_missing``."""
    process = trainer.process
    for epoch in epochs:
        train_loader.sampler.set_epoch(epoch)
        result = train_epoch(
            trainer.network, train_loader, trainer.optimizer, trainer.schedule, epoch, process,
            trainer.precision, scaler=trainer.scaler, accumulate_steps=trainer.accumulate_steps,
            eval_modules=trainer.eval_modules, batch_log=logs.get("train_batch"),
        )  # fmt: skip
        if skip_log is not None:
            skip_log.report(epoch, "training", train_loader.skipped)
        lr = trainer.schedule.rate(epoch)
        validation = None
        if val_loader is not None:
            validation = validate_epoch(
                trainer.network, val_loader, epoch, process, trainer.precision
            )
            if skip_log is not None:
                skip_log.report(epoch, "validation", val_loader.skipped)
        trainer.schedule.end_epoch(validation.loss if validation is not None else None)
        if process.is_main:
            logs["train"].log(epoch=epoch, loss=result.loss, acc=result.accuracy, lr=lr)
            if validation is not None:
                logs["val"].log(epoch=epoch, loss=validation.loss, acc=validation.accuracy)
            tracker.log_epoch(epoch, result, validation, lr)
            print(epoch_line(epoch, result, lr, validation), flush=True)
            for outcome, what in ((result, "training"), (validation, "validation")):
                warning = outcome.boxless_warning(what) if outcome is not None else None
                if warning is not None:
                    print(f"epoch {epoch}: {warning}", file=sys.stderr, flush=True)
            if epoch % checkpoint_every == 0 or epoch == epochs[-1]:
                _save(checkpoint_path(result_path, epoch), checkpoint_of(epoch), epoch)
        barrier(process)


def _save(path: Path, checkpoint: dict[str, Any], epoch: int) -> None:
    """Save a finished epoch's checkpoint, unless its weights are NaN or infinite (a diverged run
    would leave a checkpoint that resumes into NaN); a failed write names the file and keeps the
    earlier checkpoints."""
    broken = [
        name
        for name, value in checkpoint["state_dict"].items()
        if value.is_floating_point() and not bool(torch.isfinite(value).all())
    ]
    if broken:
        raise RunError(
            f"epoch {epoch}: {len(broken)} weight tensor(s) are NaN or infinite ({broken[0]}, "
            f"...); the run diverged and {path.name} was not written (lower --learning_rate)"
        )
    try:
        save_checkpoint(path, checkpoint)
    except WriteError as error:
        raise RunError(f"epoch {epoch}: {error}; the earlier checkpoints are intact") from error
