"""Offline region proposals: the RPN of Faster R-CNN ResNet-50-FPN on every k-th frame.

For each video of an annotation JSON, frames ``0, k, 2k, …`` (0-based) of its frame folder are
read as raw RGB (the detector normalises them itself, with its own mean, std and resizing),
passed in batches through the detector's transform, backbone and region-proposal network, and
the best ``nrois`` proposals by objectness after non-maximum suppression are stored in the
proposal store (:mod:`strg.data.proposal_store`), boxes in pixels of the frames on disk.

The RPN already suppresses within each FPN level; the proposals of different levels are then
suppressed against each other with the RPN's own IoU threshold (0.7) so that the N boxes kept are
N different regions, best objectness first. One file per video, written atomically, so an
interrupted run resumes by skipping the videos whose file exists.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from tqdm import tqdm

from strg.data.proposal_store import ProposalStore, VideoProposals, from_frame_lists
from strg.data.records import VideoRecord
from strg.errors import StrgError
from strg.prep.annotation import AnnotationError, read_text
from strg.prep.frames import count_frames, frame_pattern_of
from strg.prep.shard import Shard, select
from strg.structures import frame_file_name

#: torchvision's default short side for this detector; the long side is capped in proportion.
DEFAULT_SIZE = 800
MAX_SIZE_RATIO = 1333 / 800


class DetectorWeightsError(StrgError, RuntimeError):
    """The detector's weights cannot be loaded (the message says from where and what to do)."""


def build_detector(
    weights_file: Path | None, size: int = DEFAULT_SIZE, device: str = "cpu"
) -> torch.nn.Module:
    """Faster R-CNN ResNet-50-FPN in eval mode, with weights from ``weights_file`` (a state_dict)
    or, without one, torchvision's COCO weights (downloaded and cached by torchvision)."""
    from torchvision.models.detection import (
        FasterRCNN_ResNet50_FPN_Weights,
        fasterrcnn_resnet50_fpn,
    )

    model = fasterrcnn_resnet50_fpn(
        weights=None,
        weights_backbone=None,
        min_size=size,
        max_size=math.ceil(size * MAX_SIZE_RATIO),
    )
    if weights_file is not None:
        try:
            state = torch.load(weights_file, map_location="cpu", weights_only=True)
        except FileNotFoundError:
            raise DetectorWeightsError(
                f"--detector_weights {weights_file} does not exist"
            ) from None
        except Exception as error:
            raise DetectorWeightsError(
                f"--detector_weights {weights_file} is not a readable state_dict: {error}"
            ) from error
        if isinstance(state, dict) and isinstance(state.get("state_dict"), dict):
            state = state["state_dict"]
        source = str(weights_file)
    else:
        weights = FasterRCNN_ResNet50_FPN_Weights.COCO_V1
        try:
            state = weights.get_state_dict(progress=False, check_hash=True)
        except Exception as error:
            raise DetectorWeightsError(
                f"cannot download torchvision's COCO weights ({weights.url}): {error}; "
                "download that file elsewhere and pass it with --detector_weights FILE"
            ) from error
        source = weights.url
    try:
        model.load_state_dict(state)
    except (RuntimeError, TypeError, AttributeError) as error:
        raise DetectorWeightsError(
            f"{source} does not fit Faster R-CNN ResNet-50-FPN: {str(error)[:500]}"
        ) from error
    return model.eval().to(device)


@torch.no_grad()
def propose(
    model: torch.nn.Module, frames: list[torch.Tensor], nrois: int
) -> list[tuple[np.ndarray, np.ndarray]]:
    """The best ``nrois`` proposals of each frame (3×H×W uint8, raw RGB).

    Returns per frame ``(boxes n×4 float32 XYXY in that frame's pixels, scores n float32)``,
    best objectness first, n <= nrois.
    """
    from torchvision.models.detection.rpn import concat_box_prediction_layers
    from torchvision.models.detection.transform import resize_boxes
    from torchvision.ops import nms

    device = next(model.parameters()).device
    images = [frame.to(device, non_blocking=True).float().div_(255) for frame in frames]
    original_sizes = [tuple(image.shape[-2:]) for image in images]
    image_list, _ = model.transform(images)
    features = list(model.backbone(image_list.tensors).values())
    rpn = model.rpn
    objectness, deltas = rpn.head(features)
    anchors = rpn.anchor_generator(image_list, features)
    per_level = [o[0].numel() for o in objectness]
    objectness, deltas = concat_box_prediction_layers(objectness, deltas)
    proposals = rpn.box_coder.decode(deltas.detach(), anchors).view(len(anchors), -1, 4)
    boxes, scores = rpn.filter_proposals(proposals, objectness, image_list.image_sizes, per_level)
    results = []
    for frame_boxes, frame_scores, size, original in zip(
        boxes, scores, image_list.image_sizes, original_sizes, strict=True
    ):
        keep = nms(frame_boxes, frame_scores, rpn.nms_thresh)[:nrois]
        kept = resize_boxes(frame_boxes[keep], tuple(size), original)
        height, width = original
        kept[:, 0::2] = kept[:, 0::2].clamp(0, width)
        kept[:, 1::2] = kept[:, 1::2].clamp(0, height)
        results.append((kept.cpu().numpy(), frame_scores[keep].cpu().numpy()))
    return results


