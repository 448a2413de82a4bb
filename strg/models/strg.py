"""The Space-Time Region Graph model (Wang & Gupta 2018) over any backbone of the project.

Pipeline (I3D-R50, 32×224², N boxes per step)::

    clip B×3×T×H×W ─ backbone ─ B×C×T'×H'×W' ─ 1×1×1 conv ─ B×D×T'×H'×W' ─┬─ mean ─ B×D (global)
    boxes B×T'×N×4, valid B×T'×N ─ RoIAlign 7×7 per step, max ─ nodes B×M×D ┘
    nodes ─ graphs (similarity; forward/backward IoU) ─ GCN ─ mean over valid ─ B×D
    concat(graph, global) B×2D ─ fc ─ logits B×K

The backbone must offer ``forward_features`` and the attributes ``out_channels``,
``spatial_stride`` and ``temporal_stride``: the RoIAlign scale comes from there.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import torch
from torch import nn

from strg.models.gcn import GraphConvolutionStack
from strg.models.graphs import SimilarityGraph, iou_graphs
from strg.models.region_features import check_boxes, region_features
from strg.models.state_dict import check_state_dict, read_state_dict

GRAPH_CHOICES = ("similarity", "spatial_temporal")
FUSION_CHOICES = ("end", "layer")
_CLASSIFIERS = ("fc", "classifier")


class STRG(nn.Module):
    """Backbone + region-graph head. ``forward(clip, boxes, valid)`` → logits ``B×K``.

    Args:
        backbone: a model of this package (its classifier is removed here).
        n_classes: K.
        reduce_dim: D, width of the reduction, the nodes and the GCN (512 [common]).
        roi_output_size: RoIAlign grid before the max (7 [paper]).
        gcn_layers: layers per GCN stack (3).
        graphs: any of ``similarity`` and ``spatial_temporal`` (forward + backward IoU).
        fusion: ``end`` (one GCN stack per graph family, outputs summed) or ``layer`` (each layer
            sums over all graphs).
        residual: add the layer input to each GCN layer's output.
        use_global: concatenate the mean backbone feature with the graph feature.
        global_dropout, graph_dropout: dropout on the global (0.3) and graph (0.5) features.
        iou_threshold: IoU an edge of the spatial-temporal graphs must exceed (0).
        nrois: N, if given; boxes with another N are refused.
    """

    def __init__(
        self,
        backbone: nn.Module,
        n_classes: int,
        reduce_dim: int = 512,
        roi_output_size: int = 7,
        gcn_layers: int = 3,
        graphs: Sequence[str] = GRAPH_CHOICES,
        fusion: str = "end",
        residual: bool = False,
        use_global: bool = True,
        global_dropout: float = 0.3,
        graph_dropout: float = 0.5,
        iou_threshold: float = 0.0,
        nrois: int | None = None,
    ) -> None:
        super().__init__()
        needed = ("forward_features", "out_channels", "spatial_stride", "temporal_stride")
        lacking = [a for a in needed if not hasattr(backbone, a)]
        if lacking:
            raise ValueError(f"{type(backbone).__name__} cannot carry STRG: it lacks {lacking}")
        graphs = tuple(graphs)
        if not graphs or any(g not in GRAPH_CHOICES for g in graphs):
            raise ValueError(f"graphs must be a non-empty subset of {GRAPH_CHOICES}, got {graphs}")
        if fusion not in FUSION_CHOICES:
            raise ValueError(f"fusion must be one of {FUSION_CHOICES}, got {fusion!r}")
        for name in _CLASSIFIERS:  # the head replaces the backbone's classifier
            if isinstance(getattr(backbone, name, None), nn.Linear):
                setattr(backbone, name, nn.Identity())
        self.backbone = backbone
        self.graphs = graphs
        self.fusion = fusion
        self.use_global = use_global
        self.iou_threshold = iou_threshold
        self.nrois = nrois
        self.roi_output_size = roi_output_size
        self.spatial_scale = 1.0 / backbone.spatial_stride
        self.reduce = nn.Conv3d(backbone.out_channels, reduce_dim, kernel_size=1)
        use_sim, use_st = "similarity" in graphs, "spatial_temporal" in graphs
        self.similarity = SimilarityGraph(reduce_dim) if use_sim else None
        if fusion == "layer" or len(graphs) == 1:
            n_graphs = use_sim + 2 * use_st
            self.gcn = GraphConvolutionStack(reduce_dim, n_graphs, gcn_layers, residual)
        else:
            self.gcn_similarity = GraphConvolutionStack(reduce_dim, 1, gcn_layers, residual)
            self.gcn_spatial_temporal = GraphConvolutionStack(reduce_dim, 2, gcn_layers, residual)
        self.global_dropout = nn.Dropout(global_dropout)
        self.graph_dropout = nn.Dropout(graph_dropout)
        self.fc = nn.Linear(reduce_dim * (2 if use_global else 1), n_classes)

    def load_backbone_state_dict(self, source: str | Path | Mapping) -> None:
        """Load a stage-1 backbone checkpoint (its classifier keys are dropped), exactly."""
        state = read_state_dict(source)
        state = {k: v for k, v in state.items() if k.split(".")[0] not in _CLASSIFIERS}
        check_state_dict(self.backbone, state)
        self.backbone.load_state_dict(state, strict=True)

    def graph_feature(
        self, nodes: torch.Tensor, boxes: torch.Tensor, valid: torch.Tensor
    ) -> torch.Tensor:
        """Nodes ``B×M×D``, boxes ``B×T'×N×4``, valid ``B×T'×N`` → GCN output ``B×M×D``."""
        node_valid = valid.flatten(1)
        sim = [self.similarity(nodes, node_valid)] if self.similarity is not None else []
        st = (
            list(iou_graphs(boxes, valid, self.iou_threshold))
            if "spatial_temporal" in self.graphs
            else []
        )
        if hasattr(self, "gcn"):
            return self.gcn(nodes, sim + st, node_valid)
        return self.gcn_similarity(nodes, sim, node_valid) + self.gcn_spatial_temporal(
            nodes, st, node_valid
        )

    @torch.no_grad()
    def graph_matrices(
        self, backbone_features: torch.Tensor, boxes: torch.Tensor, valid: torch.Tensor
    ) -> dict[str, torch.Tensor]:
        """The graphs :meth:`head` builds, for inspection: features ``B×C×T'×H'×W'``, boxes
        ``B×T'×N×4``, valid ``B×T'×N`` → ``{"similarity", "forward", "backward"}`` each ``B×M×M``
        over nodes ``m = t·N + n``, only the families in ``self.graphs``.

        ``similarity`` rows sum to 1 over valid nodes; ``forward`` links step t to t+1 (row i,
        column j), ``backward`` t+1 to t; padded nodes have zero rows and columns.
        """
        features = self.reduce(backbone_features)
        check_boxes(boxes, valid, features.shape[2])
        out: dict[str, torch.Tensor] = {}
        if self.similarity is not None:
            nodes = region_features(
                features, boxes, valid, self.spatial_scale, self.roi_output_size
            )
            out["similarity"] = self.similarity(nodes, valid.flatten(1))
        if "spatial_temporal" in self.graphs:
            out["forward"], out["backward"] = iou_graphs(boxes, valid, self.iou_threshold)
        return out

    def forward(self, clip: torch.Tensor, boxes: torch.Tensor, valid: torch.Tensor) -> torch.Tensor:
        """Clip ``B×C×T×H×W``, boxes ``B×T'×N×4`` (XYXY, input-clip pixels, one set per feature
        step), valid ``B×T'×N`` bool → logits ``B×K``."""
        if clip.dim() != 5:
            raise ValueError(f"clip must be B×C×T×H×W, got {tuple(clip.shape)}")
        if self.nrois is not None and boxes.dim() == 4 and boxes.shape[2] != self.nrois:
            raise ValueError(
                f"boxes {tuple(boxes.shape)} have N={boxes.shape[2]}, nrois={self.nrois}"
            )
        if boxes.dim() == 4 and boxes.shape[0] != clip.shape[0]:
            raise ValueError(f"boxes {tuple(boxes.shape)} and clip {tuple(clip.shape)}: B differs")
        return self.head(self.backbone.forward_features(clip), boxes, valid)

    def head(
        self, backbone_features: torch.Tensor, boxes: torch.Tensor, valid: torch.Tensor
    ) -> torch.Tensor:
        """Everything after the backbone: features ``B×C×T'×H'×W'``, boxes ``B×T'×N×4``,
        valid ``B×T'×N`` → logits ``B×K``."""
        features = self.reduce(backbone_features)  # B×D×T'×H'×W'
        check_boxes(boxes, valid, features.shape[2])
        nodes = region_features(features, boxes, valid, self.spatial_scale, self.roi_output_size)
        z = self.graph_feature(nodes, boxes, valid)  # B×M×D
        count = valid.flatten(1).sum(dim=1, keepdim=True).clamp_min(1).to(z.dtype)
        graph = self.graph_dropout(z.sum(dim=1) / count)  # mean over valid nodes: B×D
        if self.use_global:
            global_feature = self.global_dropout(features.mean(dim=(2, 3, 4)))
            graph = torch.cat([graph, global_feature], dim=1)
        return self.fc(graph)
