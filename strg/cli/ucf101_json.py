"""``python -m util_scripts.ucf101_json DIR VIDEO_PATH DST_DIR``: ucf101_0{1,2,3}.json."""

from __future__ import annotations

import argparse
from pathlib import Path

from strg.cli.common import (
    add_skip_missing,
    add_video_type,
    describe,
    report_missing,
    write_json_files,
)
from strg.cli.errors import user_error
from strg.cli.invocation import prog as invoked_as
from strg.errors import StrgError
from strg.prep.ucf101 import build_annotations

DESCRIPTION = (
    "Build ucf101_01.json, ucf101_02.json and ucf101_03.json in DST_DIR from DIR/classInd.txt, "
    "trainlist0k.txt (training) and testlist0k.txt (validation). Frames are counted at "
    "VIDEO_PATH/<class>/<video>."
)


def build_parser(
    prog: str = "ucf101_json", description: str = DESCRIPTION
) -> argparse.ArgumentParser:
    """The command line of ucf101_json and hmdb51_json (the original's positional arguments)."""
    parser = argparse.ArgumentParser(prog=invoked_as(prog), description=description)
    parser.add_argument("dir_path", type=Path, help="directory of the official split files")
    parser.add_argument("video_path", type=Path, help="root of the frame folders")
    parser.add_argument("dst_path", type=Path, help="directory to write one JSON per split to")
    add_video_type(parser)
    add_skip_missing(parser)
    return parser


def run(argv: list[str] | None, parser: argparse.ArgumentParser, build) -> int:
    """Build every split, list videos without frames, write all splits or none."""
    args = parser.parse_args(argv)
    try:
        results = build(args.dir_path, args.video_path, args.video_type, args.skip_missing)
    except (StrgError, RuntimeError) as error:
        return user_error(error)
    missing = {item: None for result in results.values() for item in result.missing}
    if not report_missing(list(missing), args.skip_missing):
        return 1
    outputs = {args.dst_path / name: result.annotation for name, result in results.items()}
    status = write_json_files(outputs)
    if status == 0:
        for name, result in results.items():
            print(f"wrote {args.dst_path / name}: {describe(result.annotation, result.counts)}")
    return status


def main(argv: list[str] | None = None) -> int:
    """Exit status 0 ok, 1 videos without frames, 2 bad input."""
    return run(argv, build_parser(), build_annotations)


if __name__ == "__main__":  # python -m strg.cli.MODULE
    raise SystemExit(main())
