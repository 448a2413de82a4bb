"""The region graph's statistics over a subset, through one STRG checkpoint.

Each clip is sampled exactly as validation samples it (the run's data settings, phase ``val``)
and goes through the model's own head (:meth:`STRG.head_features`, :meth:`STRG.graphs_of`),
so the figures describe what the classifier saw. Each figure pools its units (rows, node pairs,
nodes, clips) over all clips of the subset, so a clip with more valid boxes weighs more:

- similarity row entropy: per valid row i of the similarity graph, ``H(row) / log(n_valid)``,
  ``n_valid`` the clip's valid nodes (1: uniform; clips with one valid node have no such row);
  mean, minimum and 10th percentile over rows;
- node-to-node cosine: the cosine of every ordered pair of distinct valid nodes of one step, mean
  over pairs; node-to-global cosine: each valid node against its clip's mean reduced map (the
  D-wide global feature, whichever global half fc reads), mean over nodes. The nodes are the
  head's (RoIAlign + max of the reduced map);
- forward-edge share: of the valid nodes at steps t < T'-1, those with a non-zero forward row;
- logit spread: per clip, the standard deviation over the K classes (population, no Bessel
  correction) of ``fc.weight[:, :D] @ graph`` and of ``fc.weight[:, D:] @ global``, each the
  feature fc reads; mean over clips (clips without boxes count: their graph half is 0); and the
  ratio of the two means;
- the share of clips without any valid box.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F  # noqa: N812
from torch import nn
from tqdm import tqdm

from strg.data.builder import build_video_dataset
from strg.data.loader import build_loader
from strg.data.records import SUBSET_ALIASES, load_annotation
from strg.engine.trained import TrainedRun
from strg.models.region_features import clips_without_boxes
from strg.models.strg import STRG
from strg.structures import SUBSETS
from strg.viz.figure import VizError
from strg.viz.graph import existing_path, load_strg_checkpoint

#: The subset read, the videos per batch and the loader workers when none are given.
DEFAULT_SUBSET = SUBSETS["val"]
DEFAULT_BATCH_SIZE = 8
DEFAULT_N_THREADS = 0
#: The percentile of the row entropies reported beside their mean and minimum.
ENTROPY_PERCENTILE = 10


@dataclass(frozen=True)
class GraphStatistics:
    """The figures of the module docstring over ``clips`` clips of ``videos`` videos.

    A figure is ``None`` where the checkpoint lacks its graph or branch (``graphs``,
    ``use_global``) or no clip has the units it pools over. ``skipped`` counts the videos the
    run's ``skip_missing`` left out or replaced.
    """

    checkpoint: str
    epoch: int
    subset: str
    graphs: tuple[str, ...]
    use_global: bool
    videos: int
    skipped: int
    clips: int
    steps: int
    boxes_per_step: int
    clips_without_boxes: float
    entropy_mean: float | None
    entropy_min: float | None
    entropy_p10: float | None
    node_node_cosine: float | None
    node_global_cosine: float | None
    forward_edge_share: float | None
    graph_logit_std: float
    global_logit_std: float | None

    @property
    def logit_ratio(self) -> float | None:
        """The graph half's logit spread over the global half's (``None`` without one)."""
        if not self.global_logit_std:
            return None
        return self.graph_logit_std / self.global_logit_std

    def as_dict(self) -> dict[str, object]:
        """The figures as JSON values, ``logit_ratio`` included."""
        return {
            **dataclasses.asdict(self),
            "graphs": list(self.graphs),
            "logit_ratio": self.logit_ratio,
        }

    def lines(self) -> list[str]:
        """The figures, one per line, for people."""
        if self.entropy_mean is None:
            why = (
                "no clip has two valid nodes"
                if "similarity" in self.graphs
                else "no similarity graph"
            )
            entropy = f"not available ({why})"
        else:
            entropy = (
                f"{self.entropy_mean:.4f} of uniform (min {self.entropy_min:.4f}, "
                f"{ENTROPY_PERCENTILE}th percentile {self.entropy_p10:.4f})"
            )
        forward_why = (
            "no valid node before the last step"
            if "spatial_temporal" in self.graphs
            else "no spatial-temporal graphs"
        )
        if self.global_logit_std is None:
            halves = "global half not available (no global branch)"
        else:
            ratio = _shown(self.logit_ratio, ".3g", "the global half is constant")
            halves = f"global half {self.global_logit_std:.4g}, graph / global {ratio}"
        skipped = f", {self.skipped} skipped" if self.skipped else ""
        return [
            f"checkpoint: {self.checkpoint} (epoch {self.epoch})",
            f"subset: {self.subset}, {self.videos} videos{skipped}, {self.clips} clips, "
            f"T'={self.steps} steps × N={self.boxes_per_step} boxes",
            f"clips without any valid box: {self.clips_without_boxes:.1%}",
            f"similarity row entropy: {entropy}",
            "node-to-node cosine (same step): "
            + _shown(self.node_node_cosine, ".3f", "no step has two valid nodes"),
            "node-to-global cosine: " + _shown(self.node_global_cosine, ".3f", "no valid node"),
            "nodes with a forward edge (steps before the last): "
            + _shown(self.forward_edge_share, ".1%", forward_why),
            f"logit std over classes: graph half {self.graph_logit_std:.4g}, {halves}",
        ]

    def __str__(self) -> str:
        return "\n".join(self.lines())


def _shown(value: float | None, spec: str, why: str) -> str:
    return f"not available ({why})" if value is None else format(value, spec)


# --------------------------------------------------------------------------------------------------
# Per batch: the units each figure pools over.


def row_entropy_ratios(similarity: torch.Tensor, node_valid: torch.Tensor) -> torch.Tensor:
    """Similarity ``B×M×M`` (valid rows sum to 1), node_valid ``B×M`` bool → ``H(row) /
    log(n_valid)`` of every valid row of the clips with ``n_valid >= 2`` valid nodes, flat."""
    n_valid = node_valid.sum(dim=1, keepdim=True).expand_as(node_valid)  # B×M
    rows = node_valid & (n_valid >= 2)
    entropy = torch.special.entr(similarity.double()).sum(dim=-1)  # B×M, 0·log 0 = 0
    return entropy[rows] / n_valid[rows].double().log()


def same_step_cosines(nodes: torch.Tensor, valid: torch.Tensor) -> torch.Tensor:
    """Nodes ``B×M×D``, valid ``B×T'×N`` → the cosine of every ordered pair of distinct valid
    nodes of one step, flat."""
    b, steps, n = valid.shape
    unit = F.normalize(nodes.double().view(b, steps, n, -1), dim=-1)
    cosine = unit @ unit.transpose(-1, -2)  # B×T'×N×N
    pairs = (
        valid[..., :, None]
        & valid[..., None, :]
        & ~torch.eye(n, dtype=torch.bool, device=valid.device)
    )
    return cosine[pairs]


def global_cosines(
    nodes: torch.Tensor, node_valid: torch.Tensor, global_feature: torch.Tensor
) -> torch.Tensor:
    """Nodes ``B×M×D``, node_valid ``B×M``, global ``B×D`` → the cosine of each valid node with
    its clip's global feature, flat."""
    unit_nodes = F.normalize(nodes.double(), dim=-1)
    unit_global = F.normalize(global_feature.double(), dim=-1)
    return torch.einsum("bmd,bd->bm", unit_nodes, unit_global)[node_valid]


