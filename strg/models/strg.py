"""The Space-Time Region Graph model (Wang & Gupta 2018) over any backbone of the project.

Pipeline (I3D-R50, 32×224², N boxes per step)::

    clip B×3×T×H×W ─ backbone ─ B×C×T'×H'×W' ─ 1×1×1 conv ─ B×D×T'×H'×W' ─┬─ mean ─ B×D (global)
    boxes B×T'×N×4, valid B×T'×N ─ RoIAlign 7×7 per step, max ─ nodes B×M×D ┘
    nodes ─ graphs (similarity; forward/backward IoU) ─ GCN ─ mean over valid ─ B×D
    concat(graph, global) B×2D ─ fc ─ logits B×K

With ``global_from_backbone`` the global half is the backbone map's mean itself (B×C, no
reduction), the feature the stage-1 classifier reads, so fc is ``B×(D + C) → B×K``.

The backbone must offer ``forward_features`` and the attributes ``out_channels``,
``spatial_stride`` and ``temporal_stride``: the RoIAlign scale comes from there.

Starting stage 2 where stage 1 ended: the graph half of fc starts at zero (``zero_init_graph``)
and, with ``global_from_backbone``, :meth:`STRG.load_backbone_state_dict` (``keep_classifier``)
copies the stage-1 classifier into the global half, so a fresh STRG gives the stage-1 logits.
The zero sits in fc rather than in the last GCN layer: a zero GCN layer outputs
ReLU(LayerNorm(0)) = ReLU(0), whose derivative is 0, so that layer would never train.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import NamedTuple

import torch
import torch.nn.functional as F  # noqa: N812
from torch import nn

from strg.models.classifier import CLASSIFIER_NAMES
from strg.models.gcn import GraphConvolutionStack
from strg.models.graphs import SimilarityGraph, iou_graphs
from strg.models.region_features import check_boxes, region_features
from strg.models.state_dict import check_state_dict, read_state_dict

GRAPH_CHOICES = ("similarity", "spatial_temporal")
FUSION_CHOICES = ("end", "layer")


class NoSpatialTemporalEdgesWarning(UserWarning):
    """The backbone map has one time step: the spatial-temporal graphs have no edges."""


class HeadFeatures(NamedTuple):
    """The inputs of fc (``[graph, global_feature]`` along dim 1) and the nodes behind them.

    ``nodes`` ``B×M×D``: RoIAlign + max of the reduced map, zero rows for padded boxes;
    ``graph`` ``B×D``: the GCN output's mean over valid nodes, after dropout; ``global_feature``
    ``B×G`` after dropout (G = D, or C with ``global_from_backbone``), ``None`` without
    ``use_global``.
    """

    nodes: torch.Tensor
    graph: torch.Tensor
    global_feature: torch.Tensor | None


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
        use_global: concatenate a global feature (the mean of the map) with the graph feature.
        global_dropout, graph_dropout: dropout on the global (0.3) and graph (0.5) features.
            It sits where the backbones' heads put theirs (I3D: 0.5, 3D ResNets: none), so with
            ``global_from_backbone`` the backbone's value trains the global half as stage 1 did.
        iou_threshold: IoU an edge of the spatial-temporal graphs must exceed (0).
        nrois: N, if given; boxes with another N are refused.
        similarity_scale: divide the similarity logits by √D (off: the paper's F has no scale).
        zero_init_graph: start the graph half of fc at zero, so a fresh head's logits are its
            global branch's (on). Without ``use_global`` that is all of fc.
        gcn_init_std: std of the normal draw of the GCN weights (0.001, the authors' group);
            ``None`` keeps ``nn.Linear``'s default.
        global_from_backbone: the global half is the backbone map's mean (C wide, no reduction,
            the stage-1 classifier's input) instead of the reduced map's mean (D wide) (off).
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
        similarity_scale: bool = False,
        zero_init_graph: bool = True,
        gcn_init_std: float | None = 0.001,
        global_from_backbone: bool = False,
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
        if global_from_backbone and not use_global:
            raise ValueError("global_from_backbone needs use_global: there is no global half")
        for name in CLASSIFIER_NAMES:  # the head replaces the backbone's classifier
            if isinstance(getattr(backbone, name, None), nn.Linear):
                setattr(backbone, name, nn.Identity())
        self.backbone = backbone
        self.graphs = graphs
        self.fusion = fusion
        self.use_global = use_global
        self.global_from_backbone = global_from_backbone
        self.iou_threshold = iou_threshold
        self.nrois = nrois
        self.roi_output_size = roi_output_size
        self.spatial_scale = 1.0 / backbone.spatial_stride
        self.reduce = nn.Conv3d(backbone.out_channels, reduce_dim, kernel_size=1)
        use_sim, use_st = "similarity" in graphs, "spatial_temporal" in graphs
        self.similarity = SimilarityGraph(reduce_dim, similarity_scale) if use_sim else None
        stack = {"layers": gcn_layers, "residual": residual, "init_std": gcn_init_std}
        if fusion == "layer" or len(graphs) == 1:
            n_graphs = use_sim + 2 * use_st
            self.gcn = GraphConvolutionStack(reduce_dim, n_graphs, **stack)
        else:
            self.gcn_similarity = GraphConvolutionStack(reduce_dim, 1, **stack)
            self.gcn_spatial_temporal = GraphConvolutionStack(reduce_dim, 2, **stack)
        self.global_dropout = nn.Dropout(global_dropout)
        self.graph_dropout = nn.Dropout(graph_dropout)
        self.graph_dim = reduce_dim  # fc's input is [graph (D), global]: columns :D are graph
        global_dim = 0
        if use_global:
            global_dim = backbone.out_channels if global_from_backbone else reduce_dim
        self.fc = nn.Linear(reduce_dim + global_dim, n_classes)
        if zero_init_graph:
            with torch.no_grad():
                self.fc.weight[:, : self.graph_dim].zero_()
        self._warned_single_step = False

    def load_backbone_state_dict(
        self, source: str | Path | Mapping, keep_classifier: bool = False
    ) -> None:
        """Load a stage-1 backbone checkpoint exactly; its classifier (``fc.*`` or
        ``classifier.*``) goes into fc's global half with ``keep_classifier``, else is dropped.
        """
        state = read_state_dict(source)
        is_classifier = {k: k.split(".")[0] in CLASSIFIER_NAMES for k in state}
        backbone_state = {k: v for k, v in state.items() if not is_classifier[k]}
        check_state_dict(self.backbone, backbone_state)
        if keep_classifier:
            prefixes = sorted({k.split(".")[0] for k in state if is_classifier[k]})
            keys = [f"{prefixes[0]}.weight", f"{prefixes[0]}.bias"] if len(prefixes) == 1 else []
            if not keys or any(k not in state for k in keys):
                found = sorted(k for k in state if is_classifier[k])
                raise ValueError(f"keep_classifier: no one classifier weight and bias in {found}")
            self.init_global_from_classifier(*(state[k] for k in keys))
        self.backbone.load_state_dict(backbone_state, strict=True)

    @torch.no_grad()
    def init_global_from_classifier(self, weight: torch.Tensor, bias: torch.Tensor) -> None:
        """Copy a stage-1 classifier (weight ``K×C``, bias ``K``) into fc's global half and
        bias. Needs ``global_from_backbone``; the graph half is left as it is (zero by default).
        """
        if not self.global_from_backbone:
            raise ValueError(
                "the stage-1 classifier reads the backbone map's mean: build STRG with "
                "global_from_backbone=True to copy it in"
            )
        want = (self.fc.out_features, self.fc.in_features - self.graph_dim)
        if tuple(weight.shape) != want or tuple(bias.shape) != want[:1]:
            raise ValueError(
                f"classifier weight {tuple(weight.shape)} and bias {tuple(bias.shape)} do not "
                f"fit the global half K×C = {want}"
            )
        self.fc.weight[:, self.graph_dim :].copy_(weight)
        self.fc.bias.copy_(bias)

    def backbone_parameters(self) -> list[nn.Parameter]:
        """The backbone's parameters (trained in stage 1)."""
        return list(self.backbone.parameters())

    def head_parameters(self) -> list[nn.Parameter]:
        """Everything STRG adds to the backbone: reduction, similarity, GCN, fc."""
        return [p for name, p in self.named_parameters() if not name.startswith("backbone.")]

    def parameter_groups(
        self, learning_rate: float, head_lr_multiplier: float
    ) -> list[dict[str, object]]:
        """Optimiser parameter groups: ``backbone`` at ``learning_rate`` and ``head`` at
        ``learning_rate × head_lr_multiplier``, each of the parameters that require a gradient
        (frozen ones are left out; an empty group is omitted). ``name`` labels each group."""
        groups = []
        for name, params, lr in (
            ("backbone", self.backbone_parameters(), learning_rate),
            ("head", self.head_parameters(), learning_rate * head_lr_multiplier),
        ):
            trainable = [p for p in params if p.requires_grad]
            if trainable:
                groups.append({"params": trainable, "lr": lr, "name": name})
        return groups

    def graph_feature(
        self, nodes: torch.Tensor, boxes: torch.Tensor, valid: torch.Tensor
    ) -> torch.Tensor:
        """Nodes ``B×M×D``, boxes ``B×T'×N×4``, valid ``B×T'×N`` → GCN output ``B×M×D``."""
        node_valid = valid.flatten(1)
        graphs = self.graphs_of(nodes, boxes, valid)
        sim = [graphs["similarity"]] if "similarity" in graphs else []
        st = [graphs["forward"], graphs["backward"]] if "forward" in graphs else []
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
        nodes = region_features(features, boxes, valid, self.spatial_scale, self.roi_output_size)
        return self.graphs_of(nodes, boxes, valid)

    def graphs_of(
        self, nodes: torch.Tensor, boxes: torch.Tensor, valid: torch.Tensor
    ) -> dict[str, torch.Tensor]:
        """The graphs over nodes ``B×M×D`` with boxes ``B×T'×N×4`` and valid ``B×T'×N``, named
        as :meth:`graph_matrices` names them (only the families in ``self.graphs``)."""
        out: dict[str, torch.Tensor] = {}
        if self.similarity is not None:
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
        parts = self.head_features(backbone_features, boxes, valid)
        if parts.global_feature is None:
            return self.fc(parts.graph)
        return self.fc(torch.cat([parts.graph, parts.global_feature], dim=1))

    def head_features(
        self, backbone_features: torch.Tensor, boxes: torch.Tensor, valid: torch.Tensor
    ) -> HeadFeatures:
        """What :meth:`head` gives fc, its two halves apart, and the nodes they came from:
        features ``B×C×T'×H'×W'``, boxes ``B×T'×N×4``, valid ``B×T'×N`` → :class:`HeadFeatures`.
        """
        features = self.reduce(backbone_features)  # B×D×T'×H'×W'
        check_boxes(boxes, valid, features.shape[2])
        self._warn_if_single_step(features.shape[2])
        nodes = region_features(features, boxes, valid, self.spatial_scale, self.roi_output_size)
        z = self.graph_feature(nodes, boxes, valid)  # B×M×D
        count = valid.flatten(1).sum(dim=1, keepdim=True).clamp_min(1).to(z.dtype)
        graph = self.graph_dropout(z.sum(dim=1) / count)  # mean over valid nodes: B×D
        global_feature = None
        if self.use_global:
            # The backbones' own heads pool with adaptive_avg_pool3d: the same op gives the
            # stage-1 classifier bit-identical inputs. The backbones put their dropout (I3D)
            # at the same place, between the pooled feature and fc.
            source = backbone_features if self.global_from_backbone else features
            global_feature = self.global_dropout(F.adaptive_avg_pool3d(source, 1).flatten(1))
        return HeadFeatures(nodes, graph, global_feature)

    def _warn_if_single_step(self, steps: int) -> None:
        if steps == 1 and "spatial_temporal" in self.graphs and not self._warned_single_step:
            self._warned_single_step = True
            warnings.warn(
                f"{type(self.backbone).__name__}'s map has T'=1 step for this clip (temporal "
                f"stride {self.backbone.temporal_stride}): the spatial-temporal graphs have no "
                "edges, so that branch sees no neighbours (without residual it outputs exactly "
                "0 and cannot learn). Use longer clips, no max pool or stride-1 stages.",
                NoSpatialTemporalEdgesWarning,
                stacklevel=3,
            )
