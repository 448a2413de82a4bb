"""``python -m util_scripts.visualize_graph --resume_path CKPT --video_id ID [...]``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from strg.cli.errors import user_error
from strg.errors import StrgError
from strg.viz.graph import sample_graph
from strg.viz.graph_plot import plot_graph

#: Edges of each graph drawn when --edges is not given.
DEFAULT_EDGES = 8


def build_parser() -> argparse.ArgumentParser:
    """The command line of visualize_graph."""
    parser = argparse.ArgumentParser(
        prog="python -m util_scripts.visualize_graph",
        description=(
            "Draw one video through an STRG checkpoint of main.py: the clip's frames at the "
            "feature steps with their boxes, the strongest similarity and forward spatial-temporal "
            "edges between them, the true label and the top-3 predictions. The clip is sampled "
            "as inference samples it, with the options stored in the checkpoint."
        ),
    )
    parser.add_argument("--resume_path", type=Path, required=True, help="save_{epoch}.pth")
    parser.add_argument("--video_id", required=True, help="a video of the annotation JSON")
    for name, what in (
        ("annotation_path", "annotation JSON"),
        ("video_path", "frame (or video) root"),
        ("proposal_path", "proposal store"),
    ):
        parser.add_argument(
            f"--{name}", type=Path, default=None, help=f"{what} (default: the checkpoint's)"
        )
    parser.add_argument(
        "--out",
        type=Path,
        default=None,
        help="PNG to write (default: graph_<video_id>.png beside the checkpoint)",
    )
    parser.add_argument(
        "--edges",
        type=int,
        default=DEFAULT_EDGES,
        help="strongest edges drawn per graph (default: %(default)s)",
    )
    parser.add_argument(
        "--phase",
        choices=("inference", "val"),
        default="inference",
        help="sample the clips as inference or as validation does (default: %(default)s)",
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    """Exit status 0 when the picture is written, 2 on bad input (the message names it)."""
    args = build_parser().parse_args(argv)
    if args.edges < 0:
        print(f"error: --edges must be >= 0, got {args.edges}", file=sys.stderr)
        return 2
    safe_id = args.video_id.replace("/", "_").replace("\\", "_")
    out = args.out or args.resume_path.parent / f"graph_{safe_id}.png"
    try:
        sample = sample_graph(
            args.resume_path,
            args.video_id,
            annotation_path=args.annotation_path,
            video_path=args.video_path,
            proposal_path=args.proposal_path,
            phase=args.phase,
        )
        drawn = plot_graph(sample, out, edges=args.edges)
    except StrgError as error:
        return user_error(error)
    except OSError as error:
        print(f"error: cannot write {out}: {error.strerror or error}", file=sys.stderr)
        return 2
    counts = ", ".join(f"{len(edges)} {name}" for name, edges in drawn.items())
    top = ", ".join(f"{name} {score:.3f}" for name, score in sample.top(3))
    print(f"video {sample.video_id}: truth {', '.join(sample.labels) or 'unlabelled'}; top-3 {top}")
    print(f"wrote {out} ({counts} edges)")
    return 0
