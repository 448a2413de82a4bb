"""What every picture shares: a matplotlib figure on the Agg canvas, saved atomically as PNG.

Figures are made with ``matplotlib.figure.Figure`` and an Agg canvas, never through pyplot: no
global backend is switched (a user's notebook keeps its own) and no figure outlives its call.
Pictures are saved without ``bbox_inches="tight"`` so their pixel size is ``figsize × dpi``.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from strg.atomic import atomic_path
from strg.errors import StrgError

if TYPE_CHECKING:
    from matplotlib.figure import Figure

#: Resolution of every picture, pixels per inch.
DPI = 100


class VizError(StrgError, ValueError):
    """A picture cannot be drawn from the given inputs (the message names the file or video)."""


def new_figure(width: float, height: float, dpi: int = DPI) -> Figure:
    """An empty ``width × height`` inch figure on an Agg canvas."""
    try:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
    except ImportError as error:
        raise VizError(
            "drawing pictures needs matplotlib: pip install 'strg[plot]' (or matplotlib)"
        ) from error
    figure = Figure(figsize=(width, height), dpi=dpi)
    FigureCanvasAgg(figure)
    return figure


def save_png(figure: Figure, path: Path) -> Path:
    """Write ``figure`` to ``path`` as PNG atomically (parents created); returns ``path``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(path) as temporary:
        # the temporary name ends in .tmp: the format must be explicit
        figure.savefig(temporary, format="png", dpi=figure.dpi)
    return path
