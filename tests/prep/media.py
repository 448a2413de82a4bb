"""Small inputs in the official layouts, made from the embedded data set's videos and frames."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import av

#: A name no shell, option parser or ASCII-only code may touch: spaces, quotes, $(...), a
#: leading dash, backquotes, non-ASCII letters.
ODD_NAME = '-it\'s a "$(touch PWNED)" `touch PWNED2` ;Ünïcødé 動画'


def synth_videos(synth_dir: Path) -> list[Path]:
    return sorted((synth_dir / "videos").glob("*.webm"))


def convert(source: Path, destination: Path, max_frames: int = 10) -> Path:
    """Re-encode the first ``max_frames`` frames of ``source`` as MPEG-4 in ``destination``'s
    container (.mp4 or .avi)."""
    destination.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [
            "ffmpeg", "-nostdin", "-loglevel", "error", "-y", "-i", str(source.resolve()),
            "-frames:v", str(max_frames), "-c:v", "mpeg4", "-q:v", "5", "-an",
            str(destination.resolve()),
        ],
        check=True,
    )  # fmt: skip
    return destination


def decoded_frames(video: Path) -> int:
    with av.open(str(video)) as container:
        return sum(1 for _ in container.decode(video=0))


def copy_frames(source_dir: Path, destination: Path, count: int, name: str = "image_{:05d}.jpg"):
    """``count`` real frames of an extracted folder, renamed ``name.format(1..count)``."""
    frames = sorted(source_dir.glob("*.jpg"))[:count]
    assert len(frames) == count
    destination.mkdir(parents=True, exist_ok=True)
    for number, frame in enumerate(frames, start=1):
        shutil.copy(frame, destination / name.format(number))
    return destination
