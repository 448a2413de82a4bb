"""What every annotation builder shares: the JSON being built, frame counts, missing videos.

The output is the 3D-ResNets annotation JSON (3d-resnets-compat §3.1)::

    {"labels": [class names; list index = class id],
     "database": {video_id: {"subset": "training" | "validation" | "testing",
                             "annotations": {"label": name (absent for testing),
                                             "segment": [1, n + 1] (jpg) or [0, n] (hdf5)},
                             "video_path": explicit folder (optional)}}}

n is the number of frames of the video: the ``*.jpg`` files of its folder, the length of the
``video`` dataset of its ``.hdf5`` file, or, for the video files themselves (``mp4``, ``webm``,
``avi``, ``mkv``: ``<folder path>.<type>``), the frames their decoder delivers
(:func:`strg.data.video_probe.probe_video`, the count ``--file_type video`` reads and ffmpeg
extracts). Video-file segments are 1-based like jpg ones, and an explicit ``video_path`` names
the file. A video without frames (or whose file cannot be decoded) is recorded in
:attr:`BuildResult.missing` and left out of the JSON only when ``skip_missing`` is set: the
caller decides whether that is an error. A video listed twice is an error naming the file.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from strg.data.settings import VIDEO_FILE_TYPES
from strg.errors import StrgError
from strg.prep.frames import count_frames

VIDEO_TYPES = ("jpg", "hdf5", *VIDEO_FILE_TYPES)


class AnnotationError(StrgError, ValueError):
    """An official annotation file is missing or malformed (the message names it)."""


@dataclass(frozen=True)
class MissingVideo:
    """A video of the lists whose frames were not found at ``path``."""

    video_id: str
    subset: str
    path: Path
    reason: str = ""  # why its file gave no frames (empty: not found)


def media_path(path: Path, video_type: str = "jpg") -> Path:
    """Where the frames of the video at ``path`` (its frame-folder path) are for
    ``video_type``: the folder itself for jpg, ``path.hdf5`` or the video file ``path.mp4`` …"""
    if video_type == "jpg":
        return path
    if video_type not in VIDEO_TYPES:
        raise ValueError(f"unknown video type {video_type!r}; valid: {', '.join(VIDEO_TYPES)}")
    return path.with_name(f"{path.name}.{video_type}")


def frame_count(path: Path, video_type: str = "jpg") -> int:
    """Frames of the video at ``path`` (its folder; ``path.hdf5`` for hdf5; ``path.mp4`` … for
    video files, counted by decoding); 0 if absent. An undecodable video file raises
    :class:`~strg.data.video_probe.VideoFileError` naming it."""
    media = media_path(path, video_type)
    if video_type == "jpg":
        return count_frames(media)
    if video_type == "hdf5":
        from strg.prep.hdf5 import hdf5_length

        return hdf5_length(media)
    if not media.exists():
        return 0
    from strg.data.video_probe import probe_video  # imports PyAV and torch: only when needed

    return probe_video(media).n_frames


def segment_of(n_frames: int, video_type: str = "jpg") -> list[int]:
    """The ``segment`` of a video with ``n_frames`` frames: 0-based for hdf5, else 1-based."""
    return [0, n_frames] if video_type == "hdf5" else [1, n_frames + 1]


def count_or_reason(path: Path, video_type: str) -> tuple[int, str]:
    """:func:`frame_count`, and why a video file gave none ("" when it did or is absent)."""
    from strg.errors import StrgError

    try:
        return frame_count(path, video_type), ""
    except StrgError as error:  # a video file that does not decode: listed, not fatal
        return 0, str(error)


def read_text(path: Path) -> str:
    """The UTF-8 text of an official file; an AnnotationError naming it when it is missing."""
    try:
        return path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise AnnotationError(f"{path} does not exist") from None
    except UnicodeDecodeError as error:
        raise AnnotationError(f"{path} is not UTF-8 text: {error}") from None


@dataclass
class BuildResult:
    """The annotation JSON being built, the videos without frames, and videos per subset."""

    annotation: dict[str, Any]
    missing: list[MissingVideo] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def labels(self) -> list[str]:
        return self.annotation["labels"]

    @property
    def database(self) -> dict[str, Any]:
        return self.annotation["database"]


class DatabaseBuilder:
    """Adds videos to a :class:`BuildResult`, counting frames and checking labels."""

    def __init__(
        self, labels: list[str], video_type: str = "jpg", skip_missing: bool = False
    ) -> None:
        if video_type not in VIDEO_TYPES:
            raise ValueError(f"unknown video type {video_type!r}; valid: {', '.join(VIDEO_TYPES)}")
        if len(set(labels)) != len(labels):
            duplicates = sorted({name for name in labels if labels.count(name) > 1})
            raise AnnotationError(f"class names listed twice: {duplicates}")
        self.result = BuildResult(annotation={"labels": list(labels), "database": {}})
        self.known = set(labels)
        self.video_type = video_type
        self.skip_missing = skip_missing
        self._sources: dict[str, str] = {}

    def add(
        self,
        source: str,
        video_id: str,
        subset: str,
        label: str | None,
        path: Path,
        explicit_path: bool = False,
        extra: dict[str, Any] | None = None,
        video_type: str | None = None,
    ) -> None:
        """Add ``video_id`` read from ``source`` (a file and line, for errors) with its frames at
        ``path``; ``explicit_path`` writes ``video_path``; ``extra`` goes into ``annotations``;
        ``video_type`` overrides the builder's for this video (lists mixing folders and files)."""
        video_type = video_type or self.video_type
        if video_id in self._sources:
            raise AnnotationError(
                f"{source}: video {video_id!r} is already listed at {self._sources[video_id]}"
            )
        self._sources[video_id] = source
        if label is not None and label not in self.known:
            raise AnnotationError(
                f"{source}: video {video_id!r} has class {label!r}, which is not in the labels"
            )
        self.result.counts.setdefault(subset, 0)
        n_frames, reason = count_or_reason(path, video_type)
        media = media_path(path, video_type)
        if n_frames == 0:
            self.result.missing.append(MissingVideo(video_id, subset, media, reason))
            if self.skip_missing:
                return
        annotations: dict[str, Any] = {} if label is None else {"label": label}
        annotations.update(extra or {})
        annotations["segment"] = segment_of(n_frames, video_type)
        entry: dict[str, Any] = {"subset": subset, "annotations": annotations}
        if explicit_path:
            entry["video_path"] = str(media if video_type in VIDEO_FILE_TYPES else path)
        self.result.database[video_id] = entry
        self.result.counts[subset] += 1
