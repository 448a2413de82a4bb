"""The graph picture: one row of the clip's frames at the feature steps, with the boxes and the
strongest edges of the similarity and forward spatial-temporal graphs.

Each box index n has its own colour in every frame. An edge is a line between box centres, across
frames when its nodes are at different steps; its width and opacity grow with its weight relative
to the strongest edge drawn. Similarity edges are solid magenta (undirected: the larger of
``G[i, j]`` and ``G[j, i]``, self-edges left out), forward IoU edges dashed cyan (step t to t+1).
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from strg.viz.figure import VizError, new_figure, save_png
from strg.viz.graph import GraphSample

#: Inches per frame of the row, and the extra height for the title and legend.
FRAME_INCHES = 3.0
HEADER_INCHES = 1.6
#: Colour and line style of each graph drawn.
EDGE_STYLES = {"similarity": ("#ff00ff", "-"), "forward": ("#00e5ff", "--")}
#: Title characters per inch of width at 8 points.
TITLE_CHARS_PER_INCH = 16
EDGE_LABELS = {"similarity": "similarity", "forward": "forward IoU (t → t+1)"}


@dataclass(frozen=True)
class Edge:
    """A drawn edge between nodes ``source`` and ``target`` (``m = t·N + n``) of ``weight``."""

    source: int
    target: int
    weight: float


def graph_size_inches(steps: int) -> tuple[float, float]:
    """Width and height of the picture of a clip with ``steps`` feature steps (T')."""
    return max(FRAME_INCHES * steps, 2 * FRAME_INCHES), FRAME_INCHES + HEADER_INCHES


def strongest_edges(matrix: torch.Tensor, k: int, undirected: bool = False) -> list[Edge]:
    """The ``k`` heaviest positive off-diagonal edges of an ``M×M`` graph, heaviest first.

    ``undirected`` merges ``(i, j)`` and ``(j, i)`` into one edge ``i < j`` with the larger weight.
    """
    if matrix.dim() != 2 or matrix.shape[0] != matrix.shape[1]:
        raise ValueError(f"matrix must be M×M, got {tuple(matrix.shape)}")
    weights = matrix.detach().float().clone()
    if undirected:
        weights = torch.maximum(weights, weights.t()).triu(diagonal=1)
    weights.fill_diagonal_(0)
    flat = weights.flatten()
    count = min(k, int((flat > 0).sum()))
    values, indices = flat.topk(count)
    m = matrix.shape[0]
    return [
        Edge(index // m, index % m, value)
        for value, index in zip(values.tolist(), indices.tolist(), strict=True)
    ]


def plot_graph(sample: GraphSample, out: Path, edges: int = 8) -> dict[str, list[Edge]]:
    """Draw ``sample`` into the PNG ``out`` with the ``edges`` strongest edges of each graph.

    Returns the drawn edges per graph (``similarity``, ``forward``: those the model has).
    """
    if edges < 0:
        raise VizError(f"edges must be >= 0, got {edges}")
    steps, n = sample.valid.shape
    if sample.frames.shape[0] != steps:
        raise VizError(f"{sample.frames.shape[0]} frames but {steps} box steps")
    drawn = {
        name: strongest_edges(sample.matrices[name], edges, undirected=name == "similarity")
        for name in EDGE_STYLES
        if name in sample.matrices
    }

    figure = new_figure(*graph_size_inches(steps))
    axes = figure.subplots(1, steps, squeeze=False)[0]
    height, width = sample.frames.shape[1:3]
    centres = ((sample.boxes[..., :2] + sample.boxes[..., 2:]) / 2).reshape(steps * n, 2)
    for t, ax in enumerate(axes):
        frame = sample.frames[t]
        image = frame if frame.shape[-1] == 3 else np.repeat(frame.mean(-1, keepdims=True), 3, -1)
        # extent: pixel c covers [c, c + 1), the box convention of strg.structures
        ax.imshow(image.astype(np.uint8), extent=(0, width, height, 0))
        ax.set_title(f"step {t} · frame {sample.frame_indices[t] + 1}", fontsize="small")
        ax.set_axis_off()
        _draw_boxes(ax, sample.boxes[t], sample.valid[t])
    for name, chosen in drawn.items():
        _draw_edges(figure, axes, chosen, centres, n, *EDGE_STYLES[name])
    _header(figure, sample, drawn)
    figure.subplots_adjust(
        left=0.01,
        right=0.99,
        bottom=0.02,
        top=FRAME_INCHES / (FRAME_INCHES + HEADER_INCHES) + 0.04,
        wspace=0.05,
    )
    save_png(figure, out)
    return drawn


def _draw_boxes(ax, boxes: torch.Tensor, valid: torch.Tensor) -> None:
    """Boxes ``N×4`` of one step, colour ``C{n}`` per box index, labelled with the index."""
    from matplotlib.patches import Rectangle

    for index in torch.nonzero(valid).flatten().tolist():
        x1, y1, x2, y2 = boxes[index].tolist()
        colour = f"C{index % 10}"
        ax.add_patch(Rectangle((x1, y1), x2 - x1, y2 - y1, fill=False, edgecolor=colour, lw=1.5))
        ax.text(
            x1,
            y1,
            str(index),
            color="white",
            fontsize=6,
            va="bottom",
            bbox={"facecolor": colour, "pad": 0.5, "lw": 0},
        )
        ax.plot((x1 + x2) / 2, (y1 + y2) / 2, "o", color=colour, markersize=3)


def _draw_edges(figure, axes, edges: list[Edge], centres, n: int, colour: str, style: str) -> None:
    """Lines between node centres; a ConnectionPatch so that an edge may cross frames."""
    from matplotlib.patches import ConnectionPatch

    if not edges:
        return
    strongest = edges[0].weight
    for edge in edges:
        relative = edge.weight / strongest
        a, b = axes[edge.source // n], axes[edge.target // n]
        line = ConnectionPatch(
            xyA=centres[edge.source].tolist(),
            coordsA=a.transData,
            xyB=centres[edge.target].tolist(),
            coordsB=b.transData,
            color=colour,
            linestyle=style,
            linewidth=0.5 + 3.0 * relative,
            alpha=0.35 + 0.65 * relative,
        )
        figure.add_artist(line)


def _header(figure, sample: GraphSample, drawn: dict[str, list[Edge]]) -> None:
    """Title (video, truth, top-3) and the legend of the edge styles."""
    from matplotlib.lines import Line2D

    truth = ", ".join(sample.labels) or "unlabelled"
    # non-breaking spaces keep each "rank. name score" on one line when the title wraps
    top = "   ".join(
        f"{rank}. {name} {score:.2f}".replace(" ", "\u00a0")
        for rank, (name, score) in enumerate(sample.top(3), start=1)
    )
    clips = f", clip 1 of {sample.n_clips}" if sample.n_clips > 1 else ""
    # long class names (Something-Something's) would run off a narrow picture: wrap them
    chars = int(figure.get_figwidth() * TITLE_CHARS_PER_INCH)
    lines = [
        f"video {sample.video_id} ({sample.subset}{clips})",
        f"truth: {truth}",
        f"top-3: {top}",
    ]
    text = "\n".join(textwrap.fill(line, chars) for line in lines)
    figure.suptitle(text, fontsize=8, y=0.99, va="top")
    handles = [
        Line2D(
            [],
            [],
            color=EDGE_STYLES[name][0],
            linestyle=EDGE_STYLES[name][1],
            lw=2,
            label=f"{EDGE_LABELS[name]}: {len(edges)} strongest{_weight_range(edges)}",
        )
        for name, edges in drawn.items()
    ]
    if handles:
        figure.legend(
            handles=handles,
            loc="upper center",
            bbox_to_anchor=(0.5, 0.81),
            ncol=len(handles),
            fontsize=7,
            frameon=False,
        )


def _weight_range(edges: list[Edge]) -> str:
    """`` (0.31–0.12)``: line widths are relative, the legend keeps the absolute weights."""
    if not edges:
        return ""
    return f" ({edges[0].weight:.3g}–{edges[-1].weight:.3g})"