def forward_edge_flags(forward: torch.Tensor, valid: torch.Tensor) -> torch.Tensor:
    """Forward graph ``B×M×M``, valid ``B×T'×N`` → for each valid node of steps t < T'-1,
    whether its forward row has an edge (bool, flat)."""
    b, steps, n = valid.shape
    has_edge = (forward != 0).any(dim=-1).view(b, steps, n)
    return has_edge[:, :-1][valid[:, :-1]]


def logit_spreads(
    fc: nn.Linear, graph_dim: int, graph: torch.Tensor, global_feature: torch.Tensor | None
) -> tuple[torch.Tensor, torch.Tensor | None]:
    """fc (its first ``graph_dim`` input columns the graph half), graph ``B×D``, global ``B×G``
    or ``None`` → the std over the K classes (population) of each half's logits, ``B`` each."""
    weight = fc.weight.double()
    graph_std = (graph.double() @ weight[:, :graph_dim].T).std(dim=1, correction=0)
    if global_feature is None:
        return graph_std, None
    global_std = (global_feature.double() @ weight[:, graph_dim:].T).std(dim=1, correction=0)
    return graph_std, global_std


# --------------------------------------------------------------------------------------------------
# Over a subset.


@dataclass
class _Mean:
    """A running mean of the values added; ``None`` before any."""

    total: float = 0.0
    count: int = 0

    def add(self, values: torch.Tensor) -> None:
        self.total += float(values.double().sum())
        self.count += values.numel()

    @property
    def value(self) -> float | None:
        return self.total / self.count if self.count else None


