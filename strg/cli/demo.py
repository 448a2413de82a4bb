"""``strg demo``: the main job on the embedded data set, through the public commands.

Every step is a public command run as a subprocess (an argument list, never a shell string) and is
printed first, so the demo doubles as the recipe a user copies for a real data set. Steps whose
output is already complete finish at once, so a rerun is cheap.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import subprocess
import sys
import time
from pathlib import Path

from strg.cli.invocation import prog


def build_parser() -> argparse.ArgumentParser:
    """The command line of the demo."""
    parser = argparse.ArgumentParser(
        prog=prog("demo", "strg demo"),
        description=(
            "Generate the embedded data set (Something-Something v2 layout), extract its frames, "
            "build the annotation JSON and import the boxes; then train the backbone (stage 1), "
            "train STRG from it and the backbone alone at the same budget (stage 2), run both on "
            "the validation videos, score and compare them, and draw curves, confusion matrices "
            "and one video's graph; all with the public commands a user runs on real data."
        ),
    )
    add_data_options(parser)
    # 6 + 3 epochs: the whole demo in about 13 minutes on 2 cores (strg ablate: 12 + 4)
    add_recipe_options(parser, epochs=6, stage2_epochs=3)
    parser.add_argument(
        "--prepare_only", action="store_true", help="stop after preparing the data set"
    )
    return parser


def add_data_options(
    parser: argparse.ArgumentParser, seed_help: str = "seed of the data set and of training"
) -> None:
    """Where the embedded data set goes and how it is made (shared with ``strg ablate``)."""
    parser.add_argument(
        "--workdir",
        type=Path,
        default=Path("data/demo"),
        help="where the data set and everything made from it go (default: %(default)s)",
    )
    parser.add_argument(
        "--variant",
        choices=("relational", "motion"),
        default="relational",
        help="class set of the embedded data set: relational (classes told apart only by "
        "relations between objects) or motion, the first one (default: %(default)s)",
    )
    parser.add_argument(
        "--split",
        choices=("shuffled", "compositional"),
        default="shuffled",
        help="compositional: validation objects have shape-colour looks never seen in training "
        "(relational only; default: %(default)s)",
    )
    parser.add_argument(
        "--videos-per-class",
        type=int,
        default=None,
        help="videos per class of the embedded data set (default: the variant's: 80 for "
        "relational, 504 validation videos; 30 for motion)",
    )
    parser.add_argument(
        "--seed",
        type=int,
        default=0,
        help=f"{seed_help} (default: %(default)s)",
    )
    parser.add_argument(
        "--n_jobs",
        type=int,
        default=os.cpu_count() or 1,
        help="parallel workers for generation, extraction and loading (default: %(default)s)",
    )


def add_recipe_options(
    parser: argparse.ArgumentParser, epochs: int = 12, stage2_epochs: int = 4
) -> None:
    """The training recipe's sizes (shared with ``strg ablate``, whose defaults are the
    measurement's; the demo's are shorter, to show the whole job within 15 minutes)."""
    parser.add_argument(
        "--epochs",
        type=int,
        default=epochs,
        help="stage-1 epochs of the backbone (default: %(default)s)",
    )
    parser.add_argument(
        "--stage2_epochs",
        type=int,
        default=stage2_epochs,
        help="stage-2 epochs, for STRG and, at the same budget, for the backbone alone "
        "(default: %(default)s)",
    )
    parser.add_argument(
        "--sample_size", type=int, default=56, help="crop side in pixels (default: 56)"
    )
    parser.add_argument(
        "--sample_duration", type=int, default=16, help="frames per clip (default: 16)"
    )


def _shown(argument: str) -> str:
    """An argument as a user would type it in the current directory."""
    if argument == sys.executable:
        return "python"
    here = f"{Path.cwd()}{os.sep}"
    return argument.removeprefix(here) if argument.startswith(here) else argument


def run_step(title: str, command: list[str]) -> float:
    """Print and run one public command; stop the demo with its exit status when it fails."""
    print(f"\n== {title}\n$ {shlex.join(_shown(argument) for argument in command)}", flush=True)
    started = time.perf_counter()
    completed = subprocess.run(command, check=False)
    if completed.returncode != 0:
        print(
            f"demo: step '{title}' failed with exit status {completed.returncode}", file=sys.stderr
        )
        raise SystemExit(completed.returncode)
    return time.perf_counter() - started


def prepare(args: argparse.Namespace) -> tuple[Path, Path, Path]:
    """Generate, extract, annotate and import boxes (each step finishes at once when its output
    is complete); returns the annotation JSON, the frame folders and the proposal store."""
    dataset = args.workdir / "sthv2"
    frames = dataset / "frames"
    annotation = args.workdir / "sthv2.json"
    boxes = dataset / "boxes"
    python = sys.executable
    timings = {
        "generate": run_step("1/4 generate the embedded data set", [
            python, "-m", "strg.synth", "--out", str(dataset), "--variant", args.variant,
            "--split", args.split, *_size(args.videos_per_class), "--seed", str(args.seed),
            "--workers", str(args.n_jobs),
        ]),
        "extract frames": run_step("2/4 extract frames", [
            python, "-m", "strg.cli.vid2img_sthv2", str(dataset / "videos"), str(frames),
            "--n_jobs", str(args.n_jobs),
        ]),
        "annotation JSON": run_step("3/4 build the annotation JSON", [
            python, "-m", "strg.cli.sthv2_json", str(dataset), str(frames), str(annotation),
        ]),
        "import boxes": run_step("4/4 import the boxes into the proposal store", [
            python, "-m", "strg.cli.import_boxes", str(dataset / "bounding_box_smthsmth.json"),
            str(boxes), "--video_dir", str(dataset / "videos"),
        ]),
    }  # fmt: skip
    report(annotation, dataset, timings)
    return annotation, frames, boxes


def _size(videos_per_class: int | None) -> list[str]:
    return [] if videos_per_class is None else ["--videos-per-class", str(videos_per_class)]


def main(argv: list[str] | None = None) -> int:
    """Run the demo pipeline; returns the exit status."""
    args = build_parser().parse_args(argv)
    annotation, frames, boxes = prepare(args)
    if args.prepare_only:
        return 0
    # imported here: preparing the data set does not need the training stack
    from strg.cli.demo_training import train_and_compare

    return train_and_compare(args, annotation, frames, boxes, run_step)


def report(annotation_path: Path, dataset: Path, timings: dict[str, float]) -> None:
    """Print what the pipeline produced."""
    annotation = json.loads(annotation_path.read_text(encoding="utf-8"))
    boxes = json.loads((dataset / "bounding_box_smthsmth.json").read_text(encoding="utf-8"))
    subsets: dict[str, list[int]] = {}
    for entry in annotation["database"].values():
        segment = entry["annotations"]["segment"]
        subsets.setdefault(entry["subset"], []).append(segment[1] - segment[0])
    n_boxes = sum(len(frame["labels"]) for frames in boxes.values() for frame in frames)
    print("\n== report")
    print(f"classes: {len(annotation['labels'])}")
    for subset, lengths in subsets.items():
        print(
            f"{subset:<11} {len(lengths):>5} videos, {sum(lengths):>7} frames "
            f"({min(lengths)}-{max(lengths)} per video)"
        )
    print(f"boxes: {n_boxes} in {len(boxes)} videos ({dataset / 'bounding_box_smthsmth.json'})")
    print("time: " + ", ".join(f"{step} {seconds:.1f} s" for step, seconds in timings.items()))
    print(f"annotation JSON for training: {annotation_path}")


if __name__ == "__main__":  # python -m strg.cli.MODULE
    raise SystemExit(main())
