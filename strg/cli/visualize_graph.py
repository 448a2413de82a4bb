"""``python -m util_scripts.visualize_graph --resume_path CKPT --video_id ID [...]``, or
``... --resume_path CKPT --stats [--subset S] [--max_videos N] [--json OUT]``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from strg.atomic import write_json_atomic
from strg.cli.errors import USER_ERROR, user_error
from strg.cli.invocation import prog
from strg.errors import StrgError
from strg.structures import SUBSETS
from strg.viz.graph import sample_graph
from strg.viz.graph_plot import plot_graph
from strg.viz.graph_stats import (
    DEFAULT_BATCH_SIZE,
    DEFAULT_N_THREADS,
    DEFAULT_SUBSET,
    graph_statistics,
)

#: Edges of each graph drawn when --edges is not given.
DEFAULT_EDGES = 8
DEFAULT_PHASE = "inference"
#: The flags of each mode (their defaults are None so that a flag given in the other is caught).
PICTURE_FLAGS = ("video_id", "out", "edges", "phase")
STATS_FLAGS = ("subset", "max_videos", "batch_size", "n_threads", "json")


def build_parser() -> argparse.ArgumentParser:
    """The command line of visualize_graph."""
    parser = argparse.ArgumentParser(
        prog=prog("visualize_graph"),
        description=(
            "Draw one video through an STRG checkpoint of main.py: the clip's frames at the "
            "feature steps with their boxes, the strongest similarity and forward spatial-temporal "
            "edges between them, the true label and the top-3 predictions. The clip is sampled "
            "as inference samples it, with the options stored in the checkpoint. With --stats, "
            "print the graph's statistics over a subset instead (similarity row entropy, node "
            "cosines, forward-edge share, logit spread of the graph and global halves)."
        ),
    )
    parser.add_argument("--resume_path", type=Path, required=True, help="save_{epoch}.pth")
    for name, what in (
        ("annotation_path", "annotation JSON"),
        ("video_path", "frame (or video) root"),
        ("proposal_path", "proposal store"),
    ):
        parser.add_argument(
            f"--{name}", type=Path, default=None, help=f"{what} (default: the checkpoint's)"
        )
    picture = parser.add_argument_group("the picture of one video (without --stats)")
    picture.add_argument("--video_id", help="a video of the annotation JSON (required)")
    picture.add_argument(
        "--out",
        type=Path,
        help="PNG to write (default: graph_<video_id>.png beside the checkpoint)",
    )
    picture.add_argument(
        "--edges", type=int, help=f"strongest edges drawn per graph (default: {DEFAULT_EDGES})"
    )
    picture.add_argument(
        "--phase",
        choices=("inference", "val"),
        help=f"sample the clips as inference or as validation does (default: {DEFAULT_PHASE})",
    )
    stats = parser.add_argument_group("the statistics of a subset (--stats)")
    stats.add_argument(
        "--stats",
        action="store_true",
        help="print the graph's statistics over the subset's videos, sampled as validation "
        "samples them, instead of drawing a picture",
    )
    stats.add_argument(
        "--subset",
        choices=tuple(SUBSETS.values()),
        help=f"annotation subset to read (default: {DEFAULT_SUBSET})",
    )
    stats.add_argument(
        "--max_videos", type=int, help="only the subset's first N videos (default: all)"
    )
    stats.add_argument(
        "--batch_size", type=int, help=f"videos per batch (default: {DEFAULT_BATCH_SIZE})"
    )
    stats.add_argument(
        "--n_threads", type=int, help=f"data loader workers (default: {DEFAULT_N_THREADS})"
    )
    stats.add_argument("--json", type=Path, help="also write the statistics to this JSON file")
    return parser


def _misused(args: argparse.Namespace) -> str | None:
    """Why the flags do not fit together, or ``None``."""
    others = PICTURE_FLAGS if args.stats else STATS_FLAGS
    wrong = [f"--{name}" for name in others if getattr(args, name) is not None]
    if wrong:
        return f"{', '.join(wrong)} cannot be used {'with' if args.stats else 'without'} --stats"
    if not args.stats and args.video_id is None:
        return "--video_id is required to draw a picture (or pass --stats)"
    if args.edges is not None and args.edges < 0:
        return f"--edges must be >= 0, got {args.edges}"
    return None


def main(argv: list[str] | None = None) -> int:
    """Exit status 0 when the picture (or the statistics) is written, 2 on bad input (the
    message names it)."""
    args = build_parser().parse_args(argv)
    problem = _misused(args)
    if problem is not None:
        print(f"error: {problem}", file=sys.stderr)
        return USER_ERROR
    return _statistics(args) if args.stats else _picture(args)


def _picture(args: argparse.Namespace) -> int:
    safe_id = args.video_id.replace("/", "_").replace("\\", "_")
    out = args.out or args.resume_path.parent / f"graph_{safe_id}.png"
    try:
        sample = sample_graph(
            args.resume_path,
            args.video_id,
            annotation_path=args.annotation_path,
            video_path=args.video_path,
            proposal_path=args.proposal_path,
            phase=args.phase or DEFAULT_PHASE,
        )
        drawn = plot_graph(sample, out, edges=DEFAULT_EDGES if args.edges is None else args.edges)
    except StrgError as error:
        return user_error(error)
    except OSError as error:
        print(f"error: cannot write {out}: {error.strerror or error}", file=sys.stderr)
        return USER_ERROR
    counts = ", ".join(f"{len(edges)} {name}" for name, edges in drawn.items())
    top = ", ".join(f"{name} {score:.3f}" for name, score in sample.top(3))
    print(f"video {sample.video_id}: truth {', '.join(sample.labels) or 'unlabelled'}; top-3 {top}")
    print(f"wrote {out} ({counts} edges)")
    if not bool(sample.valid.any()):
        print(
            f"note: no box of video {sample.video_id} falls inside the crop of its first clip, so "
            f"{out} shows its frames without boxes or edges (check its proposals, or use "
            "--phase with another crop)",
            file=sys.stderr,
        )
    return 0


def _statistics(args: argparse.Namespace) -> int:
    given = {
        name: getattr(args, name)
        for name in ("subset", "max_videos", "batch_size", "n_threads")
        if getattr(args, name) is not None
    }
    try:
        statistics = graph_statistics(
            args.resume_path,
            annotation_path=args.annotation_path,
            video_path=args.video_path,
            proposal_path=args.proposal_path,
            **given,
        )
    except StrgError as error:
        return user_error(error)
    print(statistics)
    if args.json is not None:
        try:
            args.json.parent.mkdir(parents=True, exist_ok=True)
            write_json_atomic(args.json, statistics.as_dict(), indent=2)
        except OSError as error:
            print(f"error: cannot write {args.json}: {error.strerror or error}", file=sys.stderr)
            return USER_ERROR
        print(f"wrote {args.json}")
    return 0


if __name__ == "__main__":  # python -m strg.cli.MODULE
    raise SystemExit(main())