@dataclass
class _Pooled:
    """The units of every figure, pooled over the batches :meth:`add` is given."""

    entropies: list[torch.Tensor] = dataclasses.field(default_factory=list)
    node_node: _Mean = dataclasses.field(default_factory=_Mean)
    node_global: _Mean = dataclasses.field(default_factory=_Mean)
    forward_edges: _Mean = dataclasses.field(default_factory=_Mean)
    graph_spread: _Mean = dataclasses.field(default_factory=_Mean)
    global_spread: _Mean = dataclasses.field(default_factory=_Mean)
    clips: int = 0
    empty_clips: int = 0
    shape: tuple[int, int] = (0, 0)  # (T', N)

    @torch.no_grad()
    def add(
        self, model: STRG, frames: torch.Tensor, boxes: torch.Tensor, valid: torch.Tensor
    ) -> None:
        """Clips ``B×C×T×H×W`` (normalised), boxes ``B×T'×N×4``, valid ``B×T'×N``."""
        node_valid = valid.flatten(1)
        features = model.backbone.forward_features(frames)
        parts = model.head_features(features, boxes, valid)
        matrices = model.graphs_of(parts.nodes, boxes, valid)  # the nodes the head used
        # reduce is a 1×1×1 convolution: reducing the mean is the mean of the reduced map
        reduced_mean = model.reduce(F.adaptive_avg_pool3d(features, 1)).flatten(1)
        if "similarity" in matrices:
            self.entropies.append(row_entropy_ratios(matrices["similarity"], node_valid))
        if "forward" in matrices:
            self.forward_edges.add(forward_edge_flags(matrices["forward"], valid))
        self.node_node.add(same_step_cosines(parts.nodes, valid))
        self.node_global.add(global_cosines(parts.nodes, node_valid, reduced_mean))
        graph_std, global_std = logit_spreads(
            model.fc, model.graph_dim, parts.graph, parts.global_feature
        )
        self.graph_spread.add(graph_std)
        if global_std is not None:
            self.global_spread.add(global_std)
        self.clips += len(valid)
        self.empty_clips += clips_without_boxes(valid)
        self.shape = (valid.shape[1], valid.shape[2])

    def figures(self) -> dict[str, float | int | None]:
        """The pooled figures, by :class:`GraphStatistics` field name."""
        rows = torch.cat(self.entropies).numpy() if self.entropies else np.empty(0)
        return {
            "clips": self.clips,
            "steps": self.shape[0],
            "boxes_per_step": self.shape[1],
            "clips_without_boxes": self.empty_clips / max(self.clips, 1),
            "entropy_mean": float(rows.mean()) if rows.size else None,
            "entropy_min": float(rows.min()) if rows.size else None,
            "entropy_p10": float(np.percentile(rows, ENTROPY_PERCENTILE)) if rows.size else None,
            "node_node_cosine": self.node_node.value,
            "node_global_cosine": self.node_global.value,
            "forward_edge_share": self.forward_edges.value,
            "graph_logit_std": self.graph_spread.value or 0.0,
            "global_logit_std": self.global_spread.value,
        }


def graph_statistics(
    trained_run_or_checkpoint: TrainedRun | Path | str,
    annotation_path: Path | None = None,
    video_path: Path | None = None,
    proposal_path: Path | None = None,
    subset: str = DEFAULT_SUBSET,
    max_videos: int | None = None,
    batch_size: int = DEFAULT_BATCH_SIZE,
    n_threads: int = DEFAULT_N_THREADS,
    progress: bool = True,
) -> GraphStatistics:
    """The statistics of the region graph over ``subset`` (its first ``max_videos`` videos in
    annotation order, or all), sampled as validation samples them, ``batch_size`` videos per
    batch, ``n_threads`` loader workers, a progress bar over batches with ``progress``.

    Paths default to the checkpoint's options (a trained run of :func:`load_trained_run` or the
    path of a ``save_N.pth``). Bad inputs are a :class:`VizError` (or another ``StrgError``)
    naming them.
    """
    if max_videos is not None and max_videos < 1:
        raise VizError(f"max_videos must be >= 1, got {max_videos}")
    if batch_size < 1 or n_threads < 0:
        raise VizError(f"batch_size must be >= 1 and n_threads >= 0, got {batch_size}, {n_threads}")
    if subset not in SUBSET_ALIASES:
        raise VizError(f"unknown subset {subset!r}; valid: {', '.join(SUBSETS.values())}")
    subset = SUBSET_ALIASES[subset]
    trained = trained_run_or_checkpoint
    if not isinstance(trained, TrainedRun):
        trained = load_strg_checkpoint(Path(trained))
    model = trained.model
    if not isinstance(model, STRG):
        raise VizError(f"{trained.path}: {type(model).__name__} is not an STRG model")
    stored = trained.config.paths
    annotation_path = existing_path("annotation_path", annotation_path, stored.annotation_path)
    video_path = existing_path("video_path", video_path, stored.video_path)
    proposal_path = existing_path("proposal_path", proposal_path, stored.proposal_path)
    video_ids = None
    if max_videos is not None:  # the first ones; the others are never looked at
        database = load_annotation(annotation_path)["database"]
        ids = [video_id for video_id, entry in database.items() if entry.get("subset") == subset]
        video_ids = set(ids[:max_videos])
    built = build_video_dataset(
        "val", annotation_path, video_path, subset, trained.data,
        proposal_path=proposal_path, temporal_stride=trained.feature_step, video_ids=video_ids,
    )  # fmt: skip
    loader = build_loader(
        built.dataset, batch_size, shuffle=False, seed=trained.config.control.manual_seed,
        n_threads=n_threads, persistent_workers=False,
    )  # fmt: skip
    pooled = _Pooled()
    seen, skipped = set(), {video_id for video_id, _ in built.records.skipped}
    for batch in tqdm(
        loader, desc="graph statistics", unit="batch", disable=not progress, leave=False
    ):
        pooled.add(model, batch.frames, batch.boxes, batch.box_mask)
        seen.update(batch.video_ids)
        skipped.update(video_id for video_id, _ in batch.skipped)
    return GraphStatistics(
        checkpoint=str(trained.path),
        epoch=trained.epoch,
        subset=subset,
        graphs=tuple(model.graphs),
        use_global=model.use_global,
        videos=len(seen),
        skipped=len(skipped),
        **pooled.figures(),
    )
