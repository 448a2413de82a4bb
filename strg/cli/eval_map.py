"""``python -m util_scripts.eval_map GT RESULT [--subset S]``: Charades-style mAP."""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from strg.cli.errors import user_error
from strg.cli.invocation import prog
from strg.errors import StrgError
from strg.evaluation.files import (
    EvaluationInputError,
    check_result_ids,
    read_ground_truth,
    read_results,
)
from strg.evaluation.mean_ap import mean_average_precision


def build_parser() -> argparse.ArgumentParser:
    """The command line of eval_map."""
    parser = argparse.ArgumentParser(
        prog=prog("eval_map"),
        description=(
            "Mean average precision over classes (Charades' official metric) of an inference "
            "result JSON against a multi-label annotation JSON; also weighted AP. A class a video "
            "has no score for counts as -inf; classes without positives are left out."
        ),
    )
    parser.add_argument("ground_truth_path", type=Path, help="annotation JSON")
    parser.add_argument("result_path", type=Path, help="inference result JSON (per video)")
    parser.add_argument(
        "--subset", default="validation", help="subset to score (default: %(default)s)"
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    """Print mAP and weighted AP; returns the exit status (2 on bad input)."""
    args = build_parser().parse_args(argv)
    try:
        ground_truth = read_ground_truth(args.ground_truth_path, args.subset)
        results = read_results(args.result_path, ground_truth.class_names)
        check_result_ids(ground_truth, results)
        if not ground_truth.video_labels:
            raise EvaluationInputError(f"no labelled video in subset {args.subset}")
    except StrgError as error:
        return user_error(error)
    class_index = {name: k for k, name in enumerate(ground_truth.class_names)}
    video_ids = list(ground_truth.video_labels)
    scores = np.full((len(video_ids), len(class_index)), -np.inf)
    targets = np.zeros(scores.shape, dtype=bool)
    for row, video_id in enumerate(video_ids):
        for name in ground_truth.video_labels[video_id]:
            targets[row, class_index[name]] = True
        for name, score in results.get(video_id, {}).items():
            scores[row, class_index[name]] = score
    report = mean_average_precision(scores, targets)
    print(f"number of ground truth: {len(video_ids)}")
    print(f"number of result: {len(results)}")
    print(f"classes with positives: {report.n_classes_evaluated}")
    print(f"mAP: {report.mean_ap}")
    print(f"weighted AP: {report.weighted_ap}")
    return 0


if __name__ == "__main__":  # python -m strg.cli.MODULE
    raise SystemExit(main())
