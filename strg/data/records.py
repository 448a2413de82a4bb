"""Annotation records: the ActivityNet-style annotation JSON turned into one record per video.

The JSON (3d-resnets-compat §3.1) is ``{"labels": [...], "database": {id: {"subset": ...,
"annotations": {"label": name, "segment": [start, end)}, "video_path": optional}}}``. A jpg (and
video-file) segment is 1-based (``[1, n + 1]``), an hdf5 segment 0-based (``[0, n]``); records
hold 0-based frame indices either way. Multi-label entries (Charades) may carry
``"labels": [names]`` instead of ``"label"``. Testing entries have no label (class index ``-1``).

Where a video is looked up, for ``file_type``:

* an explicit entry ``video_path`` is joined onto the ``video_path`` root (an absolute one wins);
  it is honoured for ``jpg`` and ``hdf5``, and for ``video`` when it names a file with a video
  suffix (the Something-Something JSONs name the *frame* folder, which a video reader skips);
* otherwise ``ROOT/<label>/<id>`` (``test`` for unlabelled entries), then the flat ``ROOT/<id>``;
  ``hdf5`` adds ``.hdf5``, ``video`` tries :data:`VIDEO_SUFFIXES`.

A video that cannot be found is an error naming the paths tried and counting the others; with
``skip_missing`` it is left out and listed in :attr:`RecordSet.skipped` (:meth:`summary`).
"""

from __future__ import annotations

import json
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from strg.data.settings import FILE_TYPES, VIDEO_FILE_TYPES
from strg.errors import StrgError
from strg.structures import SUBSETS

#: JSON subset names, and the short names the CLI uses for them.
SUBSET_ALIASES = {**SUBSETS, **{name: name for name in SUBSETS.values()}}
VIDEO_SUFFIXES = tuple(f".{suffix}" for suffix in VIDEO_FILE_TYPES)


class DataError(StrgError, ValueError):
    """Data cannot be read as asked; the message names the file or video."""


@dataclass(frozen=True)
class VideoRecord:
    """One video of the annotation: where it is and what it is.

    ``frame_indices`` are the 0-based frames of its segment; ``label`` is the class index (``-1``
    when unlabelled) and ``labels`` every class index of a multi-label entry.
    """

    video_id: str
    subset: str
    path: Path
    frame_indices: range
    label: int = -1
    labels: tuple[int, ...] = ()

    @property
    def n_frames(self) -> int:
        return len(self.frame_indices)


@dataclass
class RecordSet:
    """The records of one subset, the class names, and the videos left out (``skip_missing``)."""

    records: list[VideoRecord]
    class_names: list[str]
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (video id, reason)

    def __len__(self) -> int:
        return len(self.records)

    def summary(self) -> str:
        """One line per skipped video, after a count; empty when nothing was skipped."""
        if not self.skipped:
            return ""
        lines = [f"skipped {len(self.skipped)} video(s):"]
        lines += [f"  {video_id}: {reason}" for video_id, reason in self.skipped]
        return "\n".join(lines)


def load_annotation(annotation_path: Path) -> dict[str, Any]:
    """Read the annotation JSON; a missing or malformed file is an error naming it."""
    path = Path(annotation_path)
    try:
        annotation = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise DataError(f"annotation file {path} does not exist") from None
    except json.JSONDecodeError as error:
        raise DataError(f"{path} is not valid JSON: {error}") from error
    if not isinstance(annotation, dict) or not isinstance(annotation.get("database"), dict):
        raise DataError(f"{path}: expected an object with 'labels' and 'database'")
    if not isinstance(annotation.get("labels", []), list):
        raise DataError(f"{path}: 'labels' must be a list of class names")
    return annotation


