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


def top_k_hits(
    ground_truth: GroundTruth, results: dict[str, dict[str, float]], k: int, ignore: bool = False
) -> dict[str, bool]:
    """Video id -> whether its class is among its k best-scored labels, for every ground-truth
    video (with ``ignore``, only those that have results); a video without results is wrong.

    Result ids not in the ground truth's subset are an error naming them; so is an empty set of
    videos to score.
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
    hits: dict[str, bool] = {}
    for video_id in considered:
        scores = results.get(video_id, {})
        best = sorted(scores, key=lambda label: scores[label], reverse=True)[:k]
        hits[video_id] = any(label in best for label in ground_truth.video_labels[video_id])
    return hits


def top_k_accuracy(
    ground_truth: GroundTruth, results: dict[str, dict[str, float]], k: int, ignore: bool
) -> AccuracyReport:
    """The share of :func:`top_k_hits`: every ground-truth video is the denominator, or with
    ``ignore`` only those that have results."""
    hits = top_k_hits(ground_truth, results, k, ignore)
    return AccuracyReport(correct=sum(hits.values()), total=len(hits))
