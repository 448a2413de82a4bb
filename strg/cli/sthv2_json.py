"""``python -m util_scripts.sthv2_json DIR VIDEO_DIR DST_JSON``: the v2 annotation JSON."""

from __future__ import annotations

import argparse
from pathlib import Path

from strg.cli.common import add_skip_missing, add_video_type, write_annotation
from strg.cli.errors import user_error
from strg.errors import StrgError
from strg.prep.sthv2 import build_annotation


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
    """Build and write the JSON; returns the exit status (0 ok, 1 videos missing, 2 bad input)."""
    args = build_parser().parse_args(argv)
    try:
        result = build_annotation(
            args.dir_path, args.video_path, args.skip_missing, args.video_type
        )
    except StrgError as error:
        return user_error(error)
    return write_annotation(result, args.dst_path, args.skip_missing)