def _candidates(
    root: Path, video_id: str, entry: dict[str, Any], label: str | None, file_type: str
) -> list[Path]:
    explicit = entry.get("video_path")
    if explicit:
        # An explicit path is read as the STRG fork writes it (as given, i.e. relative to the
        # working directory), then under --video_path, then as <video_path>/<id> for a frame
        # root that has moved since the JSON was written.
        paths = list(dict.fromkeys([Path(explicit), root / explicit, root / video_id]))
        if file_type != "video" or Path(explicit).suffix.lower() in VIDEO_SUFFIXES:
            return paths
    folders = [root / (label if label is not None else "test") / video_id, root / video_id]
    if file_type == "jpg":
        return folders
    if file_type == "hdf5":
        return [folder.with_name(f"{video_id}.hdf5") for folder in folders]
    return [
        folder.with_name(f"{video_id}{suffix}") for folder in folders for suffix in VIDEO_SUFFIXES
    ]


def _frame_range(segment: Any, file_type: str, where: str) -> range:
    if not (isinstance(segment, Sequence) and len(segment) == 2):
        raise DataError(f"{where}: 'segment' must be [start, end), got {segment!r}")
    start, end = int(segment[0]), int(segment[1])
    offset = 0 if file_type == "hdf5" else 1  # only hdf5 segments count frames from 0
    return range(max(start - offset, 0), max(end - offset, 0))


def build_records(
    annotation_path: Path,
    video_path: Path,
    subset: str,
    file_type: str = "jpg",
    skip_missing: bool = False,
    video_ids: Collection[str] | None = None,
) -> RecordSet:
    """The records of ``subset`` (``training``/``train``, ``validation``/``val``,
    ``testing``/``test``) in annotation order; only those of ``video_ids`` when it is given.

    A video whose file or folder does not exist, or whose segment is empty, is an error naming it
    (and counting the others), unless ``skip_missing`` is set. Video-file segments (``video``)
    follow the jpg convention, 1-based, so the JSON built from extracted frames serves both.
    """
    if file_type not in FILE_TYPES:
        raise DataError(f"unknown file_type {file_type!r}; valid: {', '.join(FILE_TYPES)}")
    try:
        wanted = SUBSET_ALIASES[subset]
    except KeyError:
        raise DataError(
            f"unknown subset {subset!r}; valid: {', '.join(sorted(SUBSET_ALIASES))}"
        ) from None
    annotation = load_annotation(annotation_path)
    class_names = [str(name) for name in annotation.get("labels", [])]
    class_index = {name: index for index, name in enumerate(class_names)}
    root = Path(video_path)
    records: list[VideoRecord] = []
    missing: list[tuple[str, str]] = []
    for video_id, entry in annotation["database"].items():
        if entry.get("subset") != wanted or (video_ids is not None and video_id not in video_ids):
            continue
        where = f"{annotation_path}: video {video_id}"
        annotations = entry.get("annotations") or {}
        # One class name, or a list of them (multi-label: charades_json writes "label": [...]).
        names = annotations.get("labels", annotations.get("label", []))
        if isinstance(names, str):
            names = [names]
        unknown = [name for name in names if name not in class_index]
        if unknown:
            raise DataError(f"{where} has label(s) {unknown} that are not in 'labels'")
        label_indices = tuple(class_index[name] for name in names)
        candidates = _candidates(root, str(video_id), entry, names[0] if names else None, file_type)
        found = next((path for path in candidates if path.exists()), None)
        if found is None:
            tried = ", ".join(str(path) for path in candidates[:4])
            missing.append((str(video_id), f"not found (tried {tried})"))
            continue
        if "segment" not in annotations:
            raise DataError(f"{where} has no 'segment' (its frame range)")
        frames = _frame_range(annotations["segment"], file_type, where)
        if len(frames) == 0:
            missing.append((str(video_id), f"empty segment {annotations['segment']} ({found})"))
            continue
        records.append(
            VideoRecord(
                video_id=str(video_id),
                subset=wanted,
                path=found,
                frame_indices=frames,
                label=label_indices[0] if label_indices else -1,
                labels=label_indices,
            )
        )
    if missing and not skip_missing:
        video_id, reason = missing[0]
        others = f" ({len(missing) - 1} other video(s) too)" if len(missing) > 1 else ""
        raise DataError(f"video {video_id}: {reason}{others}; pass skip_missing to leave them out")
    return RecordSet(records=records, class_names=class_names, skipped=missing)
