"""The one frame-index convention and the one box convention of the project.

Frames: inside the library a frame index is 0-based. Exactly one function,
:func:`frame_file_name`, maps an index to a file name on disk, where every data set numbers its
frames from 1 (``image_00001.jpg``, ``00001.jpg``, ``000001.jpg``, ``<id>-000001.jpg``).

Boxes: float XYXY ``(x1, y1, x2, y2)`` in continuous pixel coordinates of the current frame or
clip: the pixel in column ``c`` covers ``[c, c + 1)``, so a box around columns 10..19 is
``x1 = 10, x2 = 20``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import torch

#: File-name patterns of the supported frame layouts, keyed by a short name.
FRAME_NAME_PATTERNS: dict[str, str] = {
    "image": "image_{:05d}.jpg",  # 3D-ResNets-PyTorch (Kinetics, UCF-101, HMDB-51, ...)
    "sthv1": "{:05d}.jpg",  # Something-Something v1 as released
    "sthv2": "{:06d}.jpg",  # Something-Something v2 extracted by the TSM / STRG tools
    "charades": "{video_id}-{:06d}.jpg",  # Charades' official frames
}


def frame_name_template(pattern: str) -> str:
    """The ``str.format`` template of the frame layout ``pattern``: a key of
    :data:`FRAME_NAME_PATTERNS`, or a template of its own (``img_{:05d}.jpg``, MMAction2's
    rawframes) with one integer field for the 1-based frame number, optionally ``{video_id}``,
    naming ``.jpg`` files in the video's folder."""
    if pattern in FRAME_NAME_PATTERNS:
        return FRAME_NAME_PATTERNS[pattern]
    try:
        first, second = (pattern.format(number, video_id="v") for number in (1, 2))
    except (IndexError, KeyError, ValueError):
        first = second = ""
    if not first or first == second or "/" in first or not first.endswith(".jpg"):
        valid = ", ".join(sorted(FRAME_NAME_PATTERNS))
        raise ValueError(
            f"unknown frame name pattern {pattern!r}; valid: {valid}, or a template with one "
            "integer field naming .jpg files, such as 'img_{:05d}.jpg'"
        )
    return pattern


def frame_file_name(index: int, pattern: str = "image", video_id: str = "") -> str:
    """Return the file name of the frame with 0-based ``index`` in the layout ``pattern``.

    ``pattern`` is a key of :data:`FRAME_NAME_PATTERNS` or a template
    (:func:`frame_name_template`); ``video_id`` is needed by layouts whose names carry it
    (Charades).
    """
    if index < 0:
        raise ValueError(f"frame index must be >= 0, got {index}")
    return frame_name_template(pattern).format(index + 1, video_id=video_id)


def ffmpeg_frame_pattern(pattern: str = "image", video_id: str = "") -> str:
    """The ffmpeg output name (``image_%05d.jpg``) that writes the frames which
    :func:`frame_file_name` reads in the layout ``pattern`` (ffmpeg numbers from 1 too)."""
    with_id = frame_name_template(pattern).replace("{video_id}", video_id).replace("%", "%%")
    return re.sub(r"\{:?0?(\d*)d?\}", lambda m: f"%0{m[1]}d" if m[1] else "%d", with_id)


#: Annotation subsets by their short names (``--inference_subset``, result files, phases).
SUBSETS: dict[str, str] = {"train": "training", "val": "validation", "test": "testing"}


# --------------------------------------------------------------------------------------------------
# Clips and batches: what the data loader hands to the model.


@dataclass
class Clip:
    """One transformed clip of one video.

    ``frames`` C×T×H×W uint8 (transformed, not yet normalised: the loader normalises whole
    batches); ``boxes`` T'×N×4 float32 XYXY in pixels of the
    transformed clip, one box set per backbone feature step (zero where masked); ``box_mask`` T'×N
    bool (True for a real box); both ``None`` when the data set has no proposals. ``target`` is
    the class index (``-1`` when unlabelled) or a K float multi-hot vector (multi-label data sets).
    ``frame_indices`` are the 0-based sampled frames (T); ``segment`` is ``[first, last + 1)`` in
    the 1-based frame numbers of the result JSON.
    """

    frames: torch.Tensor
    target: int | torch.Tensor
    video_id: str
    frame_indices: list[int]
    boxes: torch.Tensor | None = None
    box_mask: torch.Tensor | None = None

    @property
    def segment(self) -> list[int]:
        return [min(self.frame_indices) + 1, max(self.frame_indices) + 2]


@dataclass
class VideoItem:
    """What the data set returns for one video: its clips (one in training; every temporal clip ×
    spatial view in evaluation), and the unreadable videos it stands in for under the explicit
    skip option, as ``(video_id, reason)``."""

    clips: list[Clip]
    skipped: list[tuple[str, str]] = field(default_factory=list)


@dataclass
class Batch:
    """Clips of several videos stacked along B (all clips of every video of the loader's batch).

    ``frames`` B×C×T×H×W uint8 as collated, float32 once the loader has normalised them;
    ``boxes`` B×T'×N×4 and ``box_mask`` B×T'×N (or ``None``); ``targets`` B int64 or B×K
    float32; ``video_index`` B int64, the position in ``video_ids`` of each clip's video (clips
    of one video are adjacent, for averaging scores over a video's clips); ``segments`` B pairs
    ``[start, end)`` (1-based frames); ``skipped`` the unreadable videos that were replaced in
    this batch under the loader's explicit skip option, as ``(video_id, reason)``.
    """

    frames: torch.Tensor
    targets: torch.Tensor
    video_ids: list[str]
    video_index: torch.Tensor
    segments: list[list[int]]
    boxes: torch.Tensor | None = None
    box_mask: torch.Tensor | None = None
    skipped: list[tuple[str, str]] = field(default_factory=list)

    def __len__(self) -> int:
        return int(self.frames.shape[0])

    def pin_memory(self) -> Batch:
        """Page-lock the tensors (DataLoader's ``pin_memory=True`` calls this)."""
        return self._map(lambda tensor: tensor.pin_memory())

    def to(self, device: torch.device | str, non_blocking: bool = False) -> Batch:
        """The same batch with every tensor on ``device``."""
        return self._map(lambda tensor: tensor.to(device, non_blocking=non_blocking))

    def _map(self, function) -> Batch:
        return Batch(
            frames=function(self.frames),
            targets=function(self.targets),
            video_ids=self.video_ids,
            video_index=function(self.video_index),
            segments=self.segments,
            boxes=None if self.boxes is None else function(self.boxes),
            box_mask=None if self.box_mask is None else function(self.box_mask),
            skipped=self.skipped,
        )
