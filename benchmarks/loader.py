"""Data-loading speed: clips/s from JPEG folders, HDF5 and direct WebM decoding, 0/1/2 workers.

Beside our loader, a naive reference measured in the same run does what 3D-ResNets-PyTorch does:
PIL open + RGB convert per frame, then per-frame transforms (RandomResizedCrop, flip, ToTensor,
ScaleValue, Normalize), a stack, and the default collate. Both deliver the same thing to the
loop: batches of normalised B×C×T×H×W float32 clips in the main process, each a random resized
crop + flip of the same distribution. Ours normalises in the main process (its workers hand over
uint8 clips; on a GPU that step runs there), and that time is counted. The random draws differ
(each loader seeds its own generator) and PIL's resize rounds differently from torch's, so the
clips are alike, not bit-equal. Frames are 256 pixels high (the Something-Something extraction).

Each round runs one pass of every loader, one after the other; the table gives each loader's
median clips/s over the rounds, and a speed-up is the median over the rounds of the ratio within
a round, so that a slow spell of a shared machine hits both sides of a ratio alike.

    python benchmarks/loader.py [--videos 16] [--frames 40] [--rounds 5] [--threads 1]

Then the video loader against the JPEG loader (``video loader vs jpg loader``, 32×224², 2
workers), and multi-clip decoding of a 60-second video (30 fps, 341×256): the 10 evenly spread
16-frame test clips (``--n_test_clips 10``) through :meth:`VideoFileReader.read_clips` against
today's reader before it, which decoded from frame 0 up to each clip's last frame once per clip
(kept here as :func:`per_clip_decode`), for a VP9 WebM with libvpx's keyframe interval (12
frames) and an H.264 MP4 with x264's (250 frames, 8.3 s: the worst case for seeking), and
torchcodec's exact-seek decoder on the same clips when it is installed. The last line is
``video multi-clip speed-up vs per-clip decoding: N.NNx`` (the WebM; both are printed).
"""

from __future__ import annotations

import argparse
import io
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
from PIL import Image
from torch.utils.data import DataLoader, Dataset
from torchvision.transforms import functional as TF  # noqa: N812

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from strg.data.builder import build_video_dataset
from strg.data.frame_readers import VideoFileReader
from strg.data.loader import build_loader
from strg.data.normalization import mean_std
from strg.data.records import VideoRecord
from strg.data.spatial import random_resized_crop_params
from strg.data.temporal import TemporalCrop, build_temporal_sampler
from strg.synth.encode import write_webm

HEIGHT, WIDTH = 256, 341
SIZES = ((16, 112), (32, 224))
WORKERS = (0, 1, 2)
SOURCES = ("jpg", "hdf5", "video")
BATCH = 2


def make_frames(video: int, n_frames: int) -> np.ndarray:
    """Smooth moving shapes over a textured background (JPEG sizes like real frames)."""
    rng = np.random.default_rng(video)
    yy, xx = np.mgrid[0:HEIGHT, 0:WIDTH]
    background = np.stack(
        [(xx * 0.5 + video * 20) % 256, (yy * 0.7) % 256, (xx + yy) * 0.3 % 256], -1
    )
    background = (background + rng.normal(0, 8, background.shape)).clip(0, 255)
    frames = np.empty((n_frames, HEIGHT, WIDTH, 3), dtype=np.uint8)
    for t in range(n_frames):
        frame = background.copy()
        x, y = 20 + 4 * t, 40 + 2 * t
        frame[y : y + 60, x : x + 80] = (220, 60, 40)
        frames[t] = frame.astype(np.uint8)
    return frames


def build_data(root: Path, n_videos: int, n_frames: int) -> dict[str, Path]:
    """The same frames as JPEG folders, HDF5 files and WebM videos, with their annotation JSONs."""
    import h5py

    database = {}
    for video in range(n_videos):
        video_id = f"v{video}"
        frames = make_frames(video, n_frames)
        folder = root / "jpg" / video_id
        folder.mkdir(parents=True)
        (root / "hdf5").mkdir(exist_ok=True)
        (root / "video").mkdir(exist_ok=True)
        blobs = []
        for index, frame in enumerate(frames):
            buffer = io.BytesIO()
            Image.fromarray(frame).save(buffer, format="JPEG", quality=90)
            blobs.append(buffer.getvalue())
            (folder / f"image_{index + 1:05d}.jpg").write_bytes(buffer.getvalue())
        with h5py.File(root / "hdf5" / f"{video_id}.hdf5", "w") as handle:
            data = handle.create_dataset("video", (n_frames,), dtype=h5py.vlen_dtype(np.uint8))
            for index, blob in enumerate(blobs):
                data[index] = np.frombuffer(blob, dtype=np.uint8)
        write_webm(root / "video" / f"{video_id}.webm", frames)
        database[video_id] = {"subset": "training", "annotations": {"label": "a"}}
    paths = {}
    for file_type, segment in (("jpg", [1, n_frames + 1]), ("hdf5", [0, n_frames])):
        for entry in database.values():
            entry["annotations"]["segment"] = segment
        paths[file_type] = root / f"{file_type}.json"
        paths[file_type].write_text(json.dumps({"labels": ["a"], "database": database}))
    paths["video"] = paths["jpg"]
    return paths


