"""Something-Something v2: its official files turned into the 3D-ResNets annotation JSON.

The official release has ``something-something-v2-labels.json`` (class name -> index as a string),
``something-something-v2-{train,validation,test}.json`` (lists of ``{id, label, template,
placeholders}``; test has ids only) and the videos ``<id>.webm``. The class of an entry is its
template with the brackets removed. Output: ``{"labels": [...], "database": {id: {"subset": ...,
"annotations": {"label": ..., "segment": [1, n + 1]}, "video_path": VIDEO_DIR/id}}}``
(3d-resnets-compat §3.1 and §6), n being the number of frames extracted for the video.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from strg.prep.annotation import (
    AnnotationError,
    MissingVideo,
    count_or_reason,
    media_path,
)
from strg.prep.extract import ExtractionJob

PREFIX = "something-something-v2"
LABELS_JSON = f"{PREFIX}-labels.json"
CATEGORY_TXT = "category.txt"
#: Official list file -> subset name of the annotation JSON.
SUBSETS = {"train": "training", "validation": "validation", "test": "testing"}


__all__ = ["AnnotationError", "BuildResult", "build_annotation", "read_class_names", "video_jobs"]


def video_jobs(video_dir: Path, frame_dir: Path, extension: str = ".webm") -> list[ExtractionJob]:
    """One extraction job per ``VIDEO_DIR/<id>.webm``, into ``FRAME_DIR/<id>``, sorted by id."""
    if not video_dir.is_dir():
        raise FileNotFoundError(f"video directory {video_dir} does not exist")
    videos = sorted(
        path
        for path in video_dir.iterdir()
        if path.name.endswith(extension) and not path.name.startswith(".")
    )
    if not videos:
        raise FileNotFoundError(f"no *{extension} videos in {video_dir}")
    return [ExtractionJob(video, frame_dir / video.name[: -len(extension)]) for video in videos]


def _load_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as error:
        raise AnnotationError(f"{path} is not valid JSON: {error}") from error


def read_class_names(dataset_dir: Path) -> list[str]:
    """Class names in index order, from the labels JSON or, failing that, ``category.txt``."""
    labels_path = dataset_dir / LABELS_JSON
    if labels_path.is_file():
        mapping = _load_json(labels_path)
        if not isinstance(mapping, dict):
            raise AnnotationError(f"{labels_path} must map class names to indices")
        try:
            by_index = {int(index): name for name, index in mapping.items()}
        except (TypeError, ValueError) as error:
            raise AnnotationError(
                f"{labels_path}: every index must be an integer string"
            ) from error
        if sorted(by_index) != list(range(len(mapping))):
            raise AnnotationError(
                f"{labels_path}: indices must be 0..{len(mapping) - 1}, each once"
            )
        return [by_index[index] for index in range(len(mapping))]
    category_path = dataset_dir / CATEGORY_TXT
    if category_path.is_file():
        names = [line.strip() for line in category_path.read_text(encoding="utf-8").splitlines()]
        return [name for name in names if name]
    raise AnnotationError(f"neither {labels_path} nor {category_path} exists")


def class_of(entry: dict[str, Any]) -> str:
    """The class name of an official entry: its template without brackets."""
    return entry["template"].replace("[", "").replace("]", "")


@dataclass
class BuildResult:
    """The annotation JSON and the videos whose frames were not found."""

    annotation: dict[str, Any]
    missing: list[MissingVideo] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)  # subset -> videos written


def build_annotation(
    dataset_dir: Path, frame_dir: Path, skip_missing: bool = False, video_type: str = "jpg"
) -> BuildResult:
    """Build the annotation JSON from the official files in ``dataset_dir``.

    Frame counts come from ``frame_dir/<id>`` (or the videos ``frame_dir/<id>.webm`` … with
    ``video_type`` ``webm`` …, see :mod:`strg.prep.annotation`). A video without frames is listed in
    ``result.missing``; it is left out of the JSON only when ``skip_missing`` is set (the caller
    decides whether missing videos are an error).
    """
    class_names = read_class_names(dataset_dir)
    known = set(class_names)
    result = BuildResult(annotation={"labels": class_names, "database": {}})
    database = result.annotation["database"]
    for official, subset in SUBSETS.items():
        list_path = dataset_dir / f"{PREFIX}-{official}.json"
        if not list_path.is_file():
            if official == "test":
                continue  # the test list is optional
            raise AnnotationError(f"{list_path} does not exist")
        entries = _load_json(list_path)
        if not isinstance(entries, list):
            raise AnnotationError(f"{list_path} must hold a list of videos")
        result.counts[subset] = 0
        for position, entry in enumerate(entries):
            if not isinstance(entry, dict) or "id" not in entry:
                raise AnnotationError(f"{list_path}: entry {position} has no 'id'")
            video_id = str(entry["id"])
            annotations: dict[str, Any] = {}
            if subset != "testing":
                if "template" not in entry:
                    raise AnnotationError(f"{list_path}: video {video_id} has no 'template'")
                label = class_of(entry)
                if label not in known:
                    raise AnnotationError(
                        f"{list_path}: video {video_id} has class {label!r}, "
                        "which is not in the labels"
                    )
                annotations["label"] = label
            n_frames, reason = count_or_reason(frame_dir / video_id, video_type)
            media = media_path(frame_dir / video_id, video_type)
            if n_frames == 0:
                result.missing.append(MissingVideo(video_id, subset, media, reason))
                if skip_missing:
                    continue
            annotations["segment"] = [1, n_frames + 1]
            database[video_id] = {
                "subset": subset,
                "annotations": annotations,
                "video_path": str(media),
            }
            result.counts[subset] += 1
    return result
