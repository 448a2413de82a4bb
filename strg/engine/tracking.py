"""Optional experiment tracking: TensorBoard (``--tensorboard``) and Weights & Biases (``--wandb``).

Both are imported only when asked for, with a clear message when the package is missing. The
learning rate logged is the real one (the original wrote the accuracy under ``train/lr``).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from strg.engine.distributed import Process
from strg.engine.errors import RunError


class Tracker:
    """Scalars per epoch to the enabled backends, from rank 0 only."""

    def __init__(
        self,
        result_path: Path,
        process: Process,
        begin_epoch: int,
        *,
        tensorboard: bool = False,
        wandb: bool = False,
        config: Mapping[str, Any] | None = None,
    ) -> None:
        """Log to TensorBoard events in ``result_path`` and/or to W&B (run ``config`` attached),
        from rank 0; a resumed run starts at ``begin_epoch``."""
        self.writer: Any = None
        self.wandb: Any = None
        if not process.is_main:
            return
        if tensorboard:
            try:
                from torch.utils.tensorboard import SummaryWriter
            except ImportError as error:
                raise RunError(
                    "--tensorboard needs the tensorboard package: pip install 'strg[tensorboard]'"
                ) from error
            self.writer = SummaryWriter(log_dir=str(result_path), purge_step=begin_epoch)
        if wandb:
            try:
                import wandb as wandb_module
            except ImportError as error:
                raise RunError(
                    "--wandb needs the wandb package: pip install 'strg[wandb]'"
                ) from error
            self.wandb = wandb_module
            wandb_module.init(
                config={key: str(value) for key, value in (config or {}).items()},
                dir=str(result_path),
            )

    def log_epoch(self, epoch: int, train: Any, validation: Any | None, lr: float) -> None:
        """Log ``train/loss``, ``train/acc``, ``train/lr`` and ``val/loss``, ``val/acc``."""
        scalars = {"train/loss": train.loss, "train/acc": train.accuracy, "train/lr": lr}
        if validation is not None:
            scalars.update({"val/loss": validation.loss, "val/acc": validation.accuracy})
        if self.writer is not None:
            for name, value in scalars.items():
                self.writer.add_scalar(name, value, epoch)
            self.writer.flush()
        if self.wandb is not None:
            self.wandb.log(scalars, step=epoch)

    def close(self) -> None:
        """Flush and close the backends."""
        if self.writer is not None:
            self.writer.close()
        if self.wandb is not None:
            self.wandb.finish()
