"""Frame folders on disk: counting frames and telling complete folders from partial ones."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

PARTIAL_SUFFIX = ".partial"
#: Hidden file in a finished frame folder recording how it was extracted (its settings).
SETTINGS_FILE = ".strg_extraction.json"


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


def write_settings(directory: Path, settings: dict[str, Any]) -> None:
    """Record in ``directory`` the settings its frames were extracted with."""
    (directory / SETTINGS_FILE).write_text(json.dumps(settings, sort_keys=True), encoding="utf-8")


def read_settings(directory: Path) -> dict[str, Any] | None:
    """The settings recorded by :func:`write_settings`; None for a folder without them (made
    by an older version or by hand) or with an unreadable record."""
    try:
        settings = json.loads((directory / SETTINGS_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return settings if isinstance(settings, dict) else None


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
