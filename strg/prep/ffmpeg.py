"""Calling ffmpeg: always with an argument list, never through a shell.

File names may contain spaces, quotes, ``$(...)`` or a leading ``-``; paths are passed absolute so
that ffmpeg never reads them as options or protocols, and ``%`` in an output directory is escaped
because the image muxer reads it as a pattern.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import shutil
import signal
import subprocess
import sys
from collections.abc import Callable
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


def _die_with_parent() -> Callable[[], None] | None:
    """A ``preexec_fn`` asking Linux to kill the child when its parent dies (``PR_SET_PDEATHSIG``),
    so that ffmpeg does not outlive an extractor killed with SIGKILL; None elsewhere.

    libc is loaded here, in the parent, so that the child between fork and exec only makes the
    one system call (no imports, no allocation: what makes ``preexec_fn`` safe with threads).
    """
    if not sys.platform.startswith("linux"):
        return None
    try:
        prctl = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True).prctl
    except (OSError, AttributeError):
        return None
    pr_set_pdeathsig, sigkill = 1, int(signal.SIGKILL)

    def set_death_signal() -> None:
        prctl(pr_set_pdeathsig, sigkill, 0, 0, 0)

    return set_death_signal


_PREEXEC = _die_with_parent()


def run(command: list[str]) -> subprocess.CompletedProcess[str]:
    """Run ``command`` (an argument list) and capture its output; never raises on failure. The
    child is killed when this process dies, however it dies."""
    return subprocess.run(command, capture_output=True, text=True, check=False, preexec_fn=_PREEXEC)
