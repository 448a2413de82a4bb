"""Charades (157 classes, multi-label): the official CSVs into an annotation JSON.

Inputs: ``Charades_v1_classes.txt`` (``c000 Holding some clothes``; class id = the number),
``Charades_v1_train.csv`` (training) and ``Charades_v1_test.csv`` (the usual validation set), with
an ``actions`` column of ``;``-separated ``cXXX start end`` (seconds), possibly empty. Frames are
the official ``VIDEO_DIR/<id>/<id>-000001.jpg …``. Each entry::

    {"subset": "training" | "validation",
     "video_path": "VIDEO_DIR/<id>",
     "annotations": {"label": [class names of the video, in class-id order],
                     "class_indices": [their class ids, ascending],
                     "actions": [{"label": name, "class_index": i, "segment": [start, end]}],
                     "segment": [1, n + 1],
                     "fps": frames per second of the frames (24 for the official ones)}}

``label`` is the video's label set: the union of its action classes (empty for a video with no
action), as the official classification metric reads it. Action segments are in seconds, as in
the CSV, in CSV order.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

from strg.prep.annotation import AnnotationError, BuildResult, DatabaseBuilder, read_text

CLASSES = "Charades_v1_classes.txt"
FILES = {"Charades_v1_train.csv": "training", "Charades_v1_test.csv": "validation"}
OFFICIAL_FPS = 24.0


def read_classes(path: Path) -> list[str]:
    """Class names in id order; the codes must be c000, c001, … in order."""
    names = []
    for line_number, line in enumerate(read_text(path).splitlines(), start=1):
        if not line.strip():
            continue
        code, _, name = line.strip().partition(" ")
        if code != f"c{len(names):03d}" or not name.strip():
            raise AnnotationError(f"{path}:{line_number}: expected 'c{len(names):03d} <name>'")
        names.append(name.strip())
    return names


def parse_actions(text: str, labels: list[str], source: str) -> list[dict]:
    """``"c092 11.90 21.20;c147 0.00 12.60"`` -> action records (CSV order)."""
    actions = []
    for item in filter(None, (part.strip() for part in text.split(";"))):
        fields = item.split()
        try:
            code, start, end = fields
            index = int(code[1:]) if code.startswith("c") else -1
            segment = [float(start), float(end)]
        except ValueError:
            raise AnnotationError(f"{source}: action {item!r} is not 'cXXX start end'") from None
        if not 0 <= index < len(labels):
            raise AnnotationError(f"{source}: unknown class {code!r} in {item!r}")
        actions.append({"label": labels[index], "class_index": index, "segment": segment})
    return actions


def build_annotation(
    dataset_dir: Path,
    video_dir: Path,
    fps: float = OFFICIAL_FPS,
    skip_missing: bool = False,
    video_type: str = "jpg",
) -> BuildResult:
    """The Charades annotation JSON from the files in ``dataset_dir`` and the frames
    (``video_type`` of :mod:`strg.prep.annotation`: the videos ``VIDEO_DIR/<id>.mp4`` too)."""
    labels = read_classes(dataset_dir / CLASSES)
    builder = DatabaseBuilder(labels, video_type, skip_missing)
    for name, subset in FILES.items():
        path = dataset_dir / name
        reader = csv.DictReader(io.StringIO(read_text(path)))
        missing = [
            column for column in ("id", "actions") if column not in (reader.fieldnames or [])
        ]
        if missing:
            raise AnnotationError(f"{path} has no column {', '.join(missing)}")
        for line_number, row in enumerate(reader, start=2):
            source = f"{path}:{line_number}"
            video_id = (row["id"] or "").strip()
            if not video_id:
                raise AnnotationError(f"{source}: empty id")
            actions = parse_actions(row["actions"] or "", labels, source)
            indices = sorted({action["class_index"] for action in actions})
            extra = {
                "label": [labels[index] for index in indices],
                "class_indices": indices,
                "actions": actions,
                "fps": fps,
            }
            builder.add(
                source,
                video_id,
                subset,
                None,
                video_dir / video_id,
                explicit_path=True,
                extra=extra,
            )
    return builder.result
