"""Something-Something v1: the official CSVs and the released frames into the annotation JSON.

v1 ships as frames ``VIDEO_DIR/<id>/00001.jpg …``. Labels come from
``something-something-v1-labels.csv`` (one class per line, line index = class id) or, failing
that, ``category.txt`` (the STRG fork's input); ``something-something-v1-{train,validation}.csv``
hold ``<id>;<label>`` lines, the optional ``-test.csv`` ids only. Every entry gets the explicit
``video_path`` ``VIDEO_DIR/<id>`` and ``segment [1, n + 1]`` (compat §6).
"""

from __future__ import annotations

from pathlib import Path

from strg.prep.annotation import AnnotationError, BuildResult, DatabaseBuilder, read_text

PREFIX = "something-something-v1"
LABELS_CSV = f"{PREFIX}-labels.csv"
CATEGORY_TXT = "category.txt"
SUBSETS = {"train": "training", "validation": "validation", "test": "testing"}


def read_class_names(dataset_dir: Path) -> list[str]:
    """Class names in id order from the labels CSV, or ``category.txt`` when it is absent."""
    path = dataset_dir / LABELS_CSV
    if not path.is_file() and (dataset_dir / CATEGORY_TXT).is_file():
        path = dataset_dir / CATEGORY_TXT
    names = [line.strip() for line in read_text(path).splitlines()]
    return [name for name in names if name]


def build_annotation(
    dataset_dir: Path, video_dir: Path, skip_missing: bool = False, video_type: str = "jpg"
) -> BuildResult:
    """The v1 annotation JSON from the CSVs in ``dataset_dir`` and the frames in ``video_dir``
    (``video_type`` of :mod:`strg.prep.annotation`: videos ``VIDEO_DIR/<id>.mp4`` … too)."""
    builder = DatabaseBuilder(read_class_names(dataset_dir), video_type, skip_missing)
    for official, subset in SUBSETS.items():
        path = dataset_dir / f"{PREFIX}-{official}.csv"
        if subset == "testing" and not path.is_file():
            continue
        for line_number, line in enumerate(read_text(path).splitlines(), start=1):
            if not line.strip():
                continue
            source = f"{path}:{line_number}"
            video_id, separator, label = line.strip().partition(";")
            if subset != "testing" and not (separator and label):
                raise AnnotationError(f"{source}: expected '<id>;<label>'")
            builder.add(
                source,
                video_id,
                subset,
                label if subset != "testing" else None,
                video_dir / video_id,
                explicit_path=True,
            )
    return builder.result
