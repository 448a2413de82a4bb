"""The training half of ``strg demo``: the backbone, then STRG from it, compared and drawn.

The paper's two stages at the same budget for both models: stage 1 trains the backbone alone;
stage 2 continues from that checkpoint for the same number of epochs at a 10× lower rate, once
with the region-graph head (STRG, boxes from the store) and once without (the baseline). Both are
then run in inference on the validation subset, scored with eval_accuracy, and compared in a
table; the curves, the confusion matrices and one validation video's graph are drawn.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path

from strg.atomic import write_text_atomic

CHECKOUT = Path(__file__).resolve().parents[2]
STAGE1_RATE = 0.02


def _main_py() -> list[str]:
    return [sys.executable, str(CHECKOUT / "main.py")]


def train_and_compare(
    args: argparse.Namespace,
    annotation: Path,
    frames: Path,
    boxes: Path,
    run_step: Callable[[str, list[str]], float],
) -> int:
    """Train, infer, evaluate, tabulate and draw; returns the exit status."""
    work = args.workdir
    stage1, backbone, strg = work / "stage1_backbone", work / "backbone", work / "strg"
    common = [
        "--video_path", str(frames), "--annotation_path", str(annotation),
        "--dataset", "somethingv2", "--n_classes", "14",
        "--model", "resnet", "--model_depth", "10", "--no_max_pool",
        "--sample_size", str(args.sample_size), "--sample_duration", str(args.sample_duration),
        "--batch_size", "8", "--n_val_samples", "1", "--n_threads", str(args.n_jobs),
        "--manual_seed", str(args.seed), "--lr_scheduler", "cosine",
    ]  # fmt: skip
    graph = ["--strg", "--proposal_path", str(boxes), "--nrois", "5"]
    from_stage1 = [
        "--pretrain_path", str(stage1 / f"save_{args.epochs}.pth"), "--n_pretrain_classes", "14",
        "--learning_rate", str(STAGE1_RATE / 10), "--n_epochs", str(args.stage2_epochs),
        "--checkpoint", str(args.stage2_epochs),
    ]  # fmt: skip
    run_step("stage 1: the backbone alone", [
        *_main_py(), *common, "--result_path", str(stage1), "--learning_rate", str(STAGE1_RATE),
        "--n_epochs", str(args.epochs), "--checkpoint", str(args.epochs),
    ])  # fmt: skip
    run_step("stage 2, baseline: the backbone alone, same budget", [
        *_main_py(), *common, "--result_path", str(backbone), *from_stage1,
    ])  # fmt: skip
    run_step("stage 2: STRG on the stage-1 backbone", [
        *_main_py(), *common, *graph, "--result_path", str(strg), *from_stage1,
    ])  # fmt: skip
    scores = {}
    for name, directory, extra in (("backbone", backbone, []), ("STRG", strg, graph)):
        run_step(f"inference: {name} on the validation videos", [
            *_main_py(), *common, *extra, "--result_path", str(directory), "--no_train",
            "--no_val", "--inference", "--resume_path",
            str(directory / f"save_{args.stage2_epochs}.pth"),
        ])  # fmt: skip
        for k in (1, 5):
            run_step(f"evaluate {name}: top-{k}", [
                sys.executable, "-m", "util_scripts.eval_accuracy", str(annotation),
                str(directory / "val.json"), "--subset", "val", "-k", str(k), "--save",
            ])  # fmt: skip
        scores[name] = {k: float((directory / f"top{k}.txt").read_text()) for k in (1, 5)}
    pictures = work / "pictures"
    video_id = _first_validation_video(annotation)
    run_step(f"picture of the graph of validation video {video_id}", [
        sys.executable, "-m", "util_scripts.visualize_graph", "--resume_path",
        str(strg / f"save_{args.stage2_epochs}.pth"), "--video_id", video_id,
        "--out", str(pictures / "graph.png"),
    ])  # fmt: skip
    _draw(annotation, {"stage 1": stage1, "backbone": backbone, "STRG": strg}, pictures)
    table = _table(scores, args)
    write_text_atomic(work / "results.md", table)
    print("\n== comparison (validation, video accuracy)\n" + table)
    print(f"pictures: {', '.join(sorted(str(p) for p in pictures.glob('*.png')))}")
    return 0


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


def _table(scores: dict[str, dict[int, float]], args: argparse.Namespace) -> str:
    budget = f"{args.epochs} + {args.stage2_epochs} epochs"
    lines = [
        f"| model ({budget}, {args.sample_duration}×{args.sample_size}², r3d-10) | top-1 | top-5 |",
        "|---|---|---|",
    ]
    for name, by_k in scores.items():
        lines.append(f"| {name} | {100 * by_k[1]:.1f} | {100 * by_k[5]:.1f} |")
    return "\n".join(lines) + "\n"
