"""UCF-101: ``classInd.txt`` and the three train/test lists into one annotation JSON per split.

``classInd.txt`` lines ``"1 ApplyEyeMakeup"`` (labels in index order), ``trainlist0{k}.txt`` lines
``"Class/v_Class_g08_c01.avi 1"`` (training), ``testlist0{k}.txt`` lines
``"Class/v_Class_g01_c01.avi"`` (validation). The key is the file name without its extension, the
label its folder; frames are looked up at ``VIDEO_PATH/<label>/<key>``. Split k is written to
``ucf101_0{k}.json`` (compat §3.2).
"""

from __future__ import annotations

from pathlib import Path, PurePosixPath

from strg.prep.annotation import AnnotationError, BuildResult, DatabaseBuilder, read_text

SPLITS = (1, 2, 3)


def split_line(line: str) -> tuple[str, int | None]:
    """``"Class/name.avi 1"`` -> ("Class/name.avi", 1); ``"Class/name.avi"`` -> (..., None).

    Names may contain spaces: only a last word made of digits is read as the index.
    """
    name, _, tail = line.rpartition(" ")
    if name and tail.isdigit():
        return name.strip(), int(tail)
    return line, None


def read_class_index(path: Path) -> list[str]:
    """Class names in index order from ``classInd.txt`` (indices 1..K, each once)."""
    by_index: dict[int, str] = {}
    for line_number, line in enumerate(read_text(path).splitlines(), start=1):
        if not line.strip():
            continue
        index_text, _, name = line.strip().partition(" ")
        if not index_text.isdigit() or not name.strip():
            raise AnnotationError(f"{path}:{line_number}: expected '<index> <class>'")
        by_index[int(index_text)] = name.strip()
    if sorted(by_index) != list(range(1, len(by_index) + 1)):
        raise AnnotationError(f"{path}: indices must be 1..{len(by_index)}, each once")
    return [by_index[index] for index in range(1, len(by_index) + 1)]


def read_split(path: Path, labels: list[str], subset: str) -> list[tuple[str, str, str, str]]:
    """``(source, video_id, subset, label)`` for each line of a train or test list."""
    rows = []
    for line_number, line in enumerate(read_text(path).splitlines(), start=1):
        if not line.strip():
            continue
        source = f"{path}:{line_number}"
        name, index = split_line(line.strip())
        parts = PurePosixPath(name)
        if len(parts.parts) != 2:
            raise AnnotationError(f"{source}: expected 'Class/video.avi', got {name!r}")
        label, video_id = parts.parts[0], parts.stem
        if index is not None and not (1 <= index <= len(labels) and labels[index - 1] == label):
            raise AnnotationError(
                f"{source}: class index {index} does not match the folder {label!r}"
            )
        rows.append((source, video_id, subset, label))
    return rows


def build_annotations(
    dataset_dir: Path, video_path: Path, video_type: str = "jpg", skip_missing: bool = False
) -> dict[str, BuildResult]:
    """``{"ucf101_01.json": result, ...}`` for each split whose train list exists."""
    labels = read_class_index(dataset_dir / "classInd.txt")
    results = {}
    for split in SPLITS:
        train_path = dataset_dir / f"trainlist0{split}.txt"
        if not train_path.is_file():
            continue
        builder = DatabaseBuilder(labels, video_type, skip_missing)
        rows = read_split(train_path, labels, "training") + read_split(
            dataset_dir / f"testlist0{split}.txt", labels, "validation"
        )
        for source, video_id, subset, label in rows:
            builder.add(source, video_id, subset, label, video_path / label / video_id)
        results[f"ucf101_0{split}.json"] = builder.result
    if not results:
        raise AnnotationError(f"no split list found: {dataset_dir / 'trainlist01.txt'} is missing")
    return results
