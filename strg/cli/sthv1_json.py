"""``python -m util_scripts.sthv1_json DIR VIDEO_DIR DST_JSON``: Something-Something v1."""

from __future__ import annotations

import argparse
from pathlib import Path

from strg.cli.common import add_skip_missing, add_video_type, write_annotation
from strg.cli.errors import user_error
from strg.errors import StrgError
from strg.prep.sthv1 import build_annotation


def build_parser() -> argparse.ArgumentParser:
    """The command line of sthv1_json."""
    parser = argparse.ArgumentParser(
        prog="python -m util_scripts.sthv1_json",
        description=(
            "Build the annotation JSON of Something-Something v1 from the official files in DIR "
            "(something-something-v1-labels.csv or category.txt, -train.csv, -validation.csv, "
            "optional -test.csv). Every entry gets video_path VIDEO_DIR/<id> and segment "
            "[1, n+1], n = the frames 00001.jpg ... in that folder."
        ),
    )
    parser.add_argument("dir_path", type=Path, help="directory of the official CSV files")
    parser.add_argument(
        "video_path",
        type=Path,
        help="directory of the frame folders <id>/ or videos (--video_type)",
    )
    parser.add_argument("dst_path", type=Path, help="annotation JSON to write")
    add_video_type(parser)
    add_skip_missing(parser)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Exit status 0 ok, 1 videos without frames, 2 bad input."""
    args = build_parser().parse_args(argv)
    try:
        result = build_annotation(
            args.dir_path, args.video_path, args.skip_missing, args.video_type
        )
    except StrgError as error:
        return user_error(error)
    return write_annotation(result, args.dst_path, args.skip_missing)
