"""Kinetics (400/600/700): the ActivityNet crawler's CSVs into the annotation JSON.

CSVs ``DIR/kinetics-{N}_{train,val,test}.csv`` or the older ``DIR/kinetics_{train,val,test}.csv``
(the test file is optional), columns ``label,youtube_id,time_start,time_end,split`` (test has no
``label``). As in the original: the key is ``{youtube_id}_{time_start:06d}_{time_end:06d}``,
``labels`` are the train CSV's classes **in order of first appearance**, frames are looked up at
``VIDEO_PATH/<label>/<key>``, test videos at ``VIDEO_PATH/test/<key>``. Test entries also get an
explicit ``video_path`` (the original's loader cannot find them without one, compat §3.1).
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

from strg.prep.annotation import AnnotationError, BuildResult, DatabaseBuilder, read_text

#: CSV split name -> subset of the annotation JSON.
SUBSETS = {"train": "training", "val": "validation", "test": "testing"}
REQUIRED_COLUMNS = ("youtube_id", "time_start", "time_end")


def csv_path(dataset_dir: Path, n_classes: int, split: str) -> Path:
    """``kinetics-{N}_{split}.csv`` when it exists, else the older ``kinetics_{split}.csv``."""
    current = dataset_dir / f"kinetics-{n_classes}_{split}.csv"
    older = dataset_dir / f"kinetics_{split}.csv"
    if current.is_file() or not older.is_file():
        return current
    return older


def read_rows(path: Path, with_label: bool) -> list[tuple[str, str, str | None]]:
    """``(source, video_id, label)`` for each row of a Kinetics CSV."""
    reader = csv.DictReader(io.StringIO(read_text(path)))
    required = (*REQUIRED_COLUMNS, "label") if with_label else REQUIRED_COLUMNS
    missing = [name for name in required if name not in (reader.fieldnames or [])]
    if missing:
        raise AnnotationError(f"{path} has no column {', '.join(missing)}")
    rows = []
    for line_number, row in enumerate(reader, start=2):
        source = f"{path}:{line_number}"
        try:
            start, end = (int(float(row[name])) for name in ("time_start", "time_end"))
        except (TypeError, ValueError):
            raise AnnotationError(f"{source}: time_start/time_end must be numbers") from None
        video_id = f"{row['youtube_id']}_{start:06d}_{end:06d}"
        label = row["label"] if with_label else None
        if with_label and not label:
            raise AnnotationError(f"{source}: empty label")
        rows.append((source, video_id, label))
    return rows


def build_annotation(
    dataset_dir: Path,
    n_classes: int,
    video_path: Path,
    video_type: str = "jpg",
    skip_missing: bool = False,
) -> BuildResult:
    """The Kinetics annotation JSON from the CSVs in ``dataset_dir`` and the frames."""
    rows = {}
    for split, subset in SUBSETS.items():
        path = csv_path(dataset_dir, n_classes, split)
        if not path.is_file():
            if split == "test":
                continue
            raise AnnotationError(
                f"{path} does not exist (nor {dataset_dir / f'kinetics_{split}.csv'})"
            )
        rows[subset] = read_rows(path, with_label=subset != "testing")
    labels = list(dict.fromkeys(label for _, _, label in rows["training"]))
    builder = DatabaseBuilder(labels, video_type, skip_missing)
    if len(labels) != n_classes:
        # A partial download or a subset (Mini-Kinetics) under the official names: the CSVs are
        # read whatever they hold, as the original does; the JSON has the classes found.
        builder.result.warnings.append(
            f"{csv_path(dataset_dir, n_classes, 'train')} has {len(labels)} classes, not the "
            f"{n_classes} of N_CLASSES; the annotation lists the {len(labels)} found (train with "
            f"--n_classes {len(labels)})"
        )
    for subset, subset_rows in rows.items():
        for source, video_id, label in subset_rows:
            folder = video_path / (label if label is not None else "test") / video_id
            builder.add(source, video_id, subset, label, folder, explicit_path=label is None)
    return builder.result
