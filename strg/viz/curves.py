"""Loss and accuracy curves per epoch from result directories (``train.log``, ``val.log``).

The logs are main.py's tab-separated tables: ``epoch loss acc lr`` and ``epoch loss acc``. Several
runs (e.g. the backbone alone and STRG) are overlaid, one colour per run; training is a solid
line, validation a dashed one. A run trained with ``--no_val`` has no ``val.log`` and shows
training only.
"""

from __future__ import annotations

import csv
from collections.abc import Mapping, Sequence
from pathlib import Path

from strg.engine.logs import TRAIN_COLUMNS, VAL_COLUMNS
from strg.viz.figure import VizError, new_figure, save_png

#: Size of the curves picture in inches: loss and accuracy side by side (1200×450 px at 100 dpi).
CURVES_INCHES = (12.0, 4.5)


def read_log(path: Path, columns: Sequence[str]) -> dict[str, list[float]]:
    """Column name → values (one per epoch) of a log with exactly the header ``columns``."""
    path = Path(path)
    try:
        with path.open(newline="") as handle:
            rows = [row for row in csv.reader(handle, delimiter="\t") if row]
    except FileNotFoundError:
        raise VizError(f"log {path} does not exist") from None
    if not rows or tuple(rows[0]) != tuple(columns):
        header = rows[0] if rows else "nothing"
        raise VizError(f"log {path} has header {header}, expected {list(columns)}")
    table: dict[str, list[float]] = {column: [] for column in columns}
    for line, row in enumerate(rows[1:], start=2):
        if len(row) != len(columns):
            raise VizError(f"log {path} line {line} has {len(row)} fields, not {len(columns)}")
        try:
            for column, value in zip(columns, row, strict=True):
                table[column].append(float(value))
        except ValueError:
            raise VizError(f"log {path} line {line} is not numeric: {row}") from None
    return table


def plot_curves(runs: Mapping[str, Path], out: Path, title: str | None = None) -> Path:
    """Draw the curves of ``runs`` (label → result directory) into the PNG ``out``.

    Each directory needs ``train.log`` with at least one epoch; ``val.log`` is drawn when present.
    Returns ``out`` (1200×450 pixels).
    """
    if not runs:
        raise VizError("plot_curves needs at least one run")
    logs = {}
    for label, directory in runs.items():
        train = read_log(Path(directory) / "train.log", TRAIN_COLUMNS)
        if not train["epoch"]:
            raise VizError(f"log {Path(directory) / 'train.log'} has no epoch yet")
        val_path = Path(directory) / "val.log"
        val = read_log(val_path, VAL_COLUMNS) if val_path.is_file() else None
        logs[label] = (train, val)

    from matplotlib.ticker import MaxNLocator

    figure = new_figure(*CURVES_INCHES)
    loss_axes, acc_axes = figure.subplots(1, 2)
    colours = [f"C{index % 10}" for index in range(len(logs))]
    for (label, (train, val)), colour in zip(logs.items(), colours, strict=True):
        for axes, column in ((loss_axes, "loss"), (acc_axes, "acc")):
            # a single epoch is a point, not a line: markers keep it visible
            axes.plot(train["epoch"], train[column], "-o", color=colour, label=f"{label} train")
            if val is not None and val["epoch"]:
                axes.plot(val["epoch"], val[column], "--s", color=colour, label=f"{label} val")
    for axes, name in ((loss_axes, "loss"), (acc_axes, "top-1 clip accuracy")):
        axes.set_xlabel("epoch")
        axes.xaxis.set_major_locator(MaxNLocator(integer=True))
        axes.set_ylabel(name)
        axes.grid(True, alpha=0.3)
        axes.legend(fontsize="small")
    acc_axes.set_ylim(-0.02, 1.02)
    if title:
        figure.suptitle(title)
    figure.tight_layout()
    return save_png(figure, out)
