"""``strg ablate`` / ``python -m util_scripts.ablate``: the paper's ablation on the embedded data.

For each seed, stage 1 trains the backbone once; stage 2 then continues from it, at the same budget,
once per configuration: the backbone alone, + the similarity graph, + the spatial-temporal graphs,
both; 1 to 4 graph layers; ``end`` versus ``layer`` fusion (the paper's Tables 1–3, at small
scale). Every run is scored on the validation videos by ``main.py --inference`` and
``eval_accuracy``; the mean ± standard deviation over seeds is written as a Markdown table
(``ablation.md``), the per-seed figures as JSON (``ablation.json``) and a plot (``ablation.png``).

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


def build_parser() -> argparse.ArgumentParser:
    """The command line of the ablation."""
    from strg.cli.demo import add_data_options, add_recipe_options

    parser = argparse.ArgumentParser(
        prog="strg ablate",
        description=(
            "The paper's ablation on the embedded data set, over several seeds: the backbone "
            "alone, + similarity graph, + spatial-temporal graphs, both; 1 to 4 graph layers; end "
            "versus layer fusion. Writes OUT/ablation.md (mean ± std of validation top-1 and "
            "top-5), OUT/ablation.json and OUT/ablation.png."
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
        default=list(CONFIGURATIONS),
        help="which rows to run (default: all)",
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

    args = build_parser().parse_args(argv)
    out = args.out or args.workdir / "ablation"
    annotation, frames, boxes = prepare(args)
    recipe = recipe_from_args(args, annotation, frames, boxes)
    # table order, whatever order was typed
    keys = [key for key in CONFIGURATIONS if key in args.configurations]
    scores: dict[str, dict[int, dict[int, float]]] = {key: {} for key in keys}
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
    table = ablation_table(scores, recipe.description, len(args.seeds))
    out.mkdir(parents=True, exist_ok=True)
    write_text_atomic(out / "ablation.md", table)
    write_text_atomic(
        out / "ablation.json",
        json.dumps({CONFIGURATIONS[key].name: by_seed for key, by_seed in scores.items()}, indent=1)
        + "\n",
    )
    plot_ablation(scores, out / "ablation.png", recipe.description)
    minutes = (time.perf_counter() - started) / 60
    print(f"\n== ablation (validation, video accuracy, {len(args.seeds)} seeds, {minutes:.1f} min)")
    print(table)
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


def ablation_table(
    scores: dict[str, dict[int, dict[int, float]]], description: str, n_seeds: int
) -> str:
    """The Markdown table: one row per configuration key, mean ± std over seeds and each seed."""
    lines = [
        f"| configuration ({description}, {n_seeds} seeds) | top-1 | top-5 | top-1 per seed |",
        "|---|---|---|---|",
    ]
    for key, by_seed in scores.items():
        top1 = _mean_std([s[1] for s in by_seed.values()])
        top5 = _mean_std([s[5] for s in by_seed.values()])
        each = " ".join(f"{100 * s[1]:.1f}" for s in by_seed.values())
        name = CONFIGURATIONS[key].name
        lines.append(
            f"| {name} | {top1[0]:.1f} ± {top1[1]:.1f} | {top5[0]:.1f} ± {top5[1]:.1f} | {each} |"
        )
    return "\n".join(lines) + "\n"


def plot_ablation(
    scores: dict[str, dict[int, dict[int, float]]], path: Path, description: str
) -> None:
    """Horizontal bars of mean top-1 with ± std error bars and each seed as a dot."""
    from strg.viz.figure import new_figure, save_png

    keys = list(scores)
    figure = new_figure(9, 0.5 * len(keys) + 1.8)
    axis = figure.add_subplot()
    for row, key in enumerate(keys):
        values = [100 * s[1] for s in scores[key].values()]
        mean, std = _mean_std([s[1] for s in scores[key].values()])
        axis.barh(row, mean, xerr=std, color="tab:gray" if key == "backbone" else "tab:blue",
                  alpha=0.7, capsize=4)  # fmt: skip
        axis.plot(values, [row] * len(values), "k.", markersize=6)
    axis.set_yticks(range(len(keys)), [CONFIGURATIONS[key].name for key in keys])
    axis.invert_yaxis()
    axis.set_xlabel("validation top-1 (%)")
    axis.set_title(f"ablation: mean ± std over seeds (dots: seeds)\n{description}")
    figure.tight_layout()
    save_png(figure, path)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
