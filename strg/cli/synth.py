"""``python -m strg.synth`` / ``strg synth``: generate the embedded data set."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from strg.synth.actions import ACTION_CLASSES
from strg.synth.generate import SynthError, SynthOptions, generate_dataset


def build_parser() -> argparse.ArgumentParser:
    """The command line of the generator."""
    defaults = SynthOptions()
    parser = argparse.ArgumentParser(
        prog="python -m strg.synth",
        description=(
            f"Generate the embedded relational video data set ({len(ACTION_CLASSES)} classes) "
            "in the "
            "official Something-Something v2 layout, with Something-Else per-frame boxes."
        ),
    )
    parser.add_argument("--out", type=Path, required=True, help="output directory")
    parser.add_argument(
        "--videos-per-class",
        type=int,
        default=defaults.videos_per_class,
        help="videos per class, split into train/validation/test (default: %(default)s)",
    )
    parser.add_argument(
        "--seed",
        type=int,
        default=defaults.seed,
        help="random seed; the same seed gives the same data set (default: %(default)s)",
    )
    parser.add_argument(
        "--min-frames",
        type=int,
        default=defaults.min_frames,
        help="shortest clip in frames at 12 fps (default: %(default)s)",
    )
    parser.add_argument(
        "--max-frames",
        type=int,
        default=defaults.max_frames,
        help="longest clip in frames at 12 fps (default: %(default)s)",
    )
    parser.add_argument(
        "--val-fraction",
        type=float,
        default=defaults.val_fraction,
        help="share of each class in the validation subset (default: %(default)s)",
    )
    parser.add_argument(
        "--test-fraction",
        type=float,
        default=defaults.test_fraction,
        help="share of each class in the test subset (default: %(default)s)",
    )
    parser.add_argument(
        "--workers", type=int, default=None, help="worker processes (default: one per CPU core)"
    )
    parser.add_argument(
        "--overwrite",
        action="store_true",
        help="replace a data set made with other options in --out",
    )
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the generator; returns the exit status."""
    args = build_parser().parse_args(argv)
    started = time.perf_counter()
    try:
        options = SynthOptions(
            videos_per_class=args.videos_per_class,
            seed=args.seed,
            min_frames=args.min_frames,
            max_frames=args.max_frames,
            val_fraction=args.val_fraction,
            test_fraction=args.test_fraction,
        )
        made = generate_dataset(
            args.out,
            options,
            workers=args.workers,
            overwrite=args.overwrite,
            progress=not args.quiet,
        )
    except SynthError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    if made:
        print(f"wrote the embedded data set to {args.out} in {time.perf_counter() - started:.1f} s")
    else:
        print(f"{args.out} already holds this data set (same options); nothing to do")
    return 0
