"""Checks of a run against its data, made once the data sets are read and before anything trains.

Each catches a run that would otherwise start and die far away (``IndexError: Target 2 is out of
bounds`` after the model is built) or finish without having trained (``train 1: 0it``).
"""

from __future__ import annotations

from pathlib import Path

from strg.engine.errors import RunError


def class_count_warning(
    n_classes: int, class_names: list[str], annotation_path: Path, multi_label: bool = False
) -> str | None:
    """Refuse ``--n_classes`` below the annotation's number of labels (and, for multi-hot
    targets, any other number: they have one entry per label); a warning line when above."""
    n_labels = len(class_names)
    if n_classes < n_labels or (multi_label and n_classes != n_labels):
        raise RunError(
            f"--n_classes {n_classes}, but {annotation_path} has {n_labels} labels: pass "
            f"--n_classes {n_labels}"
        )
    if n_classes > n_labels:
        return (
            f"warning: --n_classes {n_classes} is more than the {n_labels} labels of "
            f"{annotation_path}; {n_classes - n_labels} output(s) will never be a target"
        )
    return None


def check_training_batches(n_batches: int, batch_size: int, n_videos: int, subset: str) -> None:
    """Refuse a training loader without a single batch: the last, partial batch is dropped
    (a batch of one clip would break BatchNorm), so fewer videos than ``--batch_size`` train
    nothing."""
    if n_batches == 0:
        raise RunError(
            f"--batch_size {batch_size} is larger than the {n_videos} video(s) of the "
            f"{subset} subset: no full batch, nothing would train; lower --batch_size"
        )
