"""Something-Else boxes into the proposal store (import_boxes).

Input: one JSON object keyed by video id (several part files allowed, e.g.
``bounding_box_smthsmth_part{1..4}.json``); each value lists the video's frames in order as
``{"name": "<id>/0001.jpg", "labels": [{"box2d": {"x1", "y1", "x2", "y2"}, "category",
"standard_category"}, …]}``. Coordinates are pixels of the original video frame, so each
video's frame size comes from its video file (``--video_dir``) or is given (``--frame_size``).

Output: one store file per video (:mod:`strg.data.proposal_store`): frame ``i`` of the store is
the frame named ``…/{i+1:04d}.jpg``; every box has score 1; the object id is the placeholder
number for ``standard_category`` ``"0000"``, ``"0001"`` … and ``HAND_ID + j`` for the j-th hand
of a frame. Frames without labels are kept with no box. A box that is not finite or is inverted
(x2 < x1, y2 < y1) fails its video, naming the frame and box; one reaching outside the frame is
clipped to it and counted in the report (annotators' boxes often cross the edge by a pixel).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

import numpy as np
from tqdm import tqdm

from strg.data.proposal_store import ProposalStore, VideoProposals, from_frame_lists
from strg.prep.annotation import AnnotationError, read_text
from strg.prep.shard import Shard, select
from strg.strict_json import DuplicateKeyError, loads_unique

HAND_ID = 1000
VIDEO_EXTENSIONS = (".webm", ".mp4")


def read_box_files(paths: list[Path]) -> dict[str, tuple[Path, list[Any]]]:
    """Video id -> (the file it came from, its frame list), over all part files."""
    videos: dict[str, tuple[Path, list[Any]]] = {}
    for path in paths:
        try:
            content = loads_unique(read_text(path))
        except DuplicateKeyError as error:
            raise AnnotationError(f"{path}: {error.key!r} is listed twice") from None
        except json.JSONDecodeError as error:
            raise AnnotationError(f"{path} is not valid JSON: {error}") from None
        if not isinstance(content, dict):
            raise AnnotationError(f"{path} must hold an object keyed by video id")
        for video_id, frames in content.items():
            if video_id in videos:
                raise AnnotationError(
                    f"{path}: video {video_id!r} is also in {videos[video_id][0]}"
                )
            videos[video_id] = (path, frames)
    return videos


def video_frame_size(video_dir: Path, video_id: str) -> tuple[int, int]:
    """(height, width) of ``video_dir/<id>.webm`` (or .mp4), read from the container header."""
    import av

    for extension in VIDEO_EXTENSIONS:
        path = video_dir / f"{video_id}{extension}"
        if path.is_file():
            try:
                with av.open(str(path)) as container:
                    context = container.streams.video[0].codec_context
                    return int(context.height), int(context.width)
            except (av.FFmpegError, IndexError) as error:
                raise ValueError(f"cannot read the frame size of {path}: {error}") from None
    raise FileNotFoundError(f"no video {video_dir / video_id}.webm (or .mp4) for its frame size")


def _number(value: Any, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"{what} is not a number: {value!r}")
    return float(value)


def _checked_box(
    values: list[float], name: PurePosixPath, frame_size: tuple[int, int]
) -> tuple[list[float], bool]:
    """``values`` (x1, y1, x2, y2) clipped to the frame, and whether clipping changed them; a
    ValueError naming the frame and box when it is not finite or inverted."""
    x1, y1, x2, y2 = values
    if not np.isfinite(values).all():
        raise ValueError(f"{name}: box {values} is not finite")
    if x2 < x1 or y2 < y1:
        raise ValueError(f"{name}: box {values} is inverted (x2 < x1 or y2 < y1)")
    height, width = frame_size
    clipped = [min(max(x1, 0.0), width), min(max(y1, 0.0), height)]
    clipped += [min(max(x2, 0.0), width), min(max(y2, 0.0), height)]
    return clipped, clipped != [x1, y1, x2, y2]


def video_boxes(
    video_id: str, frames: list[Any], frame_size: tuple[int, int]
) -> tuple[VideoProposals, int]:
    """One video's Something-Else frames as a VideoProposals, and how many of its boxes were
    clipped to the frame (ValueError naming the frame and box for an invalid one)."""
    if not isinstance(frames, list):
        raise ValueError("the value must be a list of frames")
    by_index: dict[int, tuple[np.ndarray, np.ndarray]] = {}
    n_clipped = 0
    for position, frame in enumerate(frames):
        where = f"frame {position}"
        try:
            name = PurePosixPath(frame["name"])
            index = int(name.stem) - 1
            labels = frame.get("labels") or []
        except (TypeError, KeyError, ValueError, AttributeError):
            raise ValueError(
                f"{where}: expected {{'name': '<id>/0001.jpg', 'labels': […]}}"
            ) from None
        if index < 0 or index in by_index:
            raise ValueError(f"{where}: frame name {str(name)!r} is out of order or repeated")
        boxes, ids, hands = [], [], 0
        for label in labels:
            try:
                box = label["box2d"]
                values = [_number(box[key], f"{name} {key}") for key in ("x1", "y1", "x2", "y2")]
                category = str(label.get("standard_category", ""))
            except (TypeError, KeyError) as error:
                raise ValueError(f"{where} ({name}): a label has no box2d {error}") from None
            values, was_clipped = _checked_box(values, name, frame_size)
            boxes.append(values)
            n_clipped += was_clipped
            if category.isdigit():
                ids.append(int(category))
            elif category == "hand":
                ids.append(HAND_ID + hands)
                hands += 1
            else:
                ids.append(-1)
        by_index[index] = (np.asarray(boxes, np.float32).reshape(-1, 4), np.asarray(ids, np.int64))
    order = sorted(by_index)
    proposals = from_frame_lists(
        order,
        [by_index[index][0] for index in order],
        frame_size,
        frame_object_ids=[by_index[index][1] for index in order],
    )
    return proposals, n_clipped


@dataclass
class ImportReport:
    """What a run did."""

    written: list[str] = field(default_factory=list)
    boxes: int = 0
    failed: list[tuple[str, str]] = field(default_factory=list)
    clipped: dict[str, int] = field(default_factory=dict)  # video id -> boxes clipped

    def summary(self) -> str:
        lines = [
            f"imported {self.boxes} boxes of {len(self.written)} videos, failed {len(self.failed)}"
        ]
        if self.clipped:
            shown = ", ".join(f"{video_id} ({n})" for video_id, n in list(self.clipped.items())[:5])
            more = f" and {len(self.clipped) - 5} more" if len(self.clipped) > 5 else ""
            lines.append(
                f"clipped {sum(self.clipped.values())} boxes reaching outside the frame to it, in "
                f"{len(self.clipped)} videos: {shown}{more}"
            )
        lines += [f"  FAILED {video_id}: {reason}" for video_id, reason in self.failed]
        return "\n".join(lines)


def import_boxes(
    box_files: list[Path],
    out_dir: Path,
    video_dir: Path | None = None,
    frame_size: tuple[int, int] | None = None,
    shard: Shard | None = None,
    progress: bool = True,
) -> ImportReport:
    """Write the store file of every video in ``box_files`` (overwriting: it is cheap)."""
    if (video_dir is None) == (frame_size is None):
        raise ValueError("give exactly one of video_dir and frame_size")
    videos = read_box_files(box_files)
    store = ProposalStore(out_dir)
    report = ImportReport()
    mine = select(sorted(videos), shard or Shard(), key=str)
    for video_id in tqdm(mine, desc="importing boxes", unit="video", disable=not progress):
        source, frames = videos[video_id]
        try:
            size = frame_size or video_frame_size(video_dir, video_id)
            proposals, n_clipped = video_boxes(video_id, frames, size)
            store.save(video_id, proposals)
        except (OSError, ValueError) as error:
            report.failed.append((video_id, f"{source}: {error}"))
            continue
        report.written.append(video_id)
        report.boxes += int(proposals.counts.sum())
        if n_clipped:
            report.clipped[video_id] = n_clipped
    return report
