"""``python -m util_scripts.generate_video_jpgs SRC DST DATASET``: frames of a whole data set."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable
from pathlib import Path

from strg.cli.common import add_shard_option, resolve_jobs
from strg.cli.errors import user_error
from strg.cli.invocation import prog as invoked_as
from strg.errors import StrgError
from strg.prep.extract import ExtractionJob, extract_video, run_jobs
from strg.prep.ffmpeg import require_executable
from strg.prep.shard import select
from strg.prep.videos import FLAT_DATASETS, VIDEO_EXTENSIONS, find_videos
from strg.structures import ffmpeg_frame_pattern

NAME_PATTERN = ffmpeg_frame_pattern("image")
IGNORED_SHOWN = 10


def build_parser(
    prog: str = "generate_video_jpgs", what: str = "frame folders"
) -> argparse.ArgumentParser:
    """The command line shared by generate_video_jpgs and generate_video_hdf5."""
    parser = argparse.ArgumentParser(
        prog=invoked_as(prog),
        description=(
            f"Extract the videos of a data set to {what}: SRC/<class>/<video>.<ext> -> "
            "DST/<class>/<video> (activitynet: SRC/<video>.mp4 -> DST/<video>), frames "
            "image_00001.jpg, ... with the shorter side scaled to --size. Videos are done in "
            "parallel; complete outputs are kept and partial ones redone on a rerun; failures "
            "are listed and make the exit status 1."
        ),
    )
    parser.add_argument("dir_path", type=Path, help="directory of the videos")
    parser.add_argument("dst_path", type=Path, help="output directory")
    parser.add_argument("dataset", choices=list(VIDEO_EXTENSIONS), help="layout and extension")
    parser.add_argument(
        "--n_jobs", type=int, default=-1, help="videos in parallel (-1: all CPU cores; default)"
    )
    parser.add_argument(
        "--fps", type=float, default=-1, help="resample to this frame rate (-1: keep; default)"
    )
    parser.add_argument(
        "--size", type=int, default=240, help="shorter side in pixels (default: %(default)s)"
    )
    parser.add_argument(
        "--video_ext",
        default=None,
        help="extension of the videos, overriding the data set's (.mp4 or .avi), e.g. .webm",
    )
    add_shard_option(parser)
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    return parser


def run(
    argv: list[str] | None,
    parser: argparse.ArgumentParser,
    suffix: str,
    make_work: Callable[[int, float | None], Callable[[ExtractionJob], tuple[str, str]]],
    check: Callable[[], None] = lambda: None,
) -> int:
    """Parse, list the videos, run ``make_work(size, fps)`` on each; the exit status."""
    args = parser.parse_args(argv)
    n_jobs = resolve_jobs(args.n_jobs)
    if args.size < 1 or n_jobs < 1 or (args.fps <= 0 and args.fps != -1):
        print("error: --size and --n_jobs must be positive, --fps positive or -1", file=sys.stderr)
        return 2
    try:
        require_executable("ffmpeg")
        check()
        listing = find_videos(args.dir_path, args.dst_path, args.dataset, args.video_ext, suffix)
        args.dst_path.mkdir(parents=True, exist_ok=True)
    except (StrgError, FileNotFoundError, ValueError, RuntimeError) as error:
        return user_error(error)
    except OSError as error:
        print(f"error: cannot create {args.dst_path}: {error.strerror}", file=sys.stderr)
        return 2
    if not os.access(args.dst_path, os.W_OK | os.X_OK):
        print(f"error: the output directory {args.dst_path} is not writable", file=sys.stderr)
        return 2
    if listing.ignored:
        where = "SRC" if args.dataset in FLAT_DATASETS else "SRC/<class>"
        print(
            f"ignored {len(listing.ignored)} entries that are not {where}/*"
            f"{args.video_ext or VIDEO_EXTENSIONS[args.dataset]} videos:",
            file=sys.stderr,
        )
        for path in listing.ignored[:IGNORED_SHOWN]:
            print(f"  {path}", file=sys.stderr)
        if len(listing.ignored) > IGNORED_SHOWN:
            print(f"  ... and {len(listing.ignored) - IGNORED_SHOWN} more", file=sys.stderr)
    keys = dict(zip(listing.jobs, listing.keys, strict=True))
    jobs = select(listing.jobs, args.shard, key=keys.__getitem__)
    if args.shard.count > 1:
        print(f"shard {args.shard}: {len(jobs)} of {len(listing.jobs)} videos")
    fps = None if args.fps == -1 else args.fps
    report = run_jobs(jobs, make_work(args.size, fps), n_jobs, progress=not args.quiet)
    print(report.summary())
    return 1 if report.failed else 0


def main(argv: list[str] | None = None) -> int:
    """Extract the frames; exit status 0 ok, 1 some videos failed, 2 bad input."""
    return run(
        argv,
        build_parser(),
        "",
        lambda size, fps: lambda job: extract_video(job, NAME_PATTERN, size, fps),
    )


if __name__ == "__main__":  # python -m strg.cli.MODULE
    raise SystemExit(main())
