"""One video through one STRG checkpoint: the clip, its boxes, the graphs and the predictions.

The clip is sampled exactly as main.py's inference (or validation) samples it: the data set is
built by :func:`strg.data.builder.build_video_dataset` from the data settings of the trained run
(:func:`strg.engine.trained.load_trained_run`), so frames, crop, boxes and normalisation are what
the model saw, and the model is the run's; the checkpoint, the video id and, where the data have
moved, the paths are all a caller gives. :mod:`strg.viz.graph_plot` draws the result.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from strg.data.builder import BuiltDataset, build_video_dataset
from strg.data.collate import collate_videos
from strg.data.records import load_annotation
from strg.engine.scores import clip_scores, video_scores
from strg.engine.trained import TrainedRun, load_trained_run
from strg.models.state_dict import CheckpointError
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


def load_strg_checkpoint(path: Path) -> TrainedRun:
    """The trained run of an STRG checkpoint of main.py (model in eval mode, its configuration)."""
    try:
        return load_trained_run(Path(path), region_graph=True)
    except CheckpointError as error:
        raise VizError(str(error)) from error


def existing_path(flag: str, override: Path | None, stored: Path | None) -> Path:
    """``override`` if given, else the checkpoint's ``stored`` path of ``--flag``; it must exist."""
    value = override if override is not None else stored
    if value is None:
        raise VizError(f"the checkpoint's options have no {flag}; pass --{flag}")
    if not Path(value).exists():
        source = "given" if override is not None else "from the checkpoint's options"
        raise VizError(f"--{flag} {value} ({source}) does not exist")
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
    trained = load_strg_checkpoint(checkpoint_path)
    model, stored = trained.model, trained.config.paths
    annotation_path = existing_path("annotation_path", annotation_path, stored.annotation_path)
    video_path = existing_path("video_path", video_path, stored.video_path)
    proposal_path = existing_path("proposal_path", proposal_path, stored.proposal_path)
    database = load_annotation(annotation_path)["database"]
    if video_id not in database:
        raise VizError(
            f"video id {video_id!r} is not in {annotation_path} ({len(database)} videos, "
            f"e.g. {', '.join(list(database)[:3])})"
        )
    subset = str(database[video_id].get("subset"))
    stride = trained.feature_step
    # Only this video's frames and boxes are checked (a missing one is an error naming it) and a
    # large data set is not scanned. Evaluation sampling draws nothing at random, so the
    # video's position in the data set cannot change its clips.
    built = build_video_dataset(
        phase, annotation_path, video_path, subset, trained.data,
        proposal_path=proposal_path, temporal_stride=stride, video_ids={video_id},
    )  # fmt: skip
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
        per_clip.append(clip_scores(logits, multi_label))
        if row == 0:
            matrices = model.graph_matrices(features, one_boxes, one_valid)
    return video_scores(torch.stack(per_clip), multi_label), matrices
