"""What is in a video file: its frame count, rate and size, read from the file itself.

:func:`probe_video` is the one owner of that fact. ``n_frames`` is the number of frames the
decoder delivers, counted by decoding the first video stream (PyAV, threaded, without converting
a single frame to RGB): exactly the frames :class:`~strg.data.frame_readers.VideoFileReader`
reads as indices ``0 … n_frames − 1``, and those ffmpeg extracts as JPEG files from a
constant-rate video. Container headers are not trusted for the count: WebM has none, and an MP4's
sample count includes samples an edit list drops. They are used the other way round, to tell a
truncated file (fewer frames decoded than the header declares) from a complete one.

An unreadable file (missing, empty, not a video, corrupt, truncated) is a :class:`VideoFileError`
naming it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

from strg.data.records import DataError

#: A declared length at least this many frames, and this share, longer than the decoded one
#: means the file lost its end (a few frames' slack for rounding in container headers).
TRUNCATION_SLACK_FRAMES = 2
TRUNCATION_SLACK_SHARE = 0.02


class VideoFileError(DataError):
    """A video file cannot be read: missing, empty, not a video, corrupt or truncated."""


@dataclass(frozen=True)
class VideoInfo:
    """A video file's first video stream.

    ``n_frames`` decoded frames (frame indices ``0 … n_frames − 1``); ``fps`` frames per second
    (the stream's average rate); ``width`` × ``height`` pixels of the decoded frames;
    ``duration_s`` = ``n_frames / fps``, the time that frame indices span (frame ``i`` starts at
    ``i / fps`` seconds).
    """

    n_frames: int
    fps: float
    width: int
    height: int
    duration_s: float


@contextmanager
def open_video(path: Path) -> Iterator[tuple[Any, Any]]:
    """The open PyAV container of ``path`` and its first video stream (threaded decoding).

    Every failure to open or decode inside the block is a :class:`VideoFileError` naming the
    file.
    """
    import av  # core dependency, imported here to keep ``import strg.data`` light

    path = Path(path)
    if not path.is_file():
        raise VideoFileError(f"video {path} does not exist" if not path.exists() else
                             f"video {path} is not a file")  # fmt: skip
    if path.stat().st_size == 0:
        raise VideoFileError(f"video {path} is empty (0 bytes)")
    try:
        container = av.open(str(path))
    except (av.error.FFmpegError, UnicodeDecodeError) as error:
        raise VideoFileError(f"{path} is not a readable video file: {error}") from None
    try:
        if not container.streams.video:
            raise VideoFileError(f"{path} has no video stream")
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        try:
            yield container, stream
        except (av.error.FFmpegError, IndexError) as error:
            raise VideoFileError(f"{path} cannot be decoded: {error}") from None
    finally:
        container.close()


def stream_fps(stream: Any) -> float:
    """Frames per second of a PyAV video stream (average rate, else the guessed one), 0 if
    the container says nothing."""
    rate = stream.average_rate or stream.guessed_rate or stream.base_rate
    return float(rate) if rate else 0.0


def _declared_frames(container: Any, stream: Any, fps: float) -> float | None:
    """Frames the headers promise: the stream's sample count, else its duration × rate (the
    container's when it holds only this stream); ``None`` when they say nothing."""
    if stream.frames:
        return float(stream.frames)
    if not fps:
        return None
    if stream.duration and stream.time_base:
        return float(stream.duration * stream.time_base) * fps
    if container.duration and len(container.streams) == 1:
        return float(Fraction(container.duration, 1_000_000)) * fps
    return None


def probe_video(path: Path) -> VideoInfo:
    """Frame count, rate, size and duration of the video file at ``path``.

    The frames are counted by decoding the whole first video stream once. Raises
    :class:`VideoFileError` naming ``path`` when it is missing, empty, not a video, fails to
    decode, holds no frame, or decodes to fewer frames than its headers declare (truncated).
    """
    import av

    path = Path(path)
    n_frames = 0
    width = height = 0
    with open_video(path) as (container, stream):
        fps = stream_fps(stream)
        try:
            for frame in container.decode(stream):
                if n_frames == 0:
                    width, height = frame.width, frame.height
                n_frames += 1
        except av.error.FFmpegError as error:
            raise VideoFileError(
                f"{path} cannot be decoded after frame {n_frames}: {error} (corrupt or truncated)"
            ) from None
        declared = _declared_frames(container, stream, fps)
    if n_frames == 0:
        raise VideoFileError(f"{path} holds no decodable video frame")
    if declared is not None:
        missing = declared - n_frames
        if missing >= TRUNCATION_SLACK_FRAMES and missing > TRUNCATION_SLACK_SHARE * declared:
            raise VideoFileError(
                f"{path} is truncated: {n_frames} frames decode, its headers declare {declared:.0f}"
            )
    if not fps:
        raise VideoFileError(f"{path} declares no frame rate")
    return VideoInfo(
        n_frames=n_frames, fps=fps, width=width, height=height, duration_s=n_frames / fps
    )
