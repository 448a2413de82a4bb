"""The proposal store: object boxes of every video, one compact file per video.

Boxes come from an offline region-proposal network (``extract_proposals``) or from annotations
(``import_boxes``, Something-Else), and are read by the data loader beside the frames. A video's
file ``ROOT/<video_id>.npz`` (numpy, no pickles) holds, for K stored frames and up to N boxes each:

=================  =========  =====================================================================
``frame_indices``  K int64    0-based frame indices, strictly increasing (every frame or every k-th)
``boxes``          K×N×4 f32  XYXY, continuous pixel coordinates of the *original* frame; rows past
                              a frame's count are zero
``scores``         K×N f32    objectness (proposals) or 1 (annotations), best first in each frame
``counts``         K int64    valid boxes per stored frame
``object_ids``     K×N int64  identity of an annotated object across frames, -1 when unknown
``frame_size``     2 int64    (height, width) of the frames the boxes were measured on
=================  =========  =====================================================================
"""

from __future__ import annotations

import warnings
import zipfile
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from strg.atomic import atomic_path
from strg.errors import StrgError

SUFFIX = ".npz"
FIELDS = ("frame_indices", "boxes", "scores", "counts", "object_ids", "frame_size")
#: The first bytes of every .npz (a zip archive).
ZIP_MAGIC = b"PK\x03\x04"
#: Pixels a box may reach past the frame's edge: the float rounding of boxes scaled back to the
#: original frame size (extract_proposals); import_boxes clips its boxes to the frame exactly.
EDGE_TOLERANCE = 0.5


class ProposalStoreError(StrgError, ValueError):
    """A proposal file is missing or malformed (the message names it)."""