class NaiveDataset(Dataset):
    """The original's path: PIL per frame, per-frame transforms, stack, permute (its training
    pipeline, 3d-resnets-compat §3.6: crop, flip, ToTensor, ScaleValue(1), Normalize)."""

    def __init__(self, root: Path, n_videos: int, n_frames: int, duration: int, size: int):
        self.root, self.n_videos, self.n_frames = root, n_videos, n_frames
        self.temporal = TemporalCrop(duration)
        self.size = size
        self.mean, self.std = mean_std("kinetics")

    def __len__(self) -> int:
        return self.n_videos

    def __getitem__(self, index: int) -> tuple[torch.Tensor, int]:
        generator = torch.Generator().manual_seed(index)
        (frame_indices,) = self.temporal(range(self.n_frames), generator)
        images = []
        for frame in frame_indices:
            with Image.open(self.root / f"v{index}" / f"image_{frame + 1:05d}.jpg") as image:
                images.append(image.convert("RGB"))
        top, left, h, w = random_resized_crop_params(
            HEIGHT, WIDTH, (0.25, 1.0), (0.75, 1 / 0.75), generator
        )
        flip = bool(torch.rand((), generator=generator) < 0.5)
        clip = []
        for image in images:
            image = TF.resized_crop(image, top, left, h, w, [self.size, self.size])
            if flip:
                image = TF.hflip(image)
            tensor = TF.to_tensor(image)
            tensor *= 1  # ScaleValue(value_scale), in place as the original does
            clip.append(TF.normalize(tensor, self.mean, self.std))
        return torch.stack(clip).permute(1, 0, 2, 3), 0


def one_pass(loader) -> float:
    """Clips/s over one pass of ``loader`` (a DataLoader or our VideoLoader)."""
    start, clips = time.perf_counter(), 0
    for batch in loader:
        clips += len(batch[0]) if isinstance(batch, list) else len(batch)
    return clips / (time.perf_counter() - start)


def median_ratio(ours: list[float], naive: list[float]) -> float:
    """The median over rounds of ours / naive, each ratio within one round."""
    return statistics.median(a / b for a, b in zip(ours, naive, strict=True))


LONG_SECONDS, LONG_FPS, TEST_CLIPS, CLIP_FRAMES = 60, 30, 10, 16


def write_long_videos(root: Path) -> dict[str, Path]:
    """A 60-second video as VP9 WebM (libvpx's keyframe interval) and H.264 MP4 (x264's)."""
    import av

    n_frames = LONG_SECONDS * LONG_FPS
    frames = make_frames(0, 1)[0]
    paths = {"webm": root / "long.webm", "mp4": root / "long.mp4"}
    settings = {
        "webm": ("libvpx-vp9", {"deadline": "realtime", "cpu-used": "8", "crf": "30", "b": "0"}),
        "mp4": ("libx264", {"preset": "veryfast", "x264-params": "keyint=250"}),
    }
    for kind, path in paths.items():
        codec, options = settings[kind]
        with av.open(str(path), "w") as container:
            stream = container.add_stream(codec, rate=LONG_FPS)
            stream.width, stream.height, stream.pix_fmt = WIDTH, HEIGHT, "yuv420p"
            stream.options = options
            for t in range(n_frames):
                frame = np.roll(frames, 3 * t, axis=1)  # the scene pans: every frame differs
                for packet in stream.encode(av.VideoFrame.from_ndarray(frame, format="rgb24")):
                    container.mux(packet)
            for packet in stream.encode():
                container.mux(packet)
    return paths


def per_clip_decode(path: Path, indices: list[int]) -> torch.Tensor:
    """Today's reader before the one-walk decoder: frame 0 up to the clip's last, per clip."""
    import av

    wanted, last, decoded, count = set(indices), max(indices), {}, 0
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        for frame in container.decode(stream):
            if count in wanted:
                decoded[count] = torch.from_numpy(frame.to_ndarray(format="rgb24")).permute(2, 0, 1)
            count += 1
            if count > last:
                break
    return torch.stack([decoded[index] for index in indices])


