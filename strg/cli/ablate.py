"""``strg ablate`` / ``python -m util_scripts.ablate``: the paper's ablation on the embedded data.

For each seed, stage 1 trains the backbone once; stage 2 then continues from it, at the same budget,
once per configuration: the backbone alone, + the similarity graph, + the spatial-temporal graphs,
both; 1 to 4 graph layers; ``end`` versus ``layer`` fusion (the paper's Tables 1–3, at small
scale). Every run is scored on the validation videos by ``main.py --inference`` and
``eval_accuracy``; the mean ± standard deviation over seeds is written as a Markdown table
(``ablation.md``), the per-seed figures as JSON (``ablation.json``) and a plot (``ablation.png``).
Beside them, each configuration's paired difference from the backbone of the same seeds, with two
95 % intervals (over seeds, and over validation videos: :mod:`strg.evaluation.paired`); one line
per configuration is printed, ``paired difference <configuration> - backbone: ...``.

Runs finished with the same commands are reused (and said so), so an interrupted ablation
continues where it stopped; a folder made by other commands is refused. The data set is the
demo's (prepared first when missing), and so is the recipe.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import NamedTuple

from strg.atomic import write_text_atomic
from strg.cli.invocation import prog
from strg.evaluation.paired import Interval, PairedDifference, paired_difference


class Configuration(NamedTuple):
    """One row of the ablation: its name in the table, and the stage-2 head's main.py flags
    (``None``: the backbone alone)."""

    name: str
    flags: list[str] | None


#: Short name (``--configurations``, the run folder) -> configuration, in table order.
CONFIGURATIONS: dict[str, Configuration] = {
    "backbone": Configuration("backbone only", None),
    "similarity": Configuration("+ similarity", ["--graphs", "similarity"]),
    "spatial_temporal": Configuration("+ spatial-temporal", ["--graphs", "spatial_temporal"]),
    "both": Configuration("+ both (3 layers, end fusion)", []),
    "layers1": Configuration("+ both, 1 layer", ["--gcn_layers", "1"]),
    "layers2": Configuration("+ both, 2 layers", ["--gcn_layers", "2"]),
    "layers4": Configuration("+ both, 4 layers", ["--gcn_layers", "4"]),
    "layer_fusion": Configuration("+ both, layer fusion", ["--gcn_fusion", "layer"]),
}


#: The rows run by default: the comparison that decides whether the region graph helps, within
#: the hour of 2 CPU cores that the ablation may take.
DEFAULT_CONFIGURATIONS = ("backbone", "both")


def build_parser() -> argparse.ArgumentParser:
    """The command line of the ablation."""
    from strg.cli.demo import add_data_options, add_recipe_options

    parser = argparse.ArgumentParser(
        prog=prog("ablate"),
        description=(
            "The paper's ablation on the embedded data set, over several seeds: the backbone "
            "alone, + similarity graph, + spatial-temporal graphs, both; 1 to 4 graph layers; end "
            "versus layer fusion. Writes OUT/ablation.md (mean ± std of validation top-1 and "
            "top-5, paired differences from the backbone with 95 % intervals), "
            "OUT/ablation.json and OUT/ablation.png."
        ),
    )
    add_data_options(parser, seed_help="seed of the data set (training seeds: --seeds)")
    add_recipe_options(parser)
    parser.add_argument(
        "--seeds",
        type=int,
        nargs="+",
        default=[0, 1, 2],
        help="training seeds; each trains its own stage-1 backbone (default: 0 1 2)",
    )
    parser.add_argument(
        "--configurations",
        nargs="+",
        choices=tuple(CONFIGURATIONS),
        default=list(DEFAULT_CONFIGURATIONS),
        help="which rows to run (default: %(default)s, about 45 min for 3 seeds on 2 CPU cores; "
        "each further row adds about 3 min per seed)",
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=None,
        help="where the runs and the table go (default: WORKDIR/ablation)",
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the ablation; returns the exit status."""
    from strg.cli.demo import prepare, run_step
    from strg.cli.demo_training import recipe_from_args
    from strg.cli.recipe import read_scores
    from strg.evaluation.accuracy import top_k_hits
    from strg.evaluation.files import read_ground_truth, read_results

    args = build_parser().parse_args(argv)
    out = args.out or args.workdir / "ablation"
    annotation, frames, boxes = prepare(args)
    recipe = recipe_from_args(args, annotation, frames, boxes)
    # the subset Recipe.evaluate scores
    truth = read_ground_truth(recipe.annotation, "val")
    # table order, whatever order was typed
    keys = [key for key in CONFIGURATIONS if key in args.configurations]
    scores: dict[str, dict[int, dict[int, float]]] = {key: {} for key in keys}
    hits: dict[str, dict[int, dict[str, bool]]] = {key: {} for key in keys}
    total, done, started = len(args.seeds) * (len(keys) + 1), 0, time.perf_counter()
    for seed in args.seeds:
        stage1 = out / f"seed{seed}" / "stage1_backbone"
        done += 1
        _run_once(
            f"[{done}/{total}] seed {seed}: stage 1, the backbone alone",
            stage1, {"stage 1": recipe.stage1(stage1, seed)}, run_step,
        )  # fmt: skip
        for key in keys:
            done += 1
            result = out / f"seed{seed}" / key
            flags = CONFIGURATIONS[key].flags
            head = [] if flags is None else recipe.graph(flags)
            steps = {
                "stage 2": recipe.stage2(result, stage1, seed, head, validate=False),
                "inference": recipe.inference(result, seed, head),
                **{f"top-{k}": recipe.evaluate(result, k) for k in (1, 5)},
            }
            _run_once(
                f"[{done}/{total}] seed {seed}: {CONFIGURATIONS[key].name}", result, steps, run_step
            )
            scores[key][seed] = read_scores(result)
            # eval_accuracy's top-1 rule video by video: the pairs of the per-video interval
            results = read_results(result / "val.json", truth.class_names)
            hits[key][seed] = top_k_hits(truth, results, 1)
    paired = paired_differences(hits)
    n_videos = len(truth.video_labels)
    table = ablation_table(scores, paired, recipe.description, len(args.seeds), n_videos)
    out.mkdir(parents=True, exist_ok=True)
    write_text_atomic(out / "ablation.md", table)
    record = ablation_record(scores, paired, n_videos)
    write_text_atomic(out / "ablation.json", json.dumps(record, indent=1) + "\n")
    plot_ablation(scores, paired, out / "ablation.png", recipe.description)
    minutes = (time.perf_counter() - started) / 60
    print(f"\n== ablation (validation, video accuracy, {len(args.seeds)} seeds, {minutes:.1f} min)")
    print(table)
    if paired:
        print("== paired differences from the backbone of the same seeds (top-1 points)")
        print("\n".join(paired_lines(paired)) + "\n")
    print(f"written: {out / 'ablation.md'}, {out / 'ablation.json'}, {out / 'ablation.png'}")
    return 0


