"""``python -m util_scripts.eval_accuracy GT RESULT [-k K] [--subset S] [--ignore] [--save]``."""

from __future__ import annotations

import argparse
from pathlib import Path

from strg.atomic import write_text_atomic
from strg.cli.errors import user_error
from strg.cli.invocation import prog
from strg.errors import StrgError
from strg.evaluation.accuracy import top_k_accuracy
from strg.evaluation.files import read_ground_truth, read_results


def build_parser() -> argparse.ArgumentParser:
    """The command line of eval_accuracy (the original's arguments)."""
    parser = argparse.ArgumentParser(
        prog=prog("eval_accuracy"),
        description="Top-k video accuracy of an inference result JSON against an annotation JSON.",
    )
    parser.add_argument("ground_truth_path", type=Path, help="annotation JSON")
    parser.add_argument("result_path", type=Path, help="inference result JSON (per video)")
    parser.add_argument("-k", type=int, default=1, help="top-k (default: %(default)s)")
    parser.add_argument(
        "--subset",
        default="validation",
        help="subset to score; val/validation, train/training, test/testing (default: %(default)s)",
    )
    parser.add_argument(
        "--ignore", action="store_true", help="count only ground-truth videos that have results"
    )
    parser.add_argument(
        "--save", action="store_true", help="write the accuracy to top{K}.txt beside the results"
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    """Print the original's six lines; returns the exit status (2 on bad input)."""
    args = build_parser().parse_args(argv)
    try:
        print("load ground truth")
        ground_truth = read_ground_truth(args.ground_truth_path, args.subset)
        print(f"number of ground truth: {len(ground_truth.video_labels)}")
        print("load result")
        results = read_results(args.result_path, ground_truth.class_names)
        print(f"number of result: {len(results)}")
        print(f"calculate top-{args.k} accuracy")
        report = top_k_accuracy(ground_truth, results, args.k, args.ignore)
    except StrgError as error:
        return user_error(error)
    print(f"top-{args.k} accuracy: {report.accuracy}")
    if args.save:
        write_text_atomic(args.result_path.parent / f"top{args.k}.txt", f"{report.accuracy}\n")
    return 0


if __name__ == "__main__":  # python -m strg.cli.MODULE
    raise SystemExit(main())
