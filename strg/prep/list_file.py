"""Any data set from plain lists: one video per line, ``path label [label …]``.

This is MMAction2's custom-data-set format: ``path`` is a frame folder or a video file
(``.mp4``, ``.webm``, ``.avi``, ``.mkv``), relative to ROOT (an absolute one wins); the labels
are class indices (``0 …``) or class names; a path containing spaces is written in double quotes.
Lines of a test list may have no label. Several labels on one line need ``multi_label``.

Classes: the lines of a class-names file (line index = class id) when one is given; otherwise
``"0" … "K-1"`` for integer labels, or the sorted names of the training list. The video id is
the path without its video suffix; every entry gets an explicit ``video_path`` and a 1-based
``segment`` (frames counted in the folder, or decoded from the file). A frame folder must hold
its first and last frames under ``frame_pattern`` (:func:`strg.structures.frame_file_name`):
the same names ``main.py --frame_pattern`` reads.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass
from pathlib import Path

from strg.prep.annotation import (
    VIDEO_FILE_TYPES,
    AnnotationError,
    BuildResult,
    DatabaseBuilder,
    MissingVideo,
    read_text,
)
from strg.prep.frames import count_frames


@dataclass(frozen=True)
class ListLine:
    """One line of a list: where it is (file:line), the video's path as written, its labels."""

    source: str
    path: str
    labels: tuple[str, ...]


def read_list(path: Path, subset: str) -> list[ListLine]:
    """The lines of a list file; training and validation lines must carry a label."""
    lines = []
    for number, text in enumerate(read_text(path).splitlines(), start=1):
        if not text.strip() or text.lstrip().startswith("#"):
            continue
        source = f"{path}:{number}"
        try:
            words = shlex.split(text)
        except ValueError as error:
            raise AnnotationError(f"{source}: {error}") from None
        if len(words) < 2 and subset != "testing":
            raise AnnotationError(f"{source}: expected 'path label [label ...]', got {text!r}")
        lines.append(ListLine(source, words[0], tuple(words[1:])))
    return lines


def _is_integer(text: str) -> bool:
    return text.isdigit()


def class_names_of(
    lists: dict[str, list[ListLine]], class_names: list[str] | None
) -> tuple[list[str], dict[str, str]]:
    """The class names and the map from a label as written to its class name."""
    written = {label for lines in lists.values() for line in lines for label in line.labels}
    if written and all(_is_integer(label) for label in written):
        count = max(int(label) for label in written) + 1
        names = class_names or [str(index) for index in range(count)]
        if count > len(names):
            raise AnnotationError(f"label {count - 1} is listed; there are {len(names)} classes")
        return names, {label: names[int(label)] for label in written}
    if class_names is None:
        train = lists.get("training", [])
        class_names = sorted({label for line in train for label in line.labels})
    return class_names, {label: label for label in written}


def _frame_problem(folder: Path, n_frames: int, frame_pattern: str) -> str:
    """Why ``folder``'s frames do not read under ``frame_pattern`` ("" when they do)."""
    from strg.structures import frame_file_name

    for index in (0, n_frames - 1):
        name = frame_file_name(index, frame_pattern, video_id=folder.name)
        if not (folder / name).is_file():
            return (
                f"{folder} holds {n_frames} .jpg files but no {name} (frame {index + 1}): "
                "name the layout with --frame_pattern"
            )
    return ""


def build_annotation(
    lists: dict[str, Path],
    root: Path,
    class_names: list[str] | None = None,
    multi_label: bool = False,
    frame_pattern: str = "image",
    skip_missing: bool = False,
) -> BuildResult:
    """The annotation JSON of the list files ``lists`` (subset → path: ``training``,
    ``validation``, ``testing``) whose videos lie under ``root``."""
    from strg.structures import frame_name_template

    try:
        frame_name_template(frame_pattern)
    except ValueError as error:
        raise AnnotationError(str(error)) from None
    read = {subset: read_list(path, subset) for subset, path in lists.items()}
    names, to_name = class_names_of(read, class_names)
    builder = DatabaseBuilder(names, "jpg", skip_missing)
    for subset, lines in read.items():
        for line in lines:
            if len(line.labels) > 1 and not multi_label:
                raise AnnotationError(
                    f"{line.source}: {len(line.labels)} labels on one line need --multi_label"
                )
            unknown = [label for label in line.labels if to_name[label] not in names]
            if unknown:
                raise AnnotationError(f"{line.source}: class {unknown[0]!r} is not in the classes")
            labels = [to_name[label] for label in line.labels]
            written = Path(line.path)
            suffix = written.suffix.lower().lstrip(".")
            video_type = suffix if suffix in VIDEO_FILE_TYPES else "jpg"
            folder = root / (written.with_suffix("") if video_type != "jpg" else written)
            video_id = (written.with_suffix("") if video_type != "jpg" else written).as_posix()
            extra = {"label": labels} if multi_label and labels else None
            label = labels[0] if labels and not multi_label else None
            if video_type == "jpg":
                n_frames = count_frames(folder)
                problem = n_frames and _frame_problem(folder, n_frames, frame_pattern)
                if problem:
                    builder.result.missing.append(MissingVideo(video_id, subset, folder, problem))
                    if skip_missing:
                        continue
            builder.add(
                line.source,
                video_id,
                subset,
                label,
                folder,
                explicit_path=True,
                extra=extra,
                video_type=video_type,
            )
    return builder.result
