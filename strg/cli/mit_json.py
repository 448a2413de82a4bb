"""``python -m util_scripts.mit_json DIR VIDEO_PATH DST_JSON``: Moments in Time."""

from __future__ import annotations

import argparse
from pathlib import Path

from strg.cli.common import add_skip_missing, add_video_type, write_annotation
from strg.cli.errors import user_error
from strg.cli.invocation import prog
from strg.errors import StrgError
from strg.prep.mit import build_annotation


def build_parser() -> argparse.ArgumentParser:
    """The command line of mit_json (the original's positional arguments)."""
    parser = argparse.ArgumentParser(
        prog=prog("mit_json"),
        description=(
            "Build the annotation JSON of Moments in Time from DIR/moments_categories.txt, "
            "trainingSet.csv, validationSet.csv and the optional testingSet.csv. Frames are "
            "counted at VIDEO_PATH/<class>/<video> (test: VIDEO_PATH/test/<video>)."
        ),
    )
    parser.add_argument("dir_path", type=Path, help="directory of the official CSV files")
    parser.add_argument("video_path", type=Path, help="root of the frame folders")
    parser.add_argument("dst_path", type=Path, help="annotation JSON to write")
    add_video_type(parser)
    add_skip_missing(parser)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Exit status 0 ok, 1 videos without frames, 2 bad input."""
    args = build_parser().parse_args(argv)
    try:
        result = build_annotation(
            args.dir_path, args.video_path, args.video_type, args.skip_missing
        )
    except (StrgError, RuntimeError) as error:
        return user_error(error)
    return write_annotation(result, args.dst_path, args.skip_missing)


if __name__ == "__main__":  # python -m strg.cli.MODULE
    raise SystemExit(main())
