"""``python -m util_scripts.add_fps_into_activitynet_json VIDEO_DIR JSON [DST_JSON]``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from strg.cli.common import print_list, resolve_jobs, write_json_files
from strg.cli.errors import user_error
from strg.cli.invocation import prog
from strg.errors import StrgError
from strg.prep.activitynet import add_fps


def build_parser() -> argparse.ArgumentParser:
    """The command line of add_fps_into_activitynet_json (the original's arguments)."""
    parser = argparse.ArgumentParser(
        prog=prog("add_fps_into_activitynet_json"),
        description=(
            "Probe every VIDEO_DIR/v_<id>.mp4 with ffprobe and store its frame rate as "
            "database[<id>].fps of the ActivityNet JSON, written to DST_JSON (default: JSON "
            "itself). Entries without a video and probe failures are listed; nothing is written "
            "then unless --skip_missing."
        ),
    )
    parser.add_argument("video_path", type=Path, help="directory of the v_<id>.mp4 videos")
    parser.add_argument("json_path", type=Path, help="the official ActivityNet JSON")
    parser.add_argument("dst_json_path", type=Path, nargs="?", default=None, help="output JSON")
    parser.add_argument("--n_jobs", type=int, default=-1, help="parallel probes (-1: all cores)")
    parser.add_argument(
        "--skip_missing",
        action="store_true",
        help="write the JSON even when some entries got no fps (they are listed)",
    )
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Exit status 0 ok, 1 entries without fps, 2 bad input."""
    args = build_parser().parse_args(argv)
    try:
        result = add_fps(args.video_path, args.json_path, resolve_jobs(args.n_jobs), not args.quiet)
    except StrgError as error:
        return user_error(error)
    if result.not_in_json:
        print_list(
            f"{len(result.not_in_json)} videos have no entry in {args.json_path} (ignored):",
            [str(path) for path in result.not_in_json],
        )
    problems = [f"{video}: {reason}" for video, reason in result.failed] + [
        f"{video_id}: no video {args.video_path / f'v_{video_id}.mp4'}"
        for video_id in result.no_video
    ]
    if problems:
        print_list(f"{len(problems)} entries got no fps:", problems)
        if not args.skip_missing:
            print("error: nothing written; pass --skip_missing to write anyway", file=sys.stderr)
            return 1
    destination = args.dst_json_path or args.json_path
    status = write_json_files({destination: result.annotation})
    if status == 0:
        print(f"wrote {destination}: fps of {result.updated} videos")
    return status


if __name__ == "__main__":  # python -m strg.cli.MODULE
    raise SystemExit(main())
