"""Video files: probe_video's counts and errors, and decode_clips' frames equal to a full decode
(seeking into the middle of long-GOP WebM and MP4 files, and the sequential walk)."""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np
import pytest

import strg.data.video_decode as video_decode
from strg.data.frame_readers import VideoFileReader
from strg.data.records import VideoRecord
from strg.data.video_decode import decode_clips, frame_index
from strg.data.video_probe import VideoFileError, open_video, probe_video

N_FRAMES, FPS, GOP = 90, 15, 40
#: Clips starting mid-GOP, out of order, overlapping, repeating frames, and a lone last frame.
CLIPS = [
    list(range(45, 53)),
    list(range(5, 13)),
    [60, 61, 61, 62],
    list(range(48, 56)),
    [89],
    [70, 3, 88],
]


def frames_of(n_frames: int, height: int = 32, width: int = 48) -> np.ndarray:
    """Moving stripes and a frame-number block: every frame differs from its neighbours."""
    yy, xx = np.mgrid[0:height, 0:width]
    frames = np.empty((n_frames, height, width, 3), dtype=np.uint8)
    for t in range(n_frames):
        frames[t, ..., 0] = (xx * 5 + t * 7) % 256
        frames[t, ..., 1] = (yy * 8 + t * 3) % 256
        frames[t, ..., 2] = (t * 37) % 256
    return frames


def write_video(path: Path, codec: str, n_frames: int = N_FRAMES, **options: str) -> Path:
    """Encode ``frames_of(n_frames)`` with ``codec`` at FPS, a keyframe every GOP frames."""
    with av.open(str(path), "w") as container:
        stream = container.add_stream(codec, rate=FPS)
        stream.width, stream.height, stream.pix_fmt = 48, 32, "yuv420p"
        stream.gop_size = GOP
        stream.options = dict(options)
        for frame in frames_of(n_frames):
            for packet in stream.encode(av.VideoFrame.from_ndarray(frame, format="rgb24")):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return path


def full_decode(path: Path) -> list[np.ndarray]:
    with av.open(str(path)) as container:
        return [frame.to_ndarray(format="rgb24") for frame in container.decode(video=0)]


@pytest.fixture(scope="module")
def videos(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("videos")
    fast_vp9 = {"deadline": "realtime", "cpu-used": "8"}
    return {
        "webm": write_video(root / "v.webm", "libvpx-vp9", **fast_vp9),
        # B-frames: decode order differs from presentation order
        "mp4": write_video(root / "v.mp4", "libx264", bf="3", preset="ultrafast"),
        "avi": write_video(root / "v.avi", "mpeg4", qscale="3"),
    }  # fmt: skip


@pytest.mark.parametrize("kind", ["webm", "mp4"])
def test_seeking_gives_the_frames_of_a_full_decode(
    kind: str, videos: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    path = videos[kind]
    reference = full_decode(path)
    assert len(reference) == N_FRAMES
    with open_video(path) as (container, stream):
        index = frame_index(container, stream)
    assert index is not None and index.keyframes[:3] == [0, GOP, 2 * GOP]

    def no_fallback(*args, **kwargs):
        raise AssertionError("the seeking walk fell back to the sequential one")

    monkeypatch.setattr(video_decode, "_sequential", no_fallback)
    clips = list(decode_clips(path, CLIPS))
    assert len(clips) == len(CLIPS)
    for clip, indices in zip(clips, CLIPS, strict=True):
        assert clip.shape == (len(indices), 32, 48, 3)
        assert np.array_equal(clip, np.stack([reference[index] for index in indices]))


def test_sequential_walk_for_avi_and_reader_shapes(videos: dict[str, Path]) -> None:
    path = videos["avi"]
    with open_video(path) as (container, stream):
        assert frame_index(container, stream) is None  # AVI timestamps do not name frames
    reference = full_decode(path)
    record = VideoRecord("v", "validation", path, range(N_FRAMES))
    clips = list(VideoFileReader().read_clips(record, CLIPS))
    for clip, indices in zip(clips, CLIPS, strict=True):
        assert clip.shape == (len(indices), 3, 32, 48)
        expected = np.stack([reference[index] for index in indices])
        assert np.array_equal(clip.permute(0, 2, 3, 1).numpy(), expected)
    with pytest.raises(VideoFileError, match=rf"{path} has only 90 decodable frames, frame 90"):
        VideoFileReader().read(record, [3, 90])


@pytest.mark.parametrize("kind", ["webm", "mp4", "avi"])
def test_probe_counts_the_decoded_frames(kind: str, videos: dict[str, Path]) -> None:
    info = probe_video(videos[kind])
    assert (info.n_frames, info.fps, info.width, info.height) == (N_FRAMES, FPS, 48, 32)
    assert info.duration_s == pytest.approx(N_FRAMES / FPS)


def test_probe_names_unreadable_files(videos: dict[str, Path], tmp_path: Path) -> None:
    empty = tmp_path / "empty.mp4"
    empty.touch()
    junk = tmp_path / "junk.webm"
    junk.write_bytes(b"\x1a\x45\xdf\xa3" + bytes(range(256)) * 8)
    truncated = tmp_path / "cut.webm"
    truncated.write_bytes(videos["webm"].read_bytes()[: videos["webm"].stat().st_size // 2])
    cases = {
        tmp_path / "absent.mp4": "does not exist",
        empty: "is empty",
        junk: "",
        truncated: "truncated",
    }
    for path, reason in cases.items():
        with pytest.raises(VideoFileError, match=str(path)) as caught:
            probe_video(path)
        assert reason in str(caught.value)
