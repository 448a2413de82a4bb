"""One video through one STRG checkpoint: the clip, its boxes, the graphs and the predictions.

The clip is sampled exactly as main.py's inference (or validation) samples it: the data set is
built by :func:`strg.data.builder.build_video_dataset` from the options stored in the checkpoint
(``config``), so frames, crop, boxes and normalisation are what the model saw. The model is rebuilt
from the same options, so the checkpoint, the video id and, where the data have moved, the paths
are all a caller gives. :mod:`strg.viz.graph_plot` draws the result.
"""

from __future__ import annotations

import json
import tempfile
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import torch

from strg.data.builder import BuiltDataset, build_video_dataset
from strg.data.collate import collate_videos
from strg.data.records import load_annotation
from strg.engine.checkpoint import load_checkpoint
from strg.engine.model_setup import build_run_model, load_exactly, uses_strg
from strg.engine.run import data_settings
from strg.models.state_dict import read_state_dict
from strg.models.strg import STRG
from strg.structures import VideoItem
from strg.viz.figure import VizError

PHASES = ("inference", "val")


@dataclass
class GraphSample:
    """What the graph picture shows, for the first clip of the video.

    ``frames`` T'×H×W×C uint8: the clip's frames at the feature steps, before normalisation;
    ``frame_indices`` the 0-based video frame of each step; ``boxes`` T'×N×4 XYXY in pixels of
    ``frames``; ``valid`` T'×N bool; ``matrices`` M×M graphs (M = T'·N, node ``t·N + n``) named as
    :meth:`STRG.graph_matrices` names them; ``scores`` K, the video's class scores over all its
    clips as inference computes them (mean softmax, or max sigmoid for multi-label data).
    """

    video_id: str
    subset: str
    labels: list[str]
    class_names: list[str]
    frames: np.ndarray
    frame_indices: list[int]
    boxes: torch.Tensor
    valid: torch.Tensor
    matrices: dict[str, torch.Tensor]
    scores: torch.Tensor
    n_clips: int

    def top(self, k: int = 3) -> list[tuple[str, float]]:
        """The ``k`` best classes with their scores, best first."""
        values, indices = self.scores.topk(min(k, self.scores.numel()))
        return [
            (self.class_names[i], float(v))
            for v, i in zip(values.tolist(), indices.tolist(), strict=True)
        ]


def load_strg_checkpoint(path: Path) -> tuple[STRG, SimpleNamespace]:
    """The STRG model of a main.py checkpoint, weights loaded, in eval mode, and its options."""
    checkpoint = load_checkpoint(Path(path))
    config = checkpoint.get("config")
    if not isinstance(config, dict) or "model" not in config:
        raise VizError(
            f"checkpoint {path} has no 'config' (main.py's options); only checkpoints written by "
            "this project's main.py can be drawn"
        )
    options = SimpleNamespace(**config)
    if not uses_strg(options):
        raise VizError(
            f"checkpoint {path} ({checkpoint.get('arch', options.model)}) has no region-graph "
            "head; draw a checkpoint trained with --strg"
        )
    channels = 2 if options.input_type == "flow" else 3
    # The run already checked its flags, so its options serve as their own defaults.
    model = build_run_model(options, options, options.n_classes, channels, None)
    load_exactly(model, read_state_dict(checkpoint), Path(path), "--n_classes")
    return model.eval(), options


def _existing(name: str, override: Path | None, options: SimpleNamespace) -> Path:
    value = override if override is not None else getattr(options, name, None)
    if value is None:
        raise VizError(f"the checkpoint's options have no {name}; pass --{name}")
    if not Path(value).exists():
        source = "given" if override is not None else "from the checkpoint's options"
        raise VizError(f"--{name} {value} ({source}) does not exist")
    return Path(value)


