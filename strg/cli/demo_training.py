"""The training half of ``strg demo``: the backbone, then STRG from it, compared and drawn.

The paper's two stages at the same budget for both models (:class:`strg.cli.recipe.Recipe`): stage 1
trains the backbone alone; stage 2 continues from that checkpoint for the same number of epochs at
a 10× lower rate, once with the region-graph head (STRG, boxes from the store) and once without
(the baseline). Both are then run in inference on the validation subset, scored with
eval_accuracy, and compared in a table; the curves, the confusion matrices and one validation
video's graph are drawn.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path

from strg.atomic import write_text_atomic
from strg.cli.recipe import Recipe, read_scores


def recipe_from_args(
    args: argparse.Namespace, annotation: Path, frames: Path, boxes: Path
) -> Recipe:
    """The recipe the demo's (or the ablation's) options describe."""
    return Recipe(
        frames=frames, annotation=annotation, boxes=boxes, stage1_epochs=args.epochs,
        stage2_epochs=args.stage2_epochs, sample_size=args.sample_size,
        sample_duration=args.sample_duration, n_jobs=args.n_jobs,
    )  # fmt: skip


def train_and_compare(
    args: argparse.Namespace,
    annotation: Path,
    frames: Path,
    boxes: Path,
    run_step: Callable[[str, list[str]], float],
) -> int:
    """Train, infer, evaluate, tabulate and draw; returns the exit status."""
    work = args.workdir
    recipe = recipe_from_args(args, annotation, frames, boxes)
    stage1, backbone, strg = work / "stage1_backbone", work / "backbone", work / "strg"
    run_step("stage 1: the backbone alone", recipe.stage1(stage1, args.seed))
    run_step(
        "stage 2, baseline: the backbone alone, same budget",
        recipe.stage2(backbone, stage1, args.seed, []),
    )
    run_step(
        "stage 2: STRG on the stage-1 backbone",
        recipe.stage2(strg, stage1, args.seed, recipe.graph()),
    )
    scores = {}
    for name, directory, head in (("backbone", backbone, []), ("STRG", strg, recipe.graph())):
        run_step(
            f"inference: {name} on the validation videos",
            recipe.inference(directory, args.seed, head),
        )
        for k in (1, 5):
            run_step(f"evaluate {name}: top-{k}", recipe.evaluate(directory, k))
        scores[name] = read_scores(directory)
    run_step("the graph's statistics over the validation videos", [
        sys.executable, "-m", "strg.cli.visualize_graph", "--resume_path",
        str(recipe.stage2_checkpoint(strg)), "--stats", "--json", str(work / "graph_stats.json"),
        "--n_threads", str(args.n_jobs),
    ])  # fmt: skip
    pictures = work / "pictures"
    video_id = _first_validation_video(annotation)
    run_step(f"picture of the graph of validation video {video_id}", [
        sys.executable, "-m", "strg.cli.visualize_graph", "--resume_path",
        str(recipe.stage2_checkpoint(strg)), "--video_id", video_id,
        "--out", str(pictures / "graph.png"),
    ])  # fmt: skip
    _draw(annotation, {"stage 1": stage1, "backbone": backbone, "STRG": strg}, pictures)
    table = _table(scores, recipe) + "\n" + _paired_line(annotation, backbone, strg) + "\n"
    write_text_atomic(work / "results.md", table)
    print("\n== comparison (validation, video accuracy)\n" + table)
    print(f"pictures: {', '.join(sorted(str(p) for p in pictures.glob('*.png')))}")
    return 0


def _paired_line(annotation: Path, backbone: Path, strg: Path) -> str:
    """STRG − backbone in top-1 points with its 95 % interval over the validation videos
    (both arms from the same stage-1 checkpoint: one seed, so McNemar's paired interval)."""
    from strg.evaluation.accuracy import top_k_hits
    from strg.evaluation.files import read_ground_truth, read_results
    from strg.evaluation.paired import paired_difference

    truth = read_ground_truth(annotation, "val")
    hits = {
        name: {0: top_k_hits(truth, read_results(run / "val.json", truth.class_names), 1)}
        for name, run in (("backbone", backbone), ("STRG", strg))
    }
    videos = paired_difference(hits["STRG"], hits["backbone"]).videos
    return (
        f"paired difference STRG - backbone: {videos.mean:+.1f} points (95 % interval over the "
        f"{len(truth.video_labels)} validation videos {videos.low:+.1f} to {videos.high:+.1f})"
    )


def _first_validation_video(annotation: Path) -> str:
    database = json.loads(annotation.read_text(encoding="utf-8"))["database"]
    return next(video for video, entry in database.items() if entry["subset"] == "validation")


def _draw(annotation: Path, runs: dict[str, Path], pictures: Path) -> None:
    from strg.viz.confusion import plot_confusion
    from strg.viz.curves import plot_curves

    pictures.mkdir(parents=True, exist_ok=True)
    plot_curves(runs, pictures / "curves.png", title="loss and accuracy per epoch")
    for name in ("backbone", "STRG"):
        plot_confusion(
            annotation, runs[name] / "val.json", pictures / f"confusion_{name.lower()}.png",
            subset="validation", title=f"{name}: validation confusion",
        )  # fmt: skip


def _table(scores: dict[str, dict[int, float]], recipe: Recipe) -> str:
    lines = [f"| model ({recipe.description}) | top-1 | top-5 |", "|---|---|---|"]
    for name, by_k in scores.items():
        lines.append(f"| {name} | {100 * by_k[1]:.1f} | {100 * by_k[5]:.1f} |")
    return "\n".join(lines) + "\n"
