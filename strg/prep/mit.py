"""Moments in Time: the release's headerless CSVs into the annotation JSON.

``moments_categories.txt`` (``label,index``; labels in file order), ``trainingSet.csv`` and
``validationSet.csv`` (rows ``class/file.mp4,class,...``), optionally ``testingSet.csv`` (rows
``file.mp4``). The key is the file stem, the label the second column; frames are looked up at
``VIDEO_PATH/<label>/<key>``, test videos at ``VIDEO_PATH/test/<key>`` (with an explicit
``video_path``, as for Kinetics) (compat §3.2).
"""

from __future__ import annotations

import csv
import io
from pathlib import Path, PurePosixPath

from strg.prep.annotation import AnnotationError, BuildResult, DatabaseBuilder, read_text

CATEGORIES = "moments_categories.txt"
#: File -> subset; the test file is optional.
FILES = {
    "trainingSet.csv": "training",
    "validationSet.csv": "validation",
    "testingSet.csv": "testing",
}


def _rows(path: Path) -> list[tuple[int, list[str]]]:
    reader = csv.reader(io.StringIO(read_text(path)))
    return [(number, row) for number, row in enumerate(reader, start=1) if row and row[0].strip()]


def build_annotation(
    dataset_dir: Path, video_path: Path, video_type: str = "jpg", skip_missing: bool = False
) -> BuildResult:
    """The Moments in Time annotation JSON from the files in ``dataset_dir`` and the frames."""
    labels = [row[0] for _, row in _rows(dataset_dir / CATEGORIES)]
    builder = DatabaseBuilder(labels, video_type, skip_missing)
    for name, subset in FILES.items():
        path = dataset_dir / name
        if subset == "testing" and not path.is_file():
            continue
        for line_number, row in _rows(path):
            source = f"{path}:{line_number}"
            video_id = PurePosixPath(row[0]).stem
            if subset == "testing":
                label = None
            elif len(row) < 2 or not row[1]:
                raise AnnotationError(f"{source}: expected 'class/file.mp4,class,...'")
            else:
                label = row[1]
            folder = video_path / (label if label is not None else "test") / video_id
            builder.add(source, video_id, subset, label, folder, explicit_path=label is None)
    return builder.result