@dataclass(frozen=True)
class VideoFrames:
    """A video of the annotation JSON and its frame folder."""

    video_id: str
    folder: Path


def videos_of_annotation(annotation_json: Path, frame_root: Path) -> list[VideoFrames]:
    """Every video of the annotation JSON with its frame folder: the entry's ``video_path``
    when it has one, else ``FRAME_ROOT/<label>/<id>`` (``FRAME_ROOT/test/<id>`` unlabelled)."""
    try:
        annotation = json.loads(read_text(annotation_json))
    except json.JSONDecodeError as error:
        raise AnnotationError(f"{annotation_json} is not valid JSON: {error}") from None
    database = annotation.get("database") if isinstance(annotation, dict) else None
    if not isinstance(database, dict):
        raise AnnotationError(f"{annotation_json} has no 'database' object")
    videos = []
    for video_id, entry in database.items():
        if not isinstance(entry, dict):
            raise AnnotationError(f"{annotation_json}: entry {video_id!r} is not an object")
        if entry.get("video_path"):
            folder = Path(entry["video_path"])
        else:
            label = (entry.get("annotations") or {}).get("label")
            folder = frame_root / (label if isinstance(label, str) else "test") / video_id
        videos.append(VideoFrames(str(video_id), folder))
    return videos


def read_frame(path: Path) -> torch.Tensor:
    """One JPEG as a 3×H×W uint8 RGB tensor."""
    from PIL import Image

    with Image.open(path) as image:
        array = np.array(image.convert("RGB"))
    return torch.from_numpy(array).permute(2, 0, 1)


def video_proposals(
    model: torch.nn.Module, video: VideoFrames, interval: int, nrois: int, batch_size: int
) -> Any:
    """The proposals of every ``interval``-th frame of ``video`` as a VideoProposals."""
    n_frames = count_frames(video.folder)
    if n_frames == 0:
        raise FileNotFoundError(f"no frames in {video.folder}")
    pattern = frame_pattern_of(video.folder)
    indices = list(range(0, n_frames, interval))
    boxes, scores, frame_size = [], [], None
    for start in range(0, len(indices), batch_size):
        frames = []
        for index in indices[start : start + batch_size]:
            path = video.folder / frame_file_name(index, pattern, video_id=video.folder.name)
            if not path.is_file():
                raise FileNotFoundError(f"frame {path} is missing ({n_frames} frames counted)")
            frames.append(read_frame(path))
        sizes = {tuple(frame.shape[-2:]) for frame in frames}
        if frame_size is None:
            frame_size = frames[0].shape[-2:]
        if sizes != {tuple(frame_size)}:
            raise ValueError(f"frames of {video.folder} differ in size: {sorted(sizes)}")
        for frame_boxes, frame_scores in propose(model, frames, nrois):
            boxes.append(frame_boxes)
            scores.append(frame_scores)
    return from_frame_lists(indices, boxes, tuple(frame_size), frame_scores=scores)


def video_file_proposals(
    model: torch.nn.Module, record: VideoRecord, interval: int, nrois: int, batch_size: int = 8
) -> VideoProposals:
    """The proposals of every ``interval``-th frame of a video file (``record``, a
    :class:`~strg.data.records.VideoRecord`), decoded by the data's own video reader, so the
    frame indices and sizes are those the clips are read with."""
    from strg.data.frame_readers import VideoFileReader

    reader = VideoFileReader()
    indices = list(record.frame_indices[::interval])
    boxes, scores, frame_size = [], [], None
    for start in range(0, len(indices), batch_size):
        frames = reader.read(record, indices[start : start + batch_size])
        frame_size = tuple(frames.shape[-2:])
        for frame_boxes, frame_scores in propose(model, list(frames), nrois):
            boxes.append(frame_boxes)
            scores.append(frame_scores)
    return from_frame_lists(indices, boxes, frame_size, frame_scores=scores)


@dataclass
class ProposalReport:
    """What a run did."""

    written: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)
    frames: int = 0

    def summary(self) -> str:
        lines = [
            f"proposals written for {len(self.written)} videos ({self.frames} frames), "
            f"already done {len(self.skipped)}, failed {len(self.failed)}"
        ]
        lines += [f"  FAILED {video_id}: {reason}" for video_id, reason in self.failed]
        return "\n".join(lines)


def extract_proposals(
    model: torch.nn.Module,
    videos: list[VideoFrames],
    out_dir: Path,
    interval: int = 2,
    nrois: int = 10,
    batch_size: int = 8,
    shard: Shard | None = None,
    progress: bool = True,
) -> ProposalReport:
    """Proposals for every video of ``shard`` not yet in the store at ``out_dir``."""
    store = ProposalStore(out_dir)
    report = ProposalReport()
    mine = select(videos, shard or Shard(), key=lambda video: video.video_id)
    for video in tqdm(mine, desc="proposals", unit="video", disable=not progress):
        if video.video_id in store:
            report.skipped.append(video.video_id)
            continue
        try:
            proposals = video_proposals(model, video, interval, nrois, batch_size)
            store.save(video.video_id, proposals)
        except (OSError, ValueError, RuntimeError) as error:
            report.failed.append((video.video_id, str(error)))
            continue
        report.written.append(video.video_id)
        report.frames += len(proposals.frame_indices)
    return report
