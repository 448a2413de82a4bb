"""Top-k video accuracy of a result file against the ground truth (eval_accuracy)."""

from __future__ import annotations

from dataclasses import dataclass

from strg.evaluation.files import EvaluationInputError, GroundTruth, check_result_ids


@dataclass(frozen=True)
class AccuracyReport:
    """Correct videos, the denominator used, and the accuracy."""

    correct: int
    total: int

    @property
    def accuracy(self) -> float:
        """correct / total."""
        return self.correct / self.total


def top_k_accuracy(
    ground_truth: GroundTruth, results: dict[str, dict[str, float]], k: int, ignore: bool
) -> AccuracyReport:
    """A video is correct when its class is among its k best-scored labels.

    The denominator is every ground-truth video, or with ``ignore`` only those that have results;
    a video without results counts as wrong. Result ids not in the ground truth's subset are an
    error naming them. An empty denominator is an error, never a division by zero.
    """
    if k < 1:
        raise EvaluationInputError(f"-k must be >= 1, got {k}")
    if not ground_truth.video_labels:
        raise EvaluationInputError("no ground-truth video in the subset (is --subset right?)")
    check_result_ids(ground_truth, results)
    considered = [
        video_id for video_id in ground_truth.video_labels if not ignore or video_id in results
    ]
    if not considered:
        raise EvaluationInputError("no ground-truth video has results (--ignore)")
    correct = 0
    for video_id in considered:
        scores = results.get(video_id, {})
        best = sorted(scores, key=lambda label: scores[label], reverse=True)[:k]
        if any(label in best for label in ground_truth.video_labels[video_id]):
            correct += 1
    return AccuracyReport(correct=correct, total=len(considered))
