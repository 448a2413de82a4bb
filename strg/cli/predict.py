"""``strg predict VIDEO [VIDEO ...] --resume_path CKPT``: the top labels of your own video files.

Exit status 0 when every video was predicted, 1 when some could not be read (each named on
stderr; the others are still predicted, printed and written), 2 on bad options, a checkpoint that
cannot serve, or no video at all.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from strg.cli.errors import USER_ERROR, user_error
from strg.cli.invocation import prog
from strg.config import RunControl
from strg.errors import StrgError

#: Exit status when some videos failed and the others were predicted.
SOME_FAILED = 1


def build_parser() -> argparse.ArgumentParser:
    """The command line of predict."""
    parser = argparse.ArgumentParser(
        prog=prog("predict"),
        description=(
            "Predict the classes of video files (or of every video file under a directory) with a "
            "checkpoint of main.py. Each file is decoded directly; its clips are sampled, cropped "
            "and normalised as main.py --inference samples them with the checkpoint's options, "
            "so the scores are those of main.py --inference --file_type video. Prints the top "
            "labels of each video; --output writes them as main.py's result JSON (keyed by the "
            "file stem), which eval_accuracy reads."
        ),
    )
    parser.add_argument("videos", type=Path, nargs="+", help="video files or directories")
    parser.add_argument("--resume_path", type=Path, required=True, help="save_{epoch}.pth")
    parser.add_argument("--output", type=Path, help="result JSON to write (default: none)")
    parser.add_argument(
        "--output_topk",
        type=int,
        default=RunControl.output_topk,
        help="labels per video, <= 0 for all (default: %(default)s)",
    )
    parser.add_argument(
        "--per_window",
        action="store_true",
        help="also the top labels of each inference clip (sliding window), with its start and "
        "end in seconds; written under 'windows' in --output",
    )
    parser.add_argument(
        "--annotation_path",
        type=Path,
        help="annotation JSON whose 'labels' name the classes (needed for checkpoints written "
        "before training stored the class names)",
    )
    parser.add_argument(
        "--proposal_path",
        type=Path,
        help="STRG: proposal store with the boxes of each video (<file stem>.npz); with "
        "--detector_weights, the videos missing from it are extracted into it",
    )
    parser.add_argument(
        "--detector_weights",
        type=Path,
        help="STRG: state_dict of torchvision's fasterrcnn_resnet50_fpn, to extract the boxes "
        "on the fly (as extract_proposals does)",
    )
    parser.add_argument(
        "--detector_size",
        type=int,
        help="shorter side the detector resizes frames to (default: torchvision's, 800)",
    )
    parser.add_argument("--no_cuda", action="store_true", help="run on the CPU")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Predict, print, write; the exit status of the module docstring."""
    args = build_parser().parse_args(argv)
    problem = None
    if args.detector_size is not None and args.detector_size < 1:
        problem = f"--detector_size must be positive, got {args.detector_size}"
    elif args.detector_size is not None and args.detector_weights is None:
        problem = "--detector_size needs --detector_weights"
    if problem is not None:
        print(f"error: {problem}", file=sys.stderr)
        return USER_ERROR
    # imported after parsing: -h and usage errors answer without loading torch
    from tqdm import tqdm

    from strg.atomic import write_json_atomic
    from strg.engine.distributed import choose_device
    from strg.engine.predict import Predictor, class_names_of, find_videos, result_json
    from strg.engine.trained import load_trained_run

    try:
        videos = find_videos(args.videos)
        run = load_trained_run(args.resume_path)
        class_names = class_names_of(run, args.annotation_path)
        predictor = Predictor(
            run, class_names, choose_device(args.no_cuda), args.proposal_path,
            args.detector_weights, args.detector_size,
        )  # fmt: skip
    except StrgError as error:
        return user_error(error)
    predictions, failed = [], []
    with predictor:
        bar = tqdm(videos, desc="predict", unit="video", disable=args.quiet or len(videos) < 2)
        for video in bar:
            try:
                prediction = predictor.predict(video)
            except StrgError as error:
                bar.clear()
                user_error(error)
                failed.append(video)
                continue
            predictions.append(prediction)
            tqdm.write(_describe(prediction, class_names, args.output_topk, args.per_window))
    if failed:
        names = ", ".join(str(video.path) for video in failed)
        print(f"{len(failed)} of {len(videos)} videos failed: {names}", file=sys.stderr)
    if args.output is not None and predictions:
        try:
            args.output.parent.mkdir(parents=True, exist_ok=True)
            write_json_atomic(
                args.output,
                result_json(predictions, class_names, args.output_topk, args.per_window),
            )
        except OSError as error:
            print(f"error: cannot write {args.output}: {error.strerror or error}", file=sys.stderr)
            return USER_ERROR
        print(f"wrote {args.output} ({len(predictions)} videos)")
    return SOME_FAILED if failed else 0


def _describe(prediction, class_names: list[str], output_topk: int, per_window: bool) -> str:
    """The lines printed for one video: its length, its top labels, its windows' best label."""
    from strg.engine.result_file import top_labels

    seconds = prediction.n_frames / prediction.fps
    lines = [
        f"{prediction.video.path}: {prediction.n_frames} frames, {prediction.fps:g} fps "
        f"({seconds:.2f} s)"
    ]
    lines += [
        f"  {entry['score']:.4f}  {entry['label']}"
        for entry in top_labels(prediction.scores, class_names, output_topk)
    ]
    if per_window:
        for window in prediction.windows:
            best = top_labels(window.scores, class_names, 1)[0]
            start, end = window.seconds
            lines.append(
                f"  window {start:7.2f} s - {end:7.2f} s: {best['score']:.4f}  {best['label']}"
            )
    return "\n".join(lines)


if __name__ == "__main__":  # python -m strg.cli.MODULE
    raise SystemExit(main())
