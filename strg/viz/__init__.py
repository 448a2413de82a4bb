"""Pictures of a run: loss and accuracy curves, a confusion matrix, and the region graph of one
video; and the region graph's statistics over a subset. matplotlib is optional
(``pip install strg[plot]``) and imported only when drawing."""

from strg.viz.confusion import confusion_matrix, plot_confusion
from strg.viz.curves import plot_curves, read_log
from strg.viz.figure import VizError
from strg.viz.graph import GraphSample, sample_graph
from strg.viz.graph_plot import plot_graph
from strg.viz.graph_stats import GraphStatistics, graph_statistics

__all__ = [
    "GraphSample",
    "GraphStatistics",
    "VizError",
    "confusion_matrix",
    "graph_statistics",
    "plot_confusion",
    "plot_curves",
    "plot_graph",
    "read_log",
    "sample_graph",
]
