"""Mean average precision over classes, as Charades' ``Charades_v1_classify.m`` computes it.

Per class, videos are ranked by score; AP is the mean of the precision at the rank of each
positive video (non-interpolated). mAP averages AP over the classes that have at least one
positive; weighted AP weights each class by its number of positives.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


def average_precision(scores: np.ndarray, positives: np.ndarray) -> float:
    """Non-interpolated AP of one class: ``scores`` V floats, ``positives`` V bools (≥ 1 True)."""
    scores = np.asarray(scores, dtype=np.float64)
    positives = np.asarray(positives, dtype=bool)
    if scores.shape != positives.shape or scores.ndim != 1:
        raise ValueError(f"scores {scores.shape} and positives {positives.shape} must be equal 1-D")
    n_positive = int(positives.sum())
    if n_positive == 0:
        raise ValueError("average precision needs at least one positive")
    ranked = positives[np.argsort(-scores, kind="stable")]
    precision = np.cumsum(ranked) / np.arange(1, ranked.size + 1)
    return float(precision[ranked].sum() / n_positive)


@dataclass(frozen=True)
class MeanAPReport:
    """Per-class AP (NaN for classes without positives), mAP and weighted AP."""

    per_class: np.ndarray
    mean_ap: float
    weighted_ap: float
    n_classes_evaluated: int


def mean_average_precision(scores: np.ndarray, targets: np.ndarray) -> MeanAPReport:
    """mAP of ``scores`` V×K (−inf where a video has no score for a class) vs ``targets`` V×K."""
    scores = np.asarray(scores, dtype=np.float64)
    targets = np.asarray(targets, dtype=bool)
    if scores.shape != targets.shape or scores.ndim != 2:
        raise ValueError(f"scores {scores.shape} and targets {targets.shape} must be equal V×K")
    per_class = np.full(scores.shape[1], np.nan)
    positives = targets.sum(axis=0)
    for k in np.flatnonzero(positives):
        per_class[k] = average_precision(scores[:, k], targets[:, k])
    evaluated = positives > 0
    if not evaluated.any():
        raise ValueError("no class has a positive video")
    weights = positives[evaluated] / positives[evaluated].sum()
    return MeanAPReport(
        per_class=per_class,
        mean_ap=float(per_class[evaluated].mean()),
        weighted_ap=float((per_class[evaluated] * weights).sum()),
        n_classes_evaluated=int(evaluated.sum()),
    )
