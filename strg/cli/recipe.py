"""The training recipe of the embedded data set, shared by ``strg demo`` and ``strg ablate``.

Both run the paper's two stages with the public commands: stage 1 trains the backbone alone; stage 2
continues from its checkpoint at a 10× lower rate for the same number of epochs whatever the head
(the backbone alone, or STRG with any graph configuration), so every model has the same budget.
Each method returns an argument list for ``subprocess.run`` (never a shell string).
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

#: Stage-1 learning rate (AdamW); stage 2 runs at a tenth of it.
STAGE1_RATE = 0.002
#: Stage strides of the backbone: 8×7×7 maps at 16×56², where the default's 2×4×4 (one 16-px
#: cell per object, T' = 2) leaves the region graph too coarse a map and too few steps.
STRIDES = ["--temporal_strides", "2", "1", "1", "1", "--spatial_strides", "1", "2", "2", "1"]
#: The new head learns this much faster than the fine-tuned backbone in stage 2.
HEAD_LR_MULTIPLIER = 10


@dataclass(frozen=True)
class Recipe:
    """The demo's training recipe on a prepared embedded data set.

    Args:
        frames: the frame folders (``--video_path``).
        annotation: the annotation JSON (``--annotation_path``).
        boxes: the proposal store (``--proposal_path``).
        stage1_epochs, stage2_epochs: epochs of each stage.
        sample_size, sample_duration: clip side and length.
        n_jobs: loader workers.
    """

    frames: Path
    annotation: Path
    boxes: Path
    stage1_epochs: int = 12
    stage2_epochs: int = 4
    sample_size: int = 56
    sample_duration: int = 16
    n_jobs: int = 2

    @property
    def description(self) -> str:
        """One line for table headers."""
        return (
            f"{self.stage1_epochs} + {self.stage2_epochs} epochs, "
            f"{self.sample_duration}×{self.sample_size}², r3d-10 at half width"
        )

    def graph(self, options: list[str] | None = None) -> list[str]:
        """Flags that put the region-graph head (with ``options``) on the backbone.

        The head is 128 wide, half the backbone's 256 channels: at the usual 512 its 3.0 M
        parameters (nearly the backbone's 3.6 M) overfit the training videos within 4 epochs.
        Its global half reads the pooled backbone feature without dropout, as the stage-1
        classifier does, so that classifier can be copied in (stage 2 starts from stage 1).
        """
        return [
            "--strg", "--proposal_path", str(self.boxes), "--nrois", "5", "--reduce_dim", "128",
            "--global_from_backbone", "--global_dropout", "0", *(options or []),
        ]  # fmt: skip

    def _common(self, seed: int) -> list[str]:
        return [
            sys.executable, "-m", "strg.cli.main",
            "--video_path", str(self.frames), "--annotation_path", str(self.annotation),
            "--dataset", "somethingv2", "--n_classes", "14",
            "--model", "resnet", "--model_depth", "10", "--no_max_pool",
            "--resnet_widen_factor", "0.5", *STRIDES,
            "--sample_size", str(self.sample_size), "--sample_duration", str(self.sample_duration),
            "--train_crop", "center",
            "--batch_size", "8", "--n_val_samples", "1", "--n_threads", str(self.n_jobs),
            "--manual_seed", str(seed), "--amp", "bf16",
            "--optimizer", "adamw", "--weight_decay", "0.05", "--lr_scheduler", "cosine",
        ]  # fmt: skip

    def stage1(self, result: Path, seed: int) -> list[str]:
        """Train the backbone alone into ``result``."""
        return [
            *self._common(seed), "--result_path", str(result),
            "--learning_rate", str(STAGE1_RATE), "--warmup_epochs", "1",
            "--n_epochs", str(self.stage1_epochs),
            "--checkpoint", str(self.stage1_epochs),
        ]  # fmt: skip

    def stage1_checkpoint(self, stage1: Path) -> Path:
        """The checkpoint stage 2 starts from."""
        return stage1 / f"save_{self.stage1_epochs}.pth"

    def stage2(
        self, result: Path, stage1: Path, seed: int, head: list[str], validate: bool = True
    ) -> list[str]:
        """Continue from stage 1 into ``result`` with ``head`` (``[]``: the backbone alone);
        without ``validate``, no validation after each epoch (the final model is scored by
        :meth:`inference` anyway).

        Both keep the stage-1 classifier (``--keep_classifier``): the backbone alone is then the
        backbone trained for the whole budget, as in the paper (with a fresh classifier at the
        stage-2 rate it ended 3 points below its own stage-1 checkpoint on the first embedded
        data set); STRG gets it in the global half of its classifier, its graph half at zero, so
        both arms start from the same logits and any difference is the graph's. The new head
        learns :data:`HEAD_LR_MULTIPLIER` times faster than the backbone.
        """
        faster = ["--head_lr_multiplier", str(HEAD_LR_MULTIPLIER)] if head else []
        return [
            *self._common(seed), *head, *faster, "--keep_classifier", "--result_path", str(result),
            "--pretrain_path", str(self.stage1_checkpoint(stage1)), "--n_pretrain_classes", "14",
            "--learning_rate", str(STAGE1_RATE / 10), "--n_epochs", str(self.stage2_epochs),
            "--checkpoint", str(self.stage2_epochs), *([] if validate else ["--no_val"]),
        ]  # fmt: skip

    def stage2_checkpoint(self, result: Path) -> Path:
        """The final checkpoint of a stage-2 run."""
        return result / f"save_{self.stage2_epochs}.pth"

    def inference(self, result: Path, seed: int, head: list[str]) -> list[str]:
        """Run a stage-2 model on the validation videos: ``result/val.json``."""
        return [
            *self._common(seed), *head, "--result_path", str(result), "--no_train", "--no_val",
            "--inference", "--resume_path", str(self.stage2_checkpoint(result)),
        ]  # fmt: skip

    def evaluate(self, result: Path, k: int) -> list[str]:
        """Score ``result/val.json``: top-k video accuracy into ``result/top{k}.txt``."""
        return [
            sys.executable, "-m", "strg.cli.eval_accuracy", str(self.annotation),
            str(result / "val.json"), "--subset", "val", "-k", str(k), "--save",
        ]  # fmt: skip


def read_scores(result: Path) -> dict[int, float]:
    """``{1: top-1, 5: top-5}`` (fractions) written by :meth:`Recipe.evaluate` into ``result``."""
    return {k: float((result / f"top{k}.txt").read_text(encoding="utf-8")) for k in (1, 5)}
