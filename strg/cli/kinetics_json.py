"""``python -m util_scripts.kinetics_json DIR N_CLASSES VIDEO_PATH {jpg,hdf5} DST_JSON``."""

from __future__ import annotations

import argparse
from pathlib import Path

from strg.cli.common import VIDEO_TYPE_HELP, add_skip_missing, write_annotation
from strg.cli.errors import user_error
from strg.errors import StrgError
from strg.prep.annotation import VIDEO_TYPES
from strg.prep.kinetics import build_annotation


def build_parser() -> argparse.ArgumentParser:
    """The command line of kinetics_json (the original's positional arguments)."""
    parser = argparse.ArgumentParser(
        prog="python -m util_scripts.kinetics_json",
        description=(
            "Build the annotation JSON of Kinetics from DIR/kinetics-N_{train,val,test}.csv (or "
            "the older kinetics_{train,val,test}.csv; test optional). Labels: the train CSV's "
            "classes in order of first appearance. Frames are counted at "
            "VIDEO_PATH/<label>/<id> (test: VIDEO_PATH/test/<id>)."
        ),
    )
    parser.add_argument("dir_path", type=Path, help="directory of the CSV files")
    parser.add_argument("n_classes", type=int, help="400, 600 or 700 (names the CSVs)")
    parser.add_argument(
        "video_path", type=Path, help="root of the frame folders, HDF5 files or videos"
    )
    parser.add_argument("video_type", choices=VIDEO_TYPES, help=VIDEO_TYPE_HELP)
    parser.add_argument("dst_path", type=Path, help="annotation JSON to write")
    add_skip_missing(parser)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Exit status 0 ok, 1 videos without frames, 2 bad input."""
    args = build_parser().parse_args(argv)
    try:
        result = build_annotation(
            args.dir_path, args.n_classes, args.video_path, args.video_type, args.skip_missing
        )
    except (StrgError, RuntimeError) as error:
        return user_error(error)
    return write_annotation(result, args.dst_path, args.skip_missing)
