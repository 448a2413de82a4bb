"""``python -m util_scripts.import_boxes BOXES_JSON [BOXES_JSON ...] OUT_DIR``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from strg.cli.common import add_shard_option
from strg.cli.errors import user_error
from strg.cli.invocation import prog
from strg.errors import StrgError
from strg.prep.import_boxes import import_boxes


def build_parser() -> argparse.ArgumentParser:
    """The command line of import_boxes."""
    parser = argparse.ArgumentParser(
        prog=prog("import_boxes"),
        description=(
            "Import Something-Else box files (bounding_box_smthsmth*.json; several part files "
            "allowed) into the proposal store OUT_DIR, one <video_id>.npz per video, boxes in "
            "pixels of the original video. The frame size of each video is read from "
            "--video_dir/<id>.webm (or .mp4), or given once with --frame_size."
        ),
    )
    parser.add_argument("boxes_json", type=Path, nargs="+", help="Something-Else box JSON files")
    parser.add_argument("out_dir", type=Path, help="proposal store directory")
    parser.add_argument(
        "--video_dir", type=Path, default=None, help="directory of the <id>.webm videos"
    )
    parser.add_argument(
        "--frame_size",
        type=int,
        nargs=2,
        default=None,
        metavar=("HEIGHT", "WIDTH"),
        help="frame size of every video, instead of --video_dir",
    )
    add_shard_option(parser)
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Exit status 0 ok, 1 some videos failed, 2 bad input."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if (args.video_dir is None) == (args.frame_size is None):
        print("error: give either --video_dir or --frame_size", file=sys.stderr)
        return 2
    if args.video_dir is not None and not args.video_dir.is_dir():
        print(f"error: --video_dir {args.video_dir} does not exist", file=sys.stderr)
        return 2
    if args.frame_size is not None and min(args.frame_size) < 1:
        print("error: --frame_size must be positive", file=sys.stderr)
        return 2
    try:
        report = import_boxes(
            args.boxes_json,
            args.out_dir,
            video_dir=args.video_dir,
            frame_size=tuple(args.frame_size) if args.frame_size else None,
            shard=args.shard,
            progress=not args.quiet,
        )
    except StrgError as error:
        return user_error(error)
    except OSError as error:
        print(f"error: cannot write to {args.out_dir}: {error.strerror}", file=sys.stderr)
        return 2
    print(report.summary())
    return 1 if report.failed else 0


if __name__ == "__main__":  # python -m strg.cli.MODULE
    raise SystemExit(main())
