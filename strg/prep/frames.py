"""Frame folders on disk: counting frames and telling complete folders from partial ones."""

from __future__ import annotations

import os
from pathlib import Path

PARTIAL_SUFFIX = ".partial"


def count_frames(directory: Path) -> int:
    """Number of JPEG frames in ``directory`` (visible ``*.jpg`` files); 0 when it is missing."""
    try:
        with os.scandir(directory) as entries:
            return sum(
                1
                for entry in entries
                if entry.name.endswith(".jpg")
                and not entry.name.startswith(".")
                and entry.is_file()
            )
    except (FileNotFoundError, NotADirectoryError):
        return 0


def partial_dir(output_dir: Path) -> Path:
    """Where frames of ``output_dir`` are written before the folder is complete.

    Extraction writes into this hidden sibling and renames it to ``output_dir`` when ffmpeg has
    succeeded, so a folder under its final name is always complete and an interrupted run leaves
    only a partial folder, which the next run deletes and redoes.
    """
    return output_dir.with_name(f".{output_dir.name}{PARTIAL_SUFFIX}")


def is_complete(output_dir: Path) -> bool:
    """Whether ``output_dir`` holds a finished extraction (a non-empty frame folder)."""
    return count_frames(output_dir) > 0


def frame_pattern_of(directory: Path) -> str:
    """The frame-name layout (a key of ``FRAME_NAME_PATTERNS``) of the frames in ``directory``:
    the one whose first frame exists. A FileNotFoundError naming the folder otherwise."""
    from strg.structures import FRAME_NAME_PATTERNS, frame_file_name

    for pattern in FRAME_NAME_PATTERNS:
        if (directory / frame_file_name(0, pattern, video_id=directory.name)).is_file():
            return pattern
    names = ", ".join(
        frame_file_name(0, pattern, video_id=directory.name) for pattern in FRAME_NAME_PATTERNS
    )
    raise FileNotFoundError(f"no first frame in {directory} (looked for {names})")
