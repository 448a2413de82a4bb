"""``python -m util_scripts.charades_json DIR VIDEO_DIR DST_JSON``: Charades, multi-label."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from strg.cli.common import add_skip_missing, add_video_type, write_annotation
from strg.cli.errors import user_error
from strg.errors import StrgError
from strg.prep.charades import OFFICIAL_FPS, build_annotation


def build_parser() -> argparse.ArgumentParser:
    """The command line of charades_json."""
    parser = argparse.ArgumentParser(
        prog="python -m util_scripts.charades_json",
        description=(
            "Build the multi-label annotation JSON of Charades from DIR/Charades_v1_classes.txt, "
            "Charades_v1_train.csv (training) and Charades_v1_test.csv (validation). Each entry: "
            "label = the video's class names, class_indices, actions (class and [start, end] in "
            "seconds), segment [1, n+1] of the frames in VIDEO_DIR/<id>, and video_path."
        ),
    )
    parser.add_argument("dir_path", type=Path, help="directory of the official files")
    parser.add_argument(
        "video_path",
        type=Path,
        help="directory of the frame folders <id>/ or videos (--video_type)",
    )
    parser.add_argument("dst_path", type=Path, help="annotation JSON to write")
    parser.add_argument(
        "--fps",
        type=float,
        default=OFFICIAL_FPS,
        help="frame rate of the frames, stored per entry (default: %(default)s, the official)",
    )
    add_video_type(parser)
    add_skip_missing(parser)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Exit status 0 ok, 1 videos without frames, 2 bad input."""
    args = build_parser().parse_args(argv)
    if args.fps <= 0:
        print("error: --fps must be positive", file=sys.stderr)
        return 2
    try:
        result = build_annotation(
            args.dir_path, args.video_path, args.fps, args.skip_missing, args.video_type
        )
    except StrgError as error:
        return user_error(error)
    return write_annotation(result, args.dst_path, args.skip_missing)