#: Written into a run's folder once all its steps succeeded: the commands that made it.
DONE_FILE = "ablation_commands.json"


def _run_once(
    title: str,
    folder: Path,
    steps: dict[str, list[str]],
    run_step: Callable[[str, list[str]], float],
) -> None:
    """Run ``steps`` into ``folder``, unless a finished run of the same commands is there.

    A folder finished with other commands (another recipe or option) is an error, not reused: its
    scores would silently stand for a configuration they do not measure.
    """
    done_file = folder / DONE_FILE
    # the interpreter's path may differ between machines; the commands' arguments may not
    wanted = {name: command[1:] for name, command in steps.items()}
    if done_file.is_file():
        if json.loads(done_file.read_text(encoding="utf-8")) != wanted:
            raise SystemExit(
                f"ablate: {folder} was made by other commands than this run's ({done_file}); "
                "remove it or choose another --out"
            )
        print(f"\n{title}: reused from {folder}", flush=True)
        return
    for name, command in steps.items():
        run_step(f"{title}: {name}", command)
    write_text_atomic(done_file, json.dumps(wanted, indent=1) + "\n")


def _mean_std(values: list[float]) -> tuple[float, float]:
    """Mean and sample standard deviation (0 for one value), in percent."""
    percent = [100 * v for v in values]
    return statistics.fmean(percent), statistics.stdev(percent) if len(percent) > 1 else 0.0


def paired_differences(
    hits: dict[str, dict[int, dict[str, bool]]],
) -> dict[str, PairedDifference]:
    """Configuration key -> its paired difference from the backbone, for every key but the
    backbone's; empty when the backbone was not run (nothing to pair with).

    ``hits``: key -> seed -> validation video -> top-1 right.
    """
    if "backbone" not in hits:
        return {}
    return {
        key: paired_difference(by_seed, hits["backbone"])
        for key, by_seed in hits.items()
        if key != "backbone"
    }


def _points(value: float) -> str:
    """``+1.2``, ``-0.4``, ``+0.0``: signed, one decimal, never ``-0.0``."""
    # round first so that -0.04 and -1e-15 read +0.0; adding 0.0 turns -0.0 into 0.0
    return f"{round(value, 1) + 0.0:+.1f}"


def _bounds(interval: Interval) -> str:
    """``L to U`` of an interval, or ``no interval`` when it came from a single value."""
    if interval.low is None or interval.high is None:
        return "no interval"
    return f"{_points(interval.low)} to {_points(interval.high)}"


def _interval_words(interval: Interval, unit: str) -> str:
    """``(95 % interval L to U)``, or ``(one <unit>: no interval)`` from a single value."""
    if interval.low is None:
        return f"(one {unit}: no interval)"
    return f"(95 % interval {_bounds(interval)})"


def paired_lines(paired: dict[str, PairedDifference]) -> list[str]:
    """Two lines per configuration: the difference with its 95 % interval over seeds, then the
    same difference with its 95 % interval over validation videos (clustered by video)."""
    lines = []
    for key, difference in paired.items():
        lines.append(
            f"paired difference {key} - backbone: {_points(difference.seeds.mean)} points "
            + _interval_words(difference.seeds, "seed")
        )
        n_seeds = len(difference.per_seed)
        lines.append(
            f"  per-video paired difference over {n_seeds} seed{'s' * (n_seeds != 1)} × "
            f"{difference.n_videos} videos: {_points(difference.videos.mean)} points "
            + _interval_words(difference.videos, "video")
        )
    return lines


