"""``python -m util_scripts.sthv2_json DIR VIDEO_DIR DST_JSON``: the v2 annotation JSON."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from strg.atomic import write_json_atomic
from strg.prep.sthv2 import AnnotationError, build_annotation

MISSING_SHOWN = 20


def build_parser() -> argparse.ArgumentParser:
    """The command line of sthv2_json."""
    parser = argparse.ArgumentParser(
        prog="python -m util_scripts.sthv2_json",
        description=(
            "Build the 3D-ResNets-style annotation JSON for Something-Something v2 from the "
            "official "
            "files in DIR (something-something-v2-labels.json or category.txt, and the train, "
            "validation and optional test lists). Every entry gets video_path VIDEO_DIR/<id> and "
            "segment [1, n+1] with n the number of frames in that folder. Videos without frames "
            "are an error unless --skip_missing is given."
        ),
    )
    parser.add_argument("dir_path", type=Path, help="directory of the official annotation files")
    parser.add_argument("video_path", type=Path, help="directory of the frame folders <id>/")
    parser.add_argument("dst_path", type=Path, help="annotation JSON to write")
    parser.add_argument(
        "--skip_missing",
        action="store_true",
        help="leave out videos without frames (they are listed) instead of failing",
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    """Build and write the JSON; returns the exit status (0 ok, 1 videos missing, 2 bad input)."""
    args = build_parser().parse_args(argv)
    try:
        result = build_annotation(args.dir_path, args.video_path, skip_missing=args.skip_missing)
    except AnnotationError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    if result.missing:
        print(f"{len(result.missing)} videos have no frames in {args.video_path}:", file=sys.stderr)
        for video_id, subset in result.missing[:MISSING_SHOWN]:
            print(f"  {subset} {video_id}: {args.video_path / video_id}", file=sys.stderr)
        if len(result.missing) > MISSING_SHOWN:
            print(f"  ... and {len(result.missing) - MISSING_SHOWN} more", file=sys.stderr)
        if not args.skip_missing:
            print(
                "error: nothing written; extract their frames or pass --skip_missing",
                file=sys.stderr,
            )
            return 1
    try:
        args.dst_path.parent.mkdir(parents=True, exist_ok=True)
        write_json_atomic(args.dst_path, result.annotation)
    except OSError as error:
        print(f"error: cannot write {args.dst_path}: {error.strerror}", file=sys.stderr)
        return 2
    counts = ", ".join(f"{count} {subset}" for subset, count in result.counts.items())
    print(f"wrote {args.dst_path}: {len(result.annotation['labels'])} labels; {counts}")
    return 0