def sample_graph(
    checkpoint_path: Path,
    video_id: str,
    annotation_path: Path | None = None,
    video_path: Path | None = None,
    proposal_path: Path | None = None,
    phase: str = "inference",
) -> GraphSample:
    """Sample ``video_id`` as ``phase`` (``inference`` or ``val``) does and run the checkpoint.

    Paths default to the checkpoint's options. The video may be of any subset of the annotation.
    """
    if phase not in PHASES:
        raise VizError(f"phase must be one of {PHASES}, got {phase!r}")
    model, options = load_strg_checkpoint(checkpoint_path)
    annotation_path = _existing("annotation_path", annotation_path, options)
    video_path = _existing("video_path", video_path, options)
    proposal_path = _existing("proposal_path", proposal_path, options)
    annotation = load_annotation(annotation_path)
    database = annotation["database"]
    if video_id not in database:
        raise VizError(
            f"video id {video_id!r} is not in {annotation_path} ({len(database)} videos, "
            f"e.g. {', '.join(list(database)[:3])})"
        )
    subset = str(database[video_id].get("subset"))
    options.annotation_path, options.video_path = annotation_path, video_path
    options.proposal_path = proposal_path
    settings = data_settings(options)
    stride = int(model.backbone.temporal_stride)
    with tempfile.TemporaryDirectory(prefix="strg_viz_") as folder:
        # A one-video annotation: the data set checks this video's frames and boxes only (a
        # missing one is an error naming it) and a large data set is not scanned. Evaluation
        # sampling draws nothing at random, so the item's position cannot change the clip.
        single = Path(folder) / "annotation.json"
        entry = {"labels": annotation.get("labels", []), "database": {video_id: database[video_id]}}
        single.write_text(json.dumps(entry))
        built = build_video_dataset(
            phase, single, video_path, subset=subset, temporal_stride=stride, **settings
        )
    item = _item(built, video_id)
    dataset = built.dataset
    batch = collate_videos([item])
    frames = dataset.normalization(batch.frames)
    scores, matrices = _run(model, frames, batch.boxes, batch.box_mask, dataset.multi_label)
    clip = item.clips[0]
    steps = clip.boxes.shape[0]  # T'
    # step t' shows sampled frame t'·stride, the frame its boxes were read from
    step_frames = clip.frames[:, ::stride][:, :steps].permute(1, 2, 3, 0)  # T'×H×W×C
    record = dataset.records[0]
    label_indices = list(record.labels) or ([record.label] if record.label >= 0 else [])
    return GraphSample(
        video_id=video_id,
        subset=subset,
        labels=[built.records.class_names[i] for i in label_indices],
        class_names=built.records.class_names,
        frames=step_frames.numpy(),
        frame_indices=clip.frame_indices[::stride][:steps],
        boxes=clip.boxes,
        valid=clip.box_mask,
        matrices={name: matrix[0] for name, matrix in matrices.items()},
        scores=scores,
        n_clips=len(item.clips),
    )


def _item(built: BuiltDataset, video_id: str) -> VideoItem:
    """The data set's only item, ``video_id``'s, or an error naming why it cannot be read."""
    item = built.dataset[0]
    if item.clips[0].video_id != video_id:  # the run's skip_missing replaced an unreadable video
        raise VizError(f"video {video_id}: {dict(item.skipped).get(video_id, 'unreadable')}")
    if item.clips[0].boxes is None:
        raise VizError(f"video {video_id}: the data set has no boxes; pass --proposal_path")
    return item


@torch.no_grad()
def _run(
    model: STRG,
    frames: torch.Tensor,
    boxes: torch.Tensor,
    valid: torch.Tensor,
    multi_label: bool,
) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
    """Video scores ``K`` over the clips ``B×C×T×H×W`` and the first clip's graphs ``1×M×M``.

    One clip at a time: a long video's sliding window need not fit in memory at once.
    """
    per_clip, matrices = [], {}
    for row in range(frames.shape[0]):
        features = model.backbone.forward_features(frames[row : row + 1])
        one_boxes, one_valid = boxes[row : row + 1], valid[row : row + 1]
        logits = model.head(features, one_boxes, one_valid)[0]
        per_clip.append(torch.sigmoid(logits) if multi_label else torch.softmax(logits, dim=0))
        if row == 0:
            matrices = model.graph_matrices(features, one_boxes, one_valid)
    stacked = torch.stack(per_clip)
    return (stacked.max(dim=0).values if multi_label else stacked.mean(dim=0)), matrices
