"""Calling ffmpeg: always with an argument list, never through a shell.

File names may contain spaces, quotes, ``$(...)`` or a leading ``-``; paths are passed absolute so
that ffmpeg never reads them as options or protocols, and ``%`` in an output directory is escaped
because the image muxer reads it as a pattern.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from strg.errors import StrgError


class MissingToolError(StrgError, RuntimeError):
    """A required executable is not on PATH."""


def require_executable(name: str) -> str:
    """Full path of executable ``name``, or :class:`MissingToolError` saying how to install it."""
    found = shutil.which(name)
    if found is None:
        raise MissingToolError(
            f"{name} not found on PATH; install FFmpeg (Debian/Ubuntu: apt-get install ffmpeg)"
        )
    return found


def image_pattern(directory: Path, name_pattern: str) -> str:
    """The output argument for frames ``directory/name_pattern`` (e.g. ``%06d.jpg``)."""
    return str(directory.resolve()).replace("%", "%%") + "/" + name_pattern


def short_side_filter(size: int) -> str:
    """A scale filter that makes the shorter side ``size`` pixels and keeps the aspect ratio."""
    return f"scale=w='if(gt(iw,ih),-1,{size})':h='if(gt(iw,ih),{size},-1)'"


def extract_frames_command(
    video: Path,
    output_dir: Path,
    name_pattern: str,
    short_side: int,
    jpeg_quality: int = 2,
    fps: float | None = None,
) -> list[str]:
    """The ffmpeg argument list writing every frame of ``video`` as JPEG into ``output_dir``.

    Frames are numbered from 1 by ``name_pattern`` (``%06d.jpg`` or ``image_%05d.jpg``); the
    shorter side is scaled to ``short_side``; ``jpeg_quality`` is ffmpeg's ``-q:v`` (2 = best).
    ``fps`` (when given) resamples to that rate with ffmpeg's ``fps`` filter, which keeps or
    repeats source frames (the original's ``minterpolate`` synthesises new frames by motion
    interpolation, at a hundredth of the speed).
    """
    video_filter = short_side_filter(short_side)
    if fps is not None:
        video_filter = f"fps={fps:g},{video_filter}"
    return [
        require_executable("ffmpeg"),
        "-nostdin",
        "-hide_banner",
        "-loglevel",
        "error",
        "-i",
        str(video.resolve()),
        "-threads",
        "1",
        "-vf",
        video_filter,
        "-q:v",
        str(jpeg_quality),
        image_pattern(output_dir, name_pattern),
    ]


def probe_command(video: Path, entries: str) -> list[str]:
    """The ffprobe argument list printing ``entries`` (e.g. ``stream=avg_frame_rate``) of the
    first video stream, one value per line."""
    return [
        require_executable("ffprobe"),
        "-v",
        "error",
        "-select_streams",
        "v:0",
        "-show_entries",
        entries,
        "-of",
        "default=noprint_wrappers=1:nokey=1",
        str(video.resolve()),
    ]


def run(command: list[str]) -> subprocess.CompletedProcess[str]:
    """Run ``command`` (an argument list) and capture its output; never raises on failure."""
    return subprocess.run(command, capture_output=True, text=True, check=False)
