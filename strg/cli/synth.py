"""``python -m strg.synth`` / ``strg synth``: generate the embedded data set."""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import Any

from strg.cli.errors import user_error
from strg.cli.invocation import prog
from strg.errors import StrgError
from strg.synth.charades import CharadesOptions, generate_charades
from strg.synth.generate import SynthError, SynthOptions, generate_dataset
from strg.synth.looks import SPLITS
from strg.synth.variants import DEFAULT_VARIANT, VARIANTS

FORMATS = ("sthv2", "charades")
#: Options that only one format has: option name -> that format.
FORMAT_ONLY = {
    "test_fraction": "sthv2",
    "variant": "sthv2",
    "split": "sthv2",
    "empty_fraction": "charades",
}


def build_parser() -> argparse.ArgumentParser:
    """The command line of the generator."""
    sthv2, charades = SynthOptions(), CharadesOptions()
    relational = VARIANTS["relational"]
    parser = argparse.ArgumentParser(
        prog=prog("synth", "python -m strg.synth"),
        description=(
            "Generate the embedded video data set in the official Something-Something v2 "
            "layout, with Something-Else per-frame boxes (--format sthv2; --variant motion, "
            f"{len(VARIANTS['motion'].classes)} classes told apart by how objects move, or "
            f"--variant relational, {len(relational.classes)} classes told apart only by how "
            "objects move relative to each other), or its multi-label variant in the official "
            "Charades layout: 2-3 motion actions per video with their time segments, frames at "
            "24 fps (--format charades)."
        ),
    )
    parser.add_argument("--out", type=Path, required=True, help="output directory")
    parser.add_argument(
        "--format",
        choices=FORMATS,
        default="sthv2",
        help="layout of the data set (default: %(default)s)",
    )
    parser.add_argument(
        "--variant",
        choices=tuple(VARIANTS),
        default=None,
        help=f"sthv2 only: which class set (default: {DEFAULT_VARIANT})",
    )
    parser.add_argument(
        "--split",
        choices=SPLITS,
        default=None,
        help=(
            "sthv2 only: shuffled, or compositional: validation and test objects have "
            "shape-colour looks never seen in training (relational variant only; default: "
            f"{SPLITS[0]})"
        ),
    )
    parser.add_argument(
        "--videos-per-class",
        type=int,
        default=None,
        help=(
            "videos per class, split into the subsets (default: "
            f"{sthv2.videos_per_class}; relational: {relational.videos_per_class}; charades: "
            f"{charades.videos_per_class}, each class being one action of that many videos)"
        ),
    )
    parser.add_argument(
        "--seed",
        type=int,
        default=0,
        help="random seed; the same seed gives the same data set (default: %(default)s)",
    )
    parser.add_argument(
        "--min-frames",
        type=int,
        default=None,
        help=(
            f"shortest clip in frames at 12 fps (default: {sthv2.min_frames}); charades: "
            f"shortest action at 24 fps (default: {charades.min_frames})"
        ),
    )
    parser.add_argument(
        "--max-frames",
        type=int,
        default=None,
        help=(
            f"longest clip in frames at 12 fps (default: {sthv2.max_frames}); charades: "
            f"longest action at 24 fps (default: {charades.max_frames})"
        ),
    )
    parser.add_argument(
        "--val-fraction",
        type=float,
        default=None,
        help=(
            f"share of each class in the validation subset (default: {sthv2.val_fraction}; "
            f"relational: {relational.val_fraction}); charades: in Charades_v1_test.csv "
            f"(default: {charades.val_fraction})"
        ),
    )
    parser.add_argument(
        "--test-fraction",
        type=float,
        default=None,
        help=(
            "sthv2 only: share of each class in the test subset (default: "
            f"{sthv2.test_fraction}; relational: {relational.test_fraction})"
        ),
    )
    parser.add_argument(
        "--empty-fraction",
        type=float,
        default=None,
        help=(
            "charades only: share of extra videos without any action "
            f"(default: {charades.empty_fraction})"
        ),
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


def _options(args: argparse.Namespace) -> SynthOptions | CharadesOptions:
    """The format's options from the flags given; the others keep the format's defaults."""
    names = ("videos_per_class", "seed", "min_frames", "max_frames", "val_fraction")
    given: dict[str, Any] = {name: getattr(args, name) for name in names}
    for name, only in FORMAT_ONLY.items():
        if getattr(args, name) is not None and args.format != only:
            flag = "--" + name.replace("_", "-")
            raise SynthError(f"{flag} applies to --format {only} only")
        given[name] = getattr(args, name)
    given = {name: value for name, value in given.items() if value is not None}
    if args.format == "charades":
        return CharadesOptions(**given)
    return SynthOptions(**given)


def main(argv: list[str] | None = None) -> int:
    """Run the generator; returns the exit status."""
    args = build_parser().parse_args(argv)
    started = time.perf_counter()
    try:
        options = _options(args)
        common: dict[str, Any] = {
            "workers": args.workers,
            "overwrite": args.overwrite,
            "progress": not args.quiet,
        }
        if isinstance(options, CharadesOptions):
            made = generate_charades(args.out, options, **common)
        else:
            made = generate_dataset(args.out, options, **common)
    except StrgError as error:
        return user_error(error)
    if made:
        print(f"wrote the embedded data set to {args.out} in {time.perf_counter() - started:.1f} s")
    else:
        print(f"{args.out} already holds this data set (same options); nothing to do")
    return 0


if __name__ == "__main__":  # python -m strg.cli.MODULE
    raise SystemExit(main())
