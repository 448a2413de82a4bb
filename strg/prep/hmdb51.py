"""HMDB-51: the ``<class>_test_split{k}.txt`` files into one annotation JSON per split.

Each line is ``"name.avi id"``: id 1 = training, 2 = validation (the official test set), 0 = not
used by the split (the official meaning, so those lines are not an omission). The class is the
file name minus its last two ``_`` parts, labels are sorted, the key is the video file name
without its extension, frames are looked up at ``VIDEO_PATH/<label>/<key>``. Split k is written to
``hmdb51_{k}.json`` (compat §3.2). Unlike the original, the key drops only the last extension, as
the frame extractor does, so a name with a dot still finds its frames.
"""

from __future__ import annotations

from pathlib import Path, PurePosixPath

from strg.prep.annotation import AnnotationError, BuildResult, DatabaseBuilder, read_text
from strg.prep.ucf101 import split_line

SPLITS = (1, 2, 3)
#: Split id -> subset; 0 means "not in this split".
SUBSETS = {1: "training", 2: "validation"}


def split_files(dataset_dir: Path, split: int) -> dict[str, Path]:
    """Class -> its ``<class>_test_split{split}.txt``."""
    if not dataset_dir.is_dir():
        raise AnnotationError(f"{dataset_dir} does not exist")
    suffix = f"_test_split{split}.txt"
    return {
        path.name[: -len(suffix)]: path
        for path in sorted(dataset_dir.glob(f"*{suffix}"))
        if not path.name.startswith(".")
    }


def build_annotations(
    dataset_dir: Path, video_path: Path, video_type: str = "jpg", skip_missing: bool = False
) -> dict[str, BuildResult]:
    """``{"hmdb51_1.json": result, ...}`` for each split that has files."""
    results = {}
    for split in SPLITS:
        files = split_files(dataset_dir, split)
        if not files:
            continue
        labels = sorted(files)
        builder = DatabaseBuilder(labels, video_type, skip_missing)
        for label, path in files.items():
            for line_number, line in enumerate(read_text(path).splitlines(), start=1):
                if not line.strip():
                    continue
                source = f"{path}:{line_number}"
                name, split_id = split_line(line.strip())
                if split_id not in (0, 1, 2):
                    raise AnnotationError(f"{source}: expected '<video>.avi <0|1|2>'")
                if split_id == 0:
                    continue
                video_id = PurePosixPath(name).stem
                builder.add(
                    source, video_id, SUBSETS[split_id], label, video_path / label / video_id
                )
        results[f"hmdb51_{split}.json"] = builder.result
    if not results:
        raise AnnotationError(f"no *_test_split1.txt files in {dataset_dir}")
    return results
