"""Reading the two files every evaluation compares: ground truth and results.

Ground truth is the annotation JSON of 3d-resnets-compat §3.1 (``labels`` and ``database``).
Results are the inference JSON of §5:
``{"results": {video_id: [{"label": name, "score": s}, ...]}}``.
Subset names are accepted in both spellings: ``val``/``validation``, ``train``/``training``,
``test``/``testing``.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from strg.errors import StrgError
from strg.strict_json import DuplicateKeyError, loads_unique
from strg.structures import SUBSETS

SUBSET_ALIASES = SUBSETS


class EvaluationInputError(StrgError, ValueError):
    """A ground-truth or result file cannot be evaluated (the message names it and why)."""


def canonical_subset(subset: str) -> str:
    """``val`` -> ``validation`` and so on; full names pass through."""
    return SUBSET_ALIASES.get(subset, subset)


def checked_subset(subset: str) -> str:
    """The full name of ``subset``; an error listing the valid names for any other."""
    full = canonical_subset(subset)
    if full not in SUBSET_ALIASES.values():
        valid = ", ".join(f"{short}/{name}" for short, name in SUBSET_ALIASES.items())
        raise EvaluationInputError(f"--subset {subset!r} is not a subset; valid: {valid}")
    return full


def _read_json(path: Path, what: str) -> Any:
    try:
        return loads_unique(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise EvaluationInputError(f"{what} {path} does not exist") from None
    except IsADirectoryError:
        raise EvaluationInputError(f"{what} {path} is a directory, not a JSON file") from None
    except DuplicateKeyError as error:
        raise EvaluationInputError(
            f"{what} {path}: {error.key!r} is listed twice (the last entry would win silently)"
        ) from None
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise EvaluationInputError(f"{what} {path} is not JSON: {error}") from error


@dataclass(frozen=True)
class GroundTruth:
    """Class names (index order) and, per video of one subset, its class names."""

    class_names: list[str]
    video_labels: dict[str, list[str]]


def read_ground_truth(path: Path, subset: str) -> GroundTruth:
    """The labelled videos of ``subset`` in an annotation JSON.

    A video's classes come from ``annotations.label``: one name, or a list of them for
    multi-label data sets (charades_json's output; it may be empty), or from
    ``annotations.labels``. A video of the subset without either is an error naming it.
    """
    data = _read_json(path, "ground truth")
    if (
        not isinstance(data, dict)
        or not isinstance(data.get("labels"), list)
        or not isinstance(data.get("database"), dict)
    ):
        raise EvaluationInputError(
            f"ground truth {path} is not an annotation JSON (needs 'labels' and 'database')"
        )
    class_names = [str(name) for name in data["labels"]]
    known = set(class_names)
    wanted = checked_subset(subset)
    video_labels: dict[str, list[str]] = {}
    for video_id, entry in data["database"].items():
        if not isinstance(entry, dict) or not isinstance(entry.get("annotations") or {}, dict):
            raise EvaluationInputError(
                f"ground truth {path}: video {video_id}: expected an object "
                '{"subset": ..., "annotations": {"label": ...}}, got '
                f"{json.dumps(entry)[:80]}"
            )
        if canonical_subset(str(entry.get("subset", ""))) != wanted:
            continue
        annotations = entry.get("annotations") or {}
        if "labels" not in annotations and "label" not in annotations:
            raise EvaluationInputError(
                f"ground truth {path}: video {video_id} of {wanted} has no label"
            )
        names = annotations.get("labels", annotations.get("label"))
        # a list (possibly empty: a Charades video without actions) or one name
        names = [str(names)] if isinstance(names, str) else [str(name) for name in names]
        unknown = [name for name in names if name not in known]
        if unknown:
            raise EvaluationInputError(
                f"ground truth {path}: video {video_id} has labels {unknown} not in 'labels'"
            )
        video_labels[str(video_id)] = names
    return GroundTruth(class_names=class_names, video_labels=video_labels)


def check_result_ids(ground_truth: GroundTruth, results: dict[str, dict[str, float]]) -> None:
    """Refuse results for videos outside the ground truth's subset, naming the first few."""
    unknown = sorted(set(results) - set(ground_truth.video_labels))
    if unknown:
        shown = ", ".join(unknown[:5]) + (" ..." if len(unknown) > 5 else "")
        raise EvaluationInputError(
            f"{len(unknown)} result videos are not in the ground truth's subset: {shown}"
        )


def read_results(path: Path, class_names: list[str] | None = None) -> dict[str, dict[str, float]]:
    """Video id -> {class name: score} from an inference JSON (the per-video averaged format).

    With ``class_names`` given, a label outside them is an error naming the video and label.
    """
    data = _read_json(path, "result file")
    results = data.get("results") if isinstance(data, dict) else None
    if not isinstance(results, dict):
        raise EvaluationInputError(f"result file {path} has no 'results' object")
    if not results:
        raise EvaluationInputError(f"result file {path} has no results (its 'results' is empty)")
    known = set(class_names) if class_names is not None else None
    scores: dict[str, dict[str, float]] = {}
    for video_id, entries in results.items():
        if not isinstance(entries, list):
            raise EvaluationInputError(
                f"result file {path}: video {video_id} has no list of labels"
            )
        video_scores: dict[str, float] = {}
        for entry in entries:
            if isinstance(entry, dict) and "result" in entry:
                raise EvaluationInputError(
                    f"result file {path} holds per-clip results (video {video_id}); evaluate the "
                    "per-video file written without --inference_no_average"
                )
            if not isinstance(entry, dict) or "label" not in entry or "score" not in entry:
                raise EvaluationInputError(
                    f"result file {path}: video {video_id} has an entry without label and score"
                )
            label = str(entry["label"])
            if known is not None and label not in known:
                raise EvaluationInputError(
                    f"result file {path}: video {video_id} has label {label!r}, not a class of the "
                    "ground truth"
                )
            score = entry["score"]
            if isinstance(score, bool) or not isinstance(score, int | float) or math.isnan(score):
                raise EvaluationInputError(
                    f"result file {path}: video {video_id}, label {label!r} has score {score!r}, "
                    "not a number"
                )
            video_scores[label] = float(score)
        scores[str(video_id)] = video_scores
    return scores
