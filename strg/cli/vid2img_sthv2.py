"""``python -m util_scripts.vid2img_sthv2 VIDEO_DIR FRAME_DIR``: Something-Something v2 frames."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from strg.cli.common import add_shard_option
from strg.cli.errors import user_error
from strg.cli.invocation import prog
from strg.errors import StrgError
from strg.prep.extract import extract_all
from strg.prep.ffmpeg import require_executable
from strg.prep.shard import select
from strg.prep.sthv2 import video_jobs
from strg.structures import ffmpeg_frame_pattern

NAME_PATTERN = ffmpeg_frame_pattern("sthv2")


def build_parser() -> argparse.ArgumentParser:
    """The command line of vid2img_sthv2."""
    parser = argparse.ArgumentParser(
        prog=prog("vid2img_sthv2"),
        description=(
            "Extract every VIDEO_DIR/<id>.webm to FRAME_DIR/<id>/%06d.jpg (frames numbered from "
            "1), shorter side scaled to --size. Resumable: complete folders are kept, folders left "
            "by an "
            "interrupted run are redone. Exits with 1 when any video failed."
        ),
    )
    parser.add_argument("video_dir", type=Path, help="directory of <id>.webm videos")
    parser.add_argument("frame_dir", type=Path, help="output directory of frame folders")
    parser.add_argument(
        "--n_jobs",
        type=int,
        default=os.cpu_count() or 1,
        help="videos extracted in parallel (default: number of CPU cores, %(default)s)",
    )
    parser.add_argument(
        "--size",
        type=int,
        default=256,
        help="shorter side of the frames in pixels (default: %(default)s)",
    )
    add_shard_option(parser)
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the extraction; returns the exit status (0 ok, 1 some videos failed, 2 bad input)."""
    args = build_parser().parse_args(argv)
    if args.size < 1 or args.n_jobs < 1:
        print("error: --size and --n_jobs must be positive", file=sys.stderr)
        return 2
    try:
        require_executable("ffmpeg")
        jobs = video_jobs(args.video_dir, args.frame_dir)
        args.frame_dir.mkdir(parents=True, exist_ok=True)
    except (StrgError, FileNotFoundError) as error:
        return user_error(error)
    except OSError as error:
        print(
            f"error: cannot create the frame directory {args.frame_dir}: {error.strerror}",
            file=sys.stderr,
        )
        return 2
    if not os.access(args.frame_dir, os.W_OK | os.X_OK):
        print(f"error: the frame directory {args.frame_dir} is not writable", file=sys.stderr)
        return 2
    if args.shard.count > 1:
        mine = select(jobs, args.shard, key=lambda job: job.output_dir.name)
        print(f"shard {args.shard}: {len(mine)} of {len(jobs)} videos")
        jobs = mine
    report = extract_all(jobs, NAME_PATTERN, args.size, args.n_jobs, progress=not args.quiet)
    print(report.summary())
    return 1 if report.failed else 0


if __name__ == "__main__":  # python -m strg.cli.MODULE
    raise SystemExit(main())