@dataclass(frozen=True)
class VideoProposals:
    """The boxes of one video; shapes as in the module docstring."""

    frame_indices: np.ndarray
    boxes: np.ndarray
    scores: np.ndarray
    counts: np.ndarray
    object_ids: np.ndarray
    frame_size: tuple[int, int]

    def __post_init__(self) -> None:
        n_frames = self.frame_indices.shape[0]
        if self.frame_indices.ndim != 1 or (
            n_frames > 1 and np.any(np.diff(self.frame_indices) <= 0)
        ):
            raise ProposalStoreError("frame_indices must be a strictly increasing 1-D array")
        if self.boxes.ndim != 3 or self.boxes.shape[0] != n_frames or self.boxes.shape[2] != 4:
            raise ProposalStoreError(
                f"boxes must be K×N×4 with K={n_frames}, got {self.boxes.shape}"
            )
        expected = self.boxes.shape[:2]
        for name in ("scores", "object_ids"):
            if getattr(self, name).shape != expected:
                raise ProposalStoreError(
                    f"{name} must be K×N={expected}, got {getattr(self, name).shape}"
                )
        if (
            self.counts.shape != (n_frames,)
            or np.any(self.counts > expected[1])
            or np.any(self.counts < 0)
        ):
            raise ProposalStoreError(f"counts must be K={n_frames} values in 0..{expected[1]}")
        if len(self.frame_size) != 2 or min(self.frame_size) <= 0:
            raise ProposalStoreError(
                f"frame_size must be a positive (height, width), got {self.frame_size}"
            )

    @property
    def max_boxes(self) -> int:
        """N, the most boxes any stored frame may hold."""
        return int(self.boxes.shape[1])

    def nearest_stored(self, frame_indices: Sequence[int]) -> np.ndarray:
        """Position in ``self.frame_indices`` of the stored frame nearest each requested index
        (the earlier one on a tie). Returns a T int64 array."""
        if self.frame_indices.size == 0:
            raise ProposalStoreError("it has no stored frames (frame_indices is empty)")
        wanted = np.asarray(frame_indices, dtype=np.int64)
        right = np.clip(np.searchsorted(self.frame_indices, wanted), 0, self.frame_indices.size - 1)
        left = np.clip(right - 1, 0, self.frame_indices.size - 1)
        take_left = np.abs(self.frame_indices[left] - wanted) <= np.abs(
            self.frame_indices[right] - wanted
        )
        return np.where(take_left, left, right)

    def select(
        self, frame_indices: Sequence[int], n_boxes: int
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Boxes of the requested frames, the best ``n_boxes`` of each, padded and masked.

        Each requested 0-based index takes the boxes of the nearest stored frame. Returns
        ``boxes`` T×n×4 float32 (original-frame pixels, zero where padded), ``scores`` T×n float32
        and ``mask`` T×n bool (True for a real box).
        """
        positions = self.nearest_stored(frame_indices)
        take = min(n_boxes, self.max_boxes)
        boxes = np.zeros((len(positions), n_boxes, 4), dtype=np.float32)
        scores = np.zeros((len(positions), n_boxes), dtype=np.float32)
        boxes[:, :take] = self.boxes[positions, :take]
        scores[:, :take] = self.scores[positions, :take]
        mask = np.arange(n_boxes)[None, :] < np.minimum(self.counts[positions], take)[:, None]
        boxes[~mask] = 0
        scores[~mask] = 0
        return boxes, scores, mask


def box_problem(proposals: VideoProposals) -> str:
    """The first real box that is not finite, inverted (x2 < x1 or y2 < y1) or outside the frame
    (beyond :data:`EDGE_TOLERANCE`), named by stored frame and position with how many such boxes
    there are; "" when every box is valid. Padding rows are not looked at."""
    height, width = proposals.frame_size
    boxes = proposals.boxes
    real = np.arange(proposals.max_boxes)[None, :] < proposals.counts[:, None]
    with np.errstate(invalid="ignore"):
        checks = (
            (~np.isfinite(boxes).all(axis=-1), "is not finite"),
            ((boxes[..., 2] < boxes[..., 0]) | (boxes[..., 3] < boxes[..., 1]), "is inverted"),
            (
                (boxes[..., :2] < -EDGE_TOLERANCE).any(axis=-1)
                | (boxes[..., 2] > width + EDGE_TOLERANCE)
                | (boxes[..., 3] > height + EDGE_TOLERANCE),
                f"lies outside the {width}x{height} (width x height) frame",
            ),
        )
    for bad, reason in checks:
        bad = bad & real
        if bad.any():
            position, box = (int(value) for value in np.argwhere(bad)[0])
            frame = int(proposals.frame_indices[position])
            return (
                f"frame {frame} box {box} {boxes[position, box].tolist()} {reason} "
                f"({int(bad.sum())} such box(es))"
            )
    return ""


def from_frame_lists(
    frame_indices: Sequence[int],
    frame_boxes: Sequence[np.ndarray],
    frame_size: tuple[int, int],
    frame_scores: Sequence[np.ndarray] | None = None,
    frame_object_ids: Sequence[np.ndarray] | None = None,
) -> VideoProposals:
    """Pack per-frame box lists (each Ki×4) into a :class:`VideoProposals`, best score first."""
    n_frames = len(frame_indices)
    width = max((len(boxes) for boxes in frame_boxes), default=0)
    packed = VideoProposals(
        frame_indices=np.asarray(frame_indices, dtype=np.int64).reshape(n_frames),
        boxes=np.zeros((n_frames, width, 4), dtype=np.float32),
        scores=np.zeros((n_frames, width), dtype=np.float32),
        counts=np.array([len(boxes) for boxes in frame_boxes], dtype=np.int64).reshape(n_frames),
        object_ids=np.full((n_frames, width), -1, dtype=np.int64),
        frame_size=(int(frame_size[0]), int(frame_size[1])),
    )
    for position, boxes in enumerate(frame_boxes):
        count = len(boxes)
        scores = np.ones(count) if frame_scores is None else np.asarray(frame_scores[position])
        ids = (
            np.full(count, -1)
            if frame_object_ids is None
            else np.asarray(frame_object_ids[position])
        )
        order = np.argsort(-scores, kind="stable")
        packed.boxes[position, :count] = np.asarray(boxes, dtype=np.float32).reshape(count, 4)[
            order
        ]
        packed.scores[position, :count] = scores[order]
        packed.object_ids[position, :count] = ids[order]
    return packed


def save_video_proposals(path: Path, proposals: VideoProposals) -> None:
    """Write one video's proposals to ``path`` atomically; invalid boxes are refused."""
    problem = box_problem(proposals)
    if problem:
        raise ProposalStoreError(f"{path}: {problem}")
    with atomic_path(path) as temporary, temporary.open("wb") as handle:
        np.savez_compressed(
            handle,
            frame_indices=proposals.frame_indices.astype(np.int64),
            boxes=proposals.boxes.astype(np.float32),
            scores=proposals.scores.astype(np.float32),
            counts=proposals.counts.astype(np.int64),
            object_ids=proposals.object_ids.astype(np.int64),
            frame_size=np.asarray(proposals.frame_size, dtype=np.int64),
        )


def load_video_proposals(path: Path) -> VideoProposals:
    """Read one video's proposals; a missing (FileNotFoundError), damaged or malformed file, or
    one holding invalid boxes (:func:`box_problem`), is an error naming it."""
    path = Path(path)
    try:
        with path.open("rb") as handle:
            magic = handle.read(len(ZIP_MAGIC))
    except IsADirectoryError:
        raise ProposalStoreError(f"{path} is a directory, not a proposal file") from None
    except FileNotFoundError:
        raise
    except OSError as error:
        raise ProposalStoreError(f"cannot read {path}: {error.strerror or error}") from None
    if magic != ZIP_MAGIC:
        what = "the file is empty" if not magic else "it is not a zip archive"
        raise ProposalStoreError(f"{path} is not a valid .npz file ({what})")
    try:
        with np.load(path, allow_pickle=False) as archive:
            arrays = {name: archive[name] for name in FIELDS}
    except KeyError as error:
        raise ProposalStoreError(f"{path}: missing array {error}") from error
    except (OSError, ValueError, EOFError, zipfile.BadZipFile, zlib.error) as error:
        reason = str(error) or type(error).__name__
        raise ProposalStoreError(
            f"{path} is not a valid .npz file (truncated or damaged: {reason})"
        ) from None
    frame_size = arrays.pop("frame_size").reshape(-1)
    try:
        proposals = VideoProposals(frame_size=tuple(int(side) for side in frame_size), **arrays)
    except ProposalStoreError as error:
        raise ProposalStoreError(f"{path}: {error}") from error
    problem = box_problem(proposals)
    if problem:
        raise ProposalStoreError(f"{path}: {problem}")
    return proposals


class ProposalStore:
    """The directory of per-video proposal files."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def path(self, video_id: str) -> Path:
        """The file of ``video_id``."""
        return self.root / f"{video_id}{SUFFIX}"

    def __contains__(self, video_id: str) -> bool:
        return self.path(video_id).is_file()

    def missing(self, video_ids: Sequence[str]) -> list[str]:
        """The ids among ``video_ids`` that have no file."""
        return [video_id for video_id in video_ids if video_id not in self]

    def load(self, video_id: str, last_frame: int | None = None) -> VideoProposals:
        """The proposals of ``video_id``; a missing file, or one without stored frames, is an
        error naming the video and file. With ``last_frame`` (the video's last 0-based frame),
        stored frames past it are a warning naming both (the nearest-frame rule would give
        late frames the boxes of other frames), and an error when none lies inside the video."""
        path = self.path(video_id)
        try:
            proposals = load_video_proposals(path)
        except FileNotFoundError:
            raise ProposalStoreError(
                f"no proposals for video {video_id}: {path} does not exist"
            ) from None
        if proposals.frame_indices.size == 0:
            raise ProposalStoreError(f"video {video_id}: {path} has no stored frames")
        stored_last = int(proposals.frame_indices[-1])
        if last_frame is not None and stored_last > last_frame:
            where = (
                f"video {video_id}: {path} stores boxes up to frame {stored_last}, but the video "
                f"ends at frame {last_frame}"
            )
            if int(proposals.frame_indices[0]) > last_frame:
                raise ProposalStoreError(f"{where}: no stored frame lies inside the video")
            warnings.warn(f"{where}; were they made for another frame rate?", stacklevel=2)
        return proposals

    def save(self, video_id: str, proposals: VideoProposals) -> None:
        """Write the proposals of ``video_id`` (atomically, creating the store directory)."""
        self.root.mkdir(parents=True, exist_ok=True)
        save_video_proposals(self.path(video_id), proposals)
