"""The confusion matrix of an inference result JSON against the annotation JSON, as a PNG.

Rows are the true classes, columns the predicted (top-1) classes, in the annotation's label
order. Cells are coloured by the row's fraction (recall per class) and show the video counts.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from strg.evaluation.files import canonical_subset, read_ground_truth, read_results
from strg.viz.figure import VizError, new_figure, save_png

#: Class names longer than this are shortened on the axes.
MAX_NAME_CHARS = 40
#: Cell counts are written into the cells up to this many classes (beyond, they are unreadable).
MAX_ANNOTATED_CLASSES = 30


def confusion_size_inches(n_classes: int) -> float:
    """Side of the square confusion picture: room for the class names, then 0.4 in per class."""
    return 4.0 + 0.4 * n_classes


def confusion_matrix(
    annotation_path: Path,
    result_path: Path,
    subset: str = "validation",
    ignore_missing: bool = False,
) -> tuple[np.ndarray, list[str]]:
    """Counts ``K×K`` int64 (row: true class, column: top-1 predicted) and the K class names.

    Every labelled video of ``subset`` (``val``/``validation``, ...) must have a result unless
    ``ignore_missing``; a video with several labels is refused (single-label data sets only).
    """
    truth = read_ground_truth(annotation_path, subset)
    if not truth.video_labels:
        raise VizError(f"annotation {annotation_path} has no {canonical_subset(subset)} videos")
    results = read_results(result_path, truth.class_names)
    index = {name: position for position, name in enumerate(truth.class_names)}
    missing = [video for video in truth.video_labels if not results.get(video)]
    if missing and not ignore_missing:
        raise VizError(
            f"result file {result_path} has no scores for {len(missing)} of the "
            f"{len(truth.video_labels)} {canonical_subset(subset)} videos (e.g. {missing[0]})"
        )
    counts = np.zeros((len(index), len(index)), dtype=np.int64)
    for video, labels in truth.video_labels.items():
        if video not in results or not results[video]:
            continue
        if len(labels) != 1:
            raise VizError(
                f"annotation {annotation_path}: video {video} has {len(labels)} labels; a "
                "confusion matrix needs exactly one per video"
            )
        scores = results[video]
        predicted = max(scores, key=scores.__getitem__)
        counts[index[labels[0]], index[predicted]] += 1
    return counts, truth.class_names


def plot_confusion(
    annotation_path: Path,
    result_path: Path,
    out: Path,
    subset: str = "validation",
    ignore_missing: bool = False,
    title: str | None = None,
) -> np.ndarray:
    """Draw the confusion matrix of ``result_path`` into the PNG ``out``; returns the counts.

    The picture is square, ``confusion_size_inches(K)`` at 100 dpi.
    """
    counts, names = confusion_matrix(annotation_path, result_path, subset, ignore_missing)
    k = len(names)
    rows = counts.sum(axis=1, keepdims=True)
    fractions = np.divide(counts, rows, out=np.zeros(counts.shape), where=rows > 0)

    shown = [
        name if len(name) <= MAX_NAME_CHARS else name[: MAX_NAME_CHARS - 1] + "…" for name in names
    ]
    side = confusion_size_inches(k)
    figure = new_figure(side, side)
    axes = figure.add_subplot(1, 1, 1)
    image = axes.imshow(fractions, cmap="Blues", vmin=0.0, vmax=1.0)
    figure.colorbar(image, ax=axes, fraction=0.046, pad=0.04, label="fraction of the true class")
    axes.set_xticks(range(k), shown, rotation=90, fontsize="small")
    axes.set_yticks(range(k), shown, fontsize="small")
    axes.set_xlabel("predicted (top-1)")
    axes.set_ylabel("true")
    if k <= MAX_ANNOTATED_CLASSES:
        for row, column in zip(*np.nonzero(counts), strict=True):
            colour = "white" if fractions[row, column] > 0.5 else "black"
            axes.text(
                column,
                row,
                str(counts[row, column]),
                ha="center",
                va="center",
                color=colour,
                fontsize="small",
            )
    accuracy = np.trace(counts) / max(counts.sum(), 1)
    heading = title or Path(result_path).name
    axes.set_title(
        f"{heading}: {canonical_subset(subset)}, {counts.sum()} videos, top-1 {accuracy:.3f}"
    )
    figure.tight_layout()
    save_png(figure, out)
    return counts
