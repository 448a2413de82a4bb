"""Pieces shared by the preparation commands: option types, failure lists, atomic JSON output."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from strg.atomic import write_json_atomic
from strg.prep.annotation import VIDEO_TYPES, MissingVideo
from strg.prep.shard import Shard, parse_shard

#: Items listed one per line before "... and N more".
SHOWN = 20


def shard_type(text: str) -> Shard:
    """argparse type for ``--shard I/N``."""
    try:
        return parse_shard(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def add_shard_option(parser: argparse.ArgumentParser) -> None:
    """``--shard I/N``: this machine's share when N machines split the work."""
    parser.add_argument(
        "--shard",
        type=shard_type,
        default=Shard(),
        metavar="I/N",
        help=(
            "do only share I of N (I = 0..N-1), chosen by a stable hash of each video's name, "
            "so N machines writing to the same output folder do every video exactly once "
            "(default: 0/1, everything)"
        ),
    )


def resolve_jobs(n_jobs: int) -> int:
    """``-1`` (the original's "all cores") -> the number of CPU cores."""
    return os.cpu_count() or 1 if n_jobs == -1 else n_jobs


def print_list(title: str, lines: Sequence[str]) -> None:
    """``title`` and up to SHOWN lines to stderr."""
    print(title, file=sys.stderr)
    for line in lines[:SHOWN]:
        print(f"  {line}", file=sys.stderr)
    if len(lines) > SHOWN:
        print(f"  ... and {len(lines) - SHOWN} more", file=sys.stderr)


def report_missing(missing: Sequence[MissingVideo], skip_missing: bool) -> bool:
    """List the videos without frames; returns whether the output may be written."""
    if not missing:
        return True
    print_list(
        f"{len(missing)} videos have no frames:",
        [f"{item.subset} {item.video_id}: {item.reason or item.path}" for item in missing],
    )
    if not skip_missing:
        print(
            "error: nothing written; extract their frames or pass --skip_missing",
            file=sys.stderr,
        )
    return skip_missing


def write_json_files(outputs: dict[Path, Any]) -> int:
    """Write every output atomically; 0, or 2 with a message naming the file that failed."""
    for path, data in outputs.items():
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            write_json_atomic(path, data)
        except OSError as error:
            print(f"error: cannot write {path}: {error.strerror or error}", file=sys.stderr)
            return 2
    return 0


def write_annotation(result: Any, dst_path: Path, skip_missing: bool) -> int:
    """Write one builder's annotation JSON (``result`` has ``annotation``, ``missing`` and
    ``counts``) and say what it holds; 0, 1 when videos have no frames and ``skip_missing`` is
    off (nothing written), 2 when the file cannot be written."""
    if not report_missing(result.missing, skip_missing):
        return 1
    status = write_json_files({dst_path: result.annotation})
    if status == 0:
        print(f"wrote {dst_path}: {describe(result.annotation, result.counts)}")
    return status


def describe(annotation: dict[str, Any], counts: dict[str, int]) -> str:
    """``"14 labels; 294 training, 84 validation"``."""
    subsets = ", ".join(f"{count} {subset}" for subset, count in counts.items())
    return f"{len(annotation['labels'])} labels; {subsets}"


def add_skip_missing(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--skip_missing",
        action="store_true",
        help="leave out videos without frames (they are listed) instead of failing",
    )


VIDEO_TYPE_HELP = (
    "frame folders (segment [1, n+1]), generate_video_hdf5 files (segment [0, n]), or the "
    "video files themselves, <folder path>.mp4/.webm/.avi/.mkv, frames counted by decoding "
    "(segment [1, n+1]; train with --file_type video, no extraction)"
)


def add_video_type(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--video_type",
        choices=VIDEO_TYPES,
        default="jpg",
        help=f"{VIDEO_TYPE_HELP} (default: %(default)s)",
    )