def multi_clip_decoding(root: Path, rounds: int) -> float:
    """Print the multi-clip decode times of both long videos; the WebM's speed-up."""
    started = time.perf_counter()
    paths = write_long_videos(root)
    n_frames = LONG_SECONDS * LONG_FPS
    sampler = build_temporal_sampler(
        "inference", sample_duration=CLIP_FRAMES, n_test_clips=TEST_CLIPS
    )
    clips = sampler(range(n_frames), torch.Generator())
    print(
        f"\nmulti-clip decoding: {LONG_SECONDS} s × {LONG_FPS} fps of {WIDTH}×{HEIGHT}, "
        f"{len(clips)} clips of {CLIP_FRAMES} frames ({time.perf_counter() - started:.1f} s to "
        f"make); medians of {rounds} rounds"
    )
    try:
        from torchcodec.decoders import VideoDecoder
    except ImportError:
        VideoDecoder = None  # noqa: N806 - optional: measured when installed
    speedups = {}
    for kind, path in paths.items():
        record = VideoRecord(kind, "validation", path, range(n_frames))
        times: dict[str, list[float]] = {}
        ratios = []
        for _ in range(rounds):
            start = time.perf_counter()
            reference = [per_clip_decode(path, clip) for clip in clips]
            times.setdefault("per-clip", []).append(time.perf_counter() - start)
            start = time.perf_counter()
            ours = list(VideoFileReader().read_clips(record, clips))
            times.setdefault("one walk", []).append(time.perf_counter() - start)
            ratios.append(times["per-clip"][-1] / times["one walk"][-1])
            assert all(torch.equal(a, b) for a, b in zip(reference, ours, strict=True))
            if VideoDecoder is not None:
                start = time.perf_counter()
                decoder = VideoDecoder(str(path), seek_mode="exact")
                theirs = [decoder.get_frames_at(clip).data for clip in clips]
                times.setdefault("torchcodec", []).append(time.perf_counter() - start)
                assert all(torch.equal(a, b) for a, b in zip(reference, theirs, strict=True))
        row = ", ".join(f"{name} {statistics.median(t):.2f} s" for name, t in times.items())
        speedups[kind] = statistics.median(ratios)
        print(f"  {kind:>5}: {row}; speed-up {speedups[kind]:.2f}x (frames equal)")
    print(f"video multi-clip speed-up vs per-clip decoding, H.264 MP4: {speedups['mp4']:.2f}x")
    return speedups["webm"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--videos", type=int, default=16, help="videos per pass")
    parser.add_argument("--frames", type=int, default=40)
    parser.add_argument(
        "--rounds", type=int, default=5, help="timed passes of each loader; medians count"
    )
    parser.add_argument(
        "--threads",
        type=int,
        default=1,
        help="torch threads of the main process (0 workers); loader workers always use 1",
    )
    parser.add_argument(
        "--decode_rounds", type=int, default=3, help="rounds of the multi-clip decoding"
    )
    args = parser.parse_args()
    # On a busy machine, OpenMP's multi-threaded copies stall for ~250 ms per call; workers run
    # single-threaded anyway, so the main process does the same by default (both loaders).
    torch.set_num_threads(args.threads)
    with tempfile.TemporaryDirectory() as directory:
        root = Path(directory)
        started = time.perf_counter()
        paths = build_data(root, args.videos, args.frames)
        print(
            f"data: {args.videos} videos × {args.frames} frames of {WIDTH}×{HEIGHT} "
            f"({time.perf_counter() - started:.1f} s to make); batch {BATCH}, "
            f"medians of {args.rounds} rounds of one pass each, after a warm-up; "
            f"torch threads {torch.get_num_threads()}"
        )
        print(f"{'clip':>10} {'source':>8} " + " ".join(f"{w:>2} workers" for w in WORKERS))
        speedup = None
        for duration, size in SIZES:
            label = f"{duration}×{size}²"
            rates: dict[tuple[str, int], list[float]] = {}
            for workers in WORKERS:
                loaders = {
                    "naive": DataLoader(
                        NaiveDataset(root / "jpg", args.videos, args.frames, duration, size),
                        batch_size=BATCH,
                        num_workers=workers,
                        persistent_workers=workers > 0,
                    )
                }
                for file_type in SOURCES:
                    built = build_video_dataset(
                        "train",
                        paths[file_type],
                        root / file_type,
                        file_type=file_type,
                        sample_size=size,
                        sample_duration=duration,
                    )
                    loaders[file_type] = build_loader(
                        built.dataset, BATCH, shuffle=True, n_threads=workers, pin_memory=False
                    )
                for loader in loaders.values():  # warm-up: start workers, fill caches
                    one_pass(loader)
                for _ in range(args.rounds):
                    for name, loader in loaders.items():
                        rates.setdefault((name, workers), []).append(one_pass(loader))
                del loaders

            for name in ("naive", *SOURCES):
                row = " ".join(f"{statistics.median(rates[(name, w)]):10.1f}" for w in WORKERS)
                print(f"{label:>10} {name:>8} {row}")
            jpg_ratios = [median_ratio(rates[("jpg", w)], rates[("naive", w)]) for w in WORKERS]
            print(f"{label:>10} jpg/naive " + " ".join(f"{r:9.2f}x" for r in jpg_ratios))
            speedup = jpg_ratios[WORKERS.index(2)]
            video_ratio = median_ratio(rates[("video", 2)], rates[("jpg", 2)])
        print(f"jpg speed-up vs naive: {speedup:.2f}x")
        print(f"video loader vs jpg loader (32×224², 2 workers): {video_ratio:.2f}x")
        speedup = multi_clip_decoding(root, args.decode_rounds)
        print(f"video multi-clip speed-up vs per-clip decoding: {speedup:.2f}x")


if __name__ == "__main__":
    main()