def ablation_table(
    scores: dict[str, dict[int, dict[int, float]]],
    paired: dict[str, PairedDifference],
    description: str,
    n_seeds: int,
    n_videos: int,
) -> str:
    """The Markdown table: one row per configuration key, mean ± std over seeds and each seed,
    then the paired difference from the backbone (``—`` for the backbone itself, or for all
    when it was not run): its mean with the 95 % interval over seeds, each seed's difference,
    and the 95 % interval over the ``n_videos`` validation videos."""
    lines = [
        f"| configuration ({description}, {n_seeds} seeds, {n_videos} validation videos) "
        "| top-1 | top-5 | top-1 per seed | − backbone (95 % interval over seeds) "
        "| − backbone per seed | 95 % interval over videos |",
        "|---|---|---|---|---|---|---|",
    ]
    for key, by_seed in scores.items():
        top1 = _mean_std([s[1] for s in by_seed.values()])
        top5 = _mean_std([s[5] for s in by_seed.values()])
        each = " ".join(f"{100 * s[1]:.1f}" for s in by_seed.values())
        difference = paired.get(key)
        if difference is None:
            versus = "— | — | —"
        else:
            versus = (
                f"{_points(difference.seeds.mean)} ({_bounds(difference.seeds)}) | "
                + " ".join(_points(d) for d in difference.per_seed.values())
                + f" | {_bounds(difference.videos)}"
            )
        name = CONFIGURATIONS[key].name
        lines.append(
            f"| {name} | {top1[0]:.1f} ± {top1[1]:.1f} | {top5[0]:.1f} ± {top5[1]:.1f} | {each} "
            f"| {versus} |"
        )
    return "\n".join(lines) + "\n"


def ablation_record(
    scores: dict[str, dict[int, dict[int, float]]],
    paired: dict[str, PairedDifference],
    n_videos: int,
) -> dict[str, object]:
    """What ``ablation.json`` holds, keyed by the table's names: top-k accuracies (fractions)
    per seed, and each paired difference from the backbone (points) with both intervals
    (``null`` bounds from a single seed)."""

    def bounds(interval: Interval) -> list[float] | None:
        return None if interval.low is None else [interval.low, interval.high]

    return {
        "validation videos": n_videos,
        "accuracy": {CONFIGURATIONS[key].name: by_seed for key, by_seed in scores.items()},
        "paired difference from the backbone": {
            CONFIGURATIONS[key].name: {
                "per seed": difference.per_seed,
                "mean": difference.seeds.mean,
                "95 % interval over seeds": bounds(difference.seeds),
                "95 % interval over videos": bounds(difference.videos),
            }
            for key, difference in paired.items()
        },
    }


def plot_ablation(
    scores: dict[str, dict[int, dict[int, float]]],
    paired: dict[str, PairedDifference],
    path: Path,
    description: str,
) -> None:
    """Horizontal bars of mean top-1 with ± std error bars and each seed as a dot; beside them,
    when the backbone was run, each paired difference with its 95 % interval over seeds."""
    from strg.viz.figure import new_figure, save_png

    keys = list(scores)
    names = [CONFIGURATIONS[key].name for key in keys]
    figure = new_figure(15 if paired else 9, 0.5 * len(keys) + 1.8)
    axes = figure.subplots(1, 2 if paired else 1, sharey=True, squeeze=False)[0]
    for row, key in enumerate(keys):
        values = [100 * s[1] for s in scores[key].values()]
        mean, std = _mean_std([s[1] for s in scores[key].values()])
        axes[0].barh(row, mean, xerr=std, color="tab:gray" if key == "backbone" else "tab:blue",
                     alpha=0.7, capsize=4)  # fmt: skip
        axes[0].plot(values, [row] * len(values), "k.", markersize=6)
    axes[0].set_yticks(range(len(keys)), names)
    axes[0].invert_yaxis()
    axes[0].set_xlabel("validation top-1 (%)")
    axes[0].set_title(f"ablation: mean ± std over seeds (dots: seeds)\n{description}")
    if paired:
        for row, key in enumerate(keys):
            if key not in paired:
                continue
            seeds = paired[key].seeds
            # the t interval is symmetric about the mean; one seed has none
            error = None if seeds.high is None else seeds.high - seeds.mean
            axes[1].errorbar(seeds.mean, row, xerr=error, fmt="o", color="tab:blue", capsize=4)
            each = list(paired[key].per_seed.values())
            axes[1].plot(each, [row] * len(each), "k.", markersize=6)
        axes[1].axvline(0, color="tab:gray", linewidth=1)
        axes[1].set_xlabel("top-1 − backbone of the same seed (points)")
        axes[1].set_title("paired difference: mean, 95 % interval over seeds (dots: seeds)")
    figure.tight_layout()
    save_png(figure, path)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
