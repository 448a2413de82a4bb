"""Helpers of the bad-input tests of main.py: a video whose frames cannot be read, the one error
line a refused run must print."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from tests.engine.conftest import tiny_run


def main_args(frames_dir: Path, annotation: Path, result: Path, *extra: str) -> list[str]:
    """:func:`tiny_run`'s options, for an in-process ``strg.cli.main.main`` call."""
    return tiny_run(frames_dir, annotation, result, *extra)[1:]


def the_error_line(stderr: str) -> str:
    """The one ``error:`` line of a refused run (progress bars aside), with no traceback."""
    assert "Traceback" not in stderr, stderr[-3000:]
    lines = [line for line in stderr.replace("\r", "\n").splitlines() if "error:" in line]
    assert len(lines) == 1, stderr[-3000:]
    return lines[0]


def with_unreadable_video(annotation: Path, out: Path, subset: str) -> tuple[Path, str, Path]:
    """A copy of ``annotation`` whose first video of ``subset`` points to a copy of its frames,
    every one emptied; returns the new annotation, the video id and its frame folder."""
    data = json.loads(annotation.read_text())
    video_id, entry = next((k, v) for k, v in data["database"].items() if v["subset"] == subset)
    broken = out / "broken" / video_id
    shutil.copytree(entry["video_path"], broken)
    for frame in broken.iterdir():
        frame.write_bytes(b"")
    entry["video_path"] = str(broken)
    path = out / "broken.json"
    path.write_text(json.dumps(data))
    return path, video_id, broken
