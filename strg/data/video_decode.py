"""Decoding the clips of one video in time linear in the video, frame-exact.

Frame ``i`` of a video file is the ``i``-th frame its decoder delivers from the start (the count
:func:`~strg.data.video_probe.probe_video` gives). :func:`decode_clips` reads every clip of a
video in one walk over the file instead of one decode from frame 0 per clip:

* **seeking**, when the file's packet index can name its frames: the packets of the stream,
  demuxed without decoding, give each frame's presentation time; frame ``i`` is the ``i``-th
  smallest. The walk seeks to the keyframe at or before the next frame it needs whenever that
  keyframe lies ahead of where it is, and decodes forward from there. Every decoded frame is
  checked against the index (its time is known, and it follows the previous one without a gap);
  a frame the index does not predict sends the whole video to the sequential walk.
* **sequential** otherwise (AVI, whose timestamps are packet counters; VP8, whose hidden frames
  are packets without a picture; packets without times; an index that does not match): one
  decode from frame 0 up to the last frame needed, counting frames.

Both convert to RGB only the frames a clip needs, and yield each clip as soon as it is complete,
in the order asked, keeping only the frames that clips still to come need.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from strg.data.video_probe import VideoFileError, open_video

#: Codecs whose every packet carries exactly one displayed frame (VP9's hidden frames travel
#: inside superframes); the others are decoded sequentially.
SEEKABLE_CODECS = frozenset({"h264", "hevc", "vp9", "av1", "mpeg4", "mpeg2video", "mjpeg"})
#: Containers whose timestamps do not identify frames (AVI's are packet counters).
SEQUENTIAL_FORMATS = frozenset({"avi"})


class _IndexMismatchError(Exception):
    """A decoded frame that the packet index does not predict: fall back to the sequential walk."""


@dataclass(frozen=True)
class FrameIndex:
    """Presentation times (stream time base) of every frame in order, and which frames are
    keyframes (sorted frame indices)."""

    times: list[int]
    keyframes: list[int]

    def keyframe_before(self, index: int) -> int:
        """The last keyframe at or before frame ``index``."""
        return self.keyframes[bisect.bisect_right(self.keyframes, index) - 1]


def frame_index(container: Any, stream: Any) -> FrameIndex | None:
    """The frame index of ``stream`` from its packets (demuxed, not decoded), or ``None`` when
    packets cannot name frames: a codec or container outside the seekable ones, a packet
    without a time, two packets with one time, no keyframe first."""
    if stream.codec_context.name not in SEEKABLE_CODECS:
        return None
    if SEQUENTIAL_FORMATS & set(container.format.name.split(",")):
        return None
    times, key_times = [], []
    for packet in container.demux(stream):
        if packet.size == 0:  # the end-of-stream flush packet
            continue
        if packet.pts is None or packet.is_corrupt:
            return None
        if packet.is_discard:  # dropped by the decoder (before an edit list's start)
            continue
        times.append(packet.pts)
        if packet.is_keyframe:
            key_times.append(packet.pts)
    times.sort()
    if not times or len(set(times)) != len(times) or not key_times or key_times[0] != times[0]:
        return None
    position = {time: index for index, time in enumerate(times)}
    return FrameIndex(times, sorted(position[time] for time in key_times))


class _Plan:
    """The clips asked and the frames still needed; hands out clips as they complete."""

    def __init__(self, clips: Sequence[Sequence[int]], path: Path) -> None:
        self.path = path
        self.clips = [list(clip) for clip in clips]
        self.wanted = sorted({index for clip in self.clips for index in clip})
        self.frames: dict[int, np.ndarray] = {}
        self.next_clip = 0

    @property
    def open_frames(self) -> set[int]:
        """The frames of the clips not yet handed out."""
        return {index for clip in self.clips[self.next_clip :] for index in clip}

    def ready(self) -> Iterator[np.ndarray]:
        """The clips (T×H×W×3) that are complete, in order, freeing frames no later clip needs."""
        while self.next_clip < len(self.clips):
            clip = self.clips[self.next_clip]
            if any(index not in self.frames for index in clip):
                return
            frames = [self.frames[index] for index in clip]
            if len({frame.shape for frame in frames}) > 1:
                sizes = sorted({frame.shape[:2] for frame in frames})
                raise VideoFileError(f"{self.path}: frames differ in size {sizes}")
            out = np.stack(frames)
            self.next_clip += 1
            still = self.open_frames
            for index in [index for index in self.frames if index not in still]:
                del self.frames[index]
            yield out


def _sequential(container: Any, stream: Any, plan: _Plan, path: Path) -> Iterator[np.ndarray]:
    needed = plan.open_frames - set(plan.frames)
    last = max(needed)
    count = 0
    for frame in container.decode(stream):
        if count in needed:
            plan.frames[count] = frame.to_ndarray(format="rgb24")
            yield from plan.ready()
        count += 1
        if count > last:
            return
    raise VideoFileError(
        f"{path} has only {count} decodable frames, frame {last} asked "
        "(truncated video, or a segment longer than the video)"
    )


def _seeking(
    container: Any, stream: Any, plan: _Plan, index: FrameIndex, path: Path
) -> Iterator[np.ndarray]:
    if plan.wanted[-1] >= len(index.times):
        raise VideoFileError(
            f"{path} has only {len(index.times)} decodable frames, frame {plan.wanted[-1]} asked "
            "(truncated video, or a segment longer than the video)"
        )
    position = {time: rank for rank, time in enumerate(index.times)}
    todo = list(plan.wanted)
    while todo:
        target = todo[0]
        start = index.keyframe_before(target)
        container.seek(index.times[start], stream=stream, backward=True)
        previous = None
        for frame in container.decode(stream):
            rank = position.get(frame.pts)
            if rank is None or (previous is not None and rank != previous + 1):
                raise _IndexMismatchError
            if previous is None and rank > target:
                raise _IndexMismatchError  # the seek landed after the frame asked
            previous = rank
            if rank == todo[0]:
                todo.pop(0)
                plan.frames[rank] = frame.to_ndarray(format="rgb24")
                yield from plan.ready()
                if not todo:
                    return
                if index.keyframe_before(todo[0]) > rank + 1:
                    break  # a keyframe lies ahead of the next frame asked: seek to it
        else:
            raise _IndexMismatchError  # the stream ended before the index said it would


def decode_clips(path: Path, clips: Sequence[Sequence[int]]) -> Iterator[np.ndarray]:
    """Each clip of ``clips`` (lists of 0-based frame indices, any order, repeats allowed) as
    a T×H×W×3 uint8 RGB array, in the order given, from one walk over the video at ``path``.

    Raises :class:`~strg.data.video_probe.VideoFileError` naming the file when it cannot be
    read or has fewer frames than asked.
    """
    path = Path(path)
    if not clips or any(len(clip) == 0 for clip in clips):
        raise VideoFileError(f"{path}: no frames asked")
    if min(min(clip) for clip in clips) < 0:
        raise VideoFileError(f"{path}: negative frame index")
    plan = _Plan(clips, path)
    with open_video(path) as (container, stream):
        index = frame_index(container, stream)
        if index is not None:
            try:
                yield from _seeking(container, stream, plan, index, path)
                return
            except _IndexMismatchError:
                plan.frames = {}  # the clips still to come are decoded from the start
    with open_video(path) as (container, stream):  # a fresh demuxer, at the first packet
        yield from _sequential(container, stream, plan, path)
