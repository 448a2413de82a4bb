"""Records and readers: every failure names the file; skipping is explicit and summarised."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import av
import h5py
import numpy as np
import pytest
import torch
from PIL import Image

from strg.data.builder import build_video_dataset
from strg.data.frame_readers import Hdf5Reader, JpegFolderReader, VideoFileReader, build_reader
from strg.data.proposal_store import ProposalStoreError
from strg.data.records import DataError, build_records
from tests.data.conftest import CLASSES, frame_image, jpeg_bytes, make_jpg_dataset


def test_records_from_the_annotation_json(tmp_path: Path) -> None:
    annotation = make_jpg_dataset(tmp_path, n_videos=4, n_frames=6)
    records = build_records(annotation, tmp_path / "frames", "train")
    assert records.class_names == CLASSES and len(records) == 4
    first = records.records[0]
    assert first.video_id == "v0" and first.label == 0 and first.frame_indices == range(6)
    assert first.path == tmp_path / "frames" / CLASSES[0] / "v0"
    assert records.records[1].label == 1 and records.summary() == ""
    assert len(build_records(annotation, tmp_path / "frames", "validation")) == 0


def test_testing_subset_without_labels_and_explicit_paths(tmp_path: Path) -> None:
    annotation = make_jpg_dataset(tmp_path, n_videos=2, subset="testing", explicit_paths=True)
    records = build_records(annotation, tmp_path / "elsewhere", "test")
    assert [r.label for r in records.records] == [-1, -1]
    assert records.records[0].path == tmp_path / "frames" / CLASSES[0] / "v0"
    built = build_video_dataset(
        "inference", annotation, tmp_path, "test", sample_size=32, sample_duration=4
    )
    item = built.dataset[0]
    assert all(clip.target == -1 for clip in item.clips)


def test_frame_name_patterns(tmp_path: Path) -> None:
    annotation = make_jpg_dataset(tmp_path, n_videos=1, n_frames=3, pattern="charades")
    assert (tmp_path / "frames" / CLASSES[0] / "v0" / "v0-000003.jpg").is_file()
    record = build_records(annotation, tmp_path / "frames", "train").records[0]
    frames = JpegFolderReader("charades").read(record, [2, 0, 2])
    assert frames.shape == (3, 3, 48, 64) and frames.dtype == torch.uint8
    assert torch.equal(frames[0], frames[2])
    expected = torch.from_numpy(frame_image(0, 2)).permute(2, 0, 1).float()
    assert (frames[0].float() - expected).abs().mean() < 3  # JPEG at quality 95


def test_missing_video_directory_is_an_error_or_a_summary(tmp_path: Path) -> None:
    annotation = make_jpg_dataset(tmp_path, n_videos=4)
    shutil.rmtree(tmp_path / "frames" / CLASSES[1] / "v1")
    shutil.rmtree(tmp_path / "frames" / CLASSES[2] / "v2")
    with pytest.raises(DataError, match=r"video v1: not found .*v1.*1 other video"):
        build_records(annotation, tmp_path / "frames", "train")
    records = build_records(annotation, tmp_path / "frames", "train", skip_missing=True)
    assert [r.video_id for r in records.records] == ["v0", "v3"]
    summary = records.summary()
    assert summary.startswith("skipped 2 video(s)") and "v1" in summary and "v2" in summary


def test_missing_frame_file_names_the_file(tmp_path: Path) -> None:
    annotation = make_jpg_dataset(tmp_path, n_videos=2, n_frames=8)
    missing = tmp_path / "frames" / CLASSES[0] / "v0" / "image_00005.jpg"
    missing.unlink()
    built = build_video_dataset(
        "val", annotation, tmp_path / "frames", "train", sample_size=32, sample_duration=8
    )
    with pytest.raises(DataError, match=str(missing)):
        built.dataset[0]
    for phase in ("train", "val"):
        skipping = build_video_dataset(
            phase,
            annotation,
            tmp_path / "frames",
            "train",
            sample_size=32,
            sample_duration=8,
            skip_missing=True,
        )
        item = skipping.dataset[0]
        assert item.skipped[0][0] == "v0" and str(missing) in item.skipped[0][1]  # reported
        if phase == "train":  # replaced by the next video: the batch keeps its size
            assert item.clips[0].video_id == "v1" and len(item.clips[0].frame_indices) == 8
        else:  # evaluation scores no video in another's place
            assert item.clips == []


def test_corrupt_jpeg_names_the_file(tmp_path: Path) -> None:
    annotation = make_jpg_dataset(tmp_path, n_videos=1, n_frames=4)
    corrupt = tmp_path / "frames" / CLASSES[0] / "v0" / "image_00002.jpg"
    corrupt.write_bytes(corrupt.read_bytes()[:200])
    record = build_records(annotation, tmp_path / "frames", "train").records[0]
    with pytest.raises(DataError, match=f"{corrupt} is not a readable JPEG"):
        JpegFolderReader().read(record, [0, 1, 2, 3])
    corrupt.write_bytes(b"")
    with pytest.raises(DataError, match=f"{corrupt} is empty"):
        JpegFolderReader().read(record, [1])


def test_decoded_clip_equals_pil_and_repeats_frames(tmp_path: Path) -> None:
    """libjpeg-turbo straight into the clip gives PIL's pixels, in the order asked, repeated
    frames included, channels-last in memory."""
    annotation = make_jpg_dataset(tmp_path, n_videos=1, n_frames=6)
    record = build_records(annotation, tmp_path / "frames", "train").records[0]
    clip = JpegFolderReader().read(record, [5, 0, 3, 3])
    assert clip.shape == (4, 3, 48, 64) and clip.dtype == torch.uint8
    assert clip.permute(0, 2, 3, 1).is_contiguous()
    for row, index in enumerate([5, 0, 3, 3]):
        with Image.open(record.path / f"image_{index + 1:05d}.jpg") as image:
            expected = torch.from_numpy(np.array(image.convert("RGB"))).permute(2, 0, 1)
        assert torch.equal(clip[row], expected)
    without_repeats = JpegFolderReader().read(record, [3, 5])  # the decoded array itself
    assert torch.equal(without_repeats, clip[[2, 0]])


def test_frame_of_another_size_names_the_file(tmp_path: Path) -> None:
    annotation = make_jpg_dataset(tmp_path, n_videos=1, n_frames=4)
    odd = tmp_path / "frames" / CLASSES[0] / "v0" / "image_00003.jpg"
    odd.write_bytes(jpeg_bytes(np.zeros((50, 64, 3), dtype=np.uint8)))
    record = build_records(annotation, tmp_path / "frames", "train").records[0]
    with pytest.raises(DataError, match=rf"{odd} is 64×50, but .*image_00001\.jpg is 64×48"):
        JpegFolderReader().read(record, [0, 1, 2, 3])


def test_missing_box_file_is_an_early_error(tmp_path: Path) -> None:
    annotation = make_jpg_dataset(tmp_path, n_videos=3)
    (tmp_path / "props" / "v1.npz").unlink()
    with pytest.raises(ProposalStoreError, match=r"v1.*props/v1\.npz does not exist"):
        build_video_dataset(
            "train", annotation, tmp_path / "frames", proposal_path=tmp_path / "props"
        )
    built = build_video_dataset(
        "train",
        annotation,
        tmp_path / "frames",
        proposal_path=tmp_path / "props",
        skip_missing=True,
        sample_size=32,
        sample_duration=4,
    )
    assert [r.video_id for r in built.dataset.records] == ["v0", "v2"]
    assert "v1: no proposals" in built.summary()


def write_hdf5(path: Path, frames: list[np.ndarray]) -> None:
    with h5py.File(path, "w") as handle:
        data = handle.create_dataset("video", (len(frames),), dtype=h5py.vlen_dtype(np.uint8))
        for index, frame in enumerate(frames):
            data[index] = np.frombuffer(jpeg_bytes(frame), dtype=np.uint8)


def test_hdf5_reader_matches_the_jpeg_reader(tmp_path: Path) -> None:
    annotation = make_jpg_dataset(tmp_path, n_videos=1, n_frames=6)
    folder = tmp_path / "frames" / CLASSES[0] / "v0"
    (tmp_path / "h5" / CLASSES[0]).mkdir(parents=True)
    with h5py.File(tmp_path / "h5" / CLASSES[0] / "v0.hdf5", "w") as handle:
        data = handle.create_dataset("video", (6,), dtype=h5py.vlen_dtype(np.uint8))
        for index in range(6):
            data[index] = np.frombuffer(
                (folder / f"image_{index + 1:05d}.jpg").read_bytes(), np.uint8
            )
    hdf5_json = json.loads(annotation.read_text())
    hdf5_json["database"]["v0"]["annotations"]["segment"] = [0, 6]  # hdf5 segments are 0-based
    (tmp_path / "h5.json").write_text(json.dumps(hdf5_json))
    jpg_record = build_records(annotation, tmp_path / "frames", "train").records[0]
    h5_record = build_records(tmp_path / "h5.json", tmp_path / "h5", "train", "hdf5").records[0]
    assert h5_record.frame_indices == jpg_record.frame_indices == range(6)
    indices = [5, 0, 3, 3]
    assert torch.equal(
        Hdf5Reader().read(h5_record, indices), JpegFolderReader().read(jpg_record, indices)
    )
    with pytest.raises(DataError, match=r"v0\.hdf5: frame 6 asked, but 'video' holds only 6"):
        Hdf5Reader().read(h5_record, [6])


def test_hdf5_flow_gives_two_channels(tmp_path: Path) -> None:
    path = tmp_path / "v.hdf5"
    with h5py.File(path, "w") as handle:
        for name, value in (("video_u", 40), ("video_v", 200)):
            data = handle.create_dataset(name, (2,), dtype=h5py.vlen_dtype(np.uint8))
            for index in range(2):
                image = np.full((16, 16, 3), value, dtype=np.uint8)
                data[index] = np.frombuffer(jpeg_bytes(image), np.uint8)
    from strg.data.records import VideoRecord

    frames = Hdf5Reader("flow").read(VideoRecord("v", "training", path, range(2)), [0, 1])
    assert frames.shape == (2, 2, 16, 16)
    assert abs(frames[:, 0].float().mean() - 40) < 3 and abs(frames[:, 1].float().mean() - 200) < 3
    with pytest.raises(ValueError, match="'flow' needs file_type 'hdf5'"):
        build_reader("jpg", "flow")


def write_video(path: Path, n_frames: int) -> None:
    with av.open(str(path), "w") as container:
        stream = container.add_stream("mpeg4", rate=12)
        stream.width, stream.height, stream.pix_fmt = 64, 48, "yuv420p"
        stream.options = {"qscale": "2"}
        for index in range(n_frames):
            frame = av.VideoFrame.from_ndarray(frame_image(0, index), format="rgb24")
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)


def test_video_reader_decodes_the_asked_frames_and_rejects_truncation(tmp_path: Path) -> None:
    from strg.data.records import VideoRecord

    path = tmp_path / "v.mp4"
    write_video(path, 12)
    record = VideoRecord("v", "training", path, range(12))
    frames = VideoFileReader().read(record, [7, 2, 11])
    assert frames.shape == (3, 3, 48, 64)
    originals = torch.stack(
        [torch.from_numpy(frame_image(0, i)).permute(2, 0, 1) for i in range(12)]
    ).float()
    for row, index in enumerate([7, 2, 11]):  # each decoded frame is closest to the one asked
        errors = (originals - frames[row].float()).abs().mean(dim=(1, 2, 3))
        assert int(errors.argmin()) == index and errors[index] < 8
    with pytest.raises(DataError, match=rf"{path} has only 12 decodable frames, frame 12 asked"):
        VideoFileReader().read(record, [0, 12])
    truncated = tmp_path / "cut.mp4"
    truncated.write_bytes(path.read_bytes()[: path.stat().st_size // 3])
    with pytest.raises(DataError, match=str(truncated)):
        VideoFileReader().read(VideoRecord("cut", "training", truncated, range(12)), range(12))


def test_flow_data_set_gives_two_channel_batches(tmp_path: Path) -> None:
    (tmp_path / "h5").mkdir()
    with h5py.File(tmp_path / "h5" / "f0.hdf5", "w") as handle:
        for name, value in (("video_u", 64), ("video_v", 192)):
            data = handle.create_dataset(name, (6,), dtype=h5py.vlen_dtype(np.uint8))
            for index in range(6):
                image = np.full((24, 32, 3), value, dtype=np.uint8)
                data[index] = np.frombuffer(jpeg_bytes(image), np.uint8)
    entry = {"subset": "training", "annotations": {"label": "a", "segment": [0, 6]}}
    (tmp_path / "flow.json").write_text(json.dumps({"labels": ["a"], "database": {"f0": entry}}))
    built = build_video_dataset(
        "train", tmp_path / "flow.json", tmp_path / "h5", file_type="hdf5", input_type="flow",
        sample_size=16, sample_duration=4, mean_dataset="0.5",
    )  # fmt: skip
    from strg.data.loader import build_loader

    (batch,) = list(build_loader(built.dataset, 1, shuffle=False, n_threads=0))
    assert batch.frames.shape == (1, 2, 4, 16, 16)
    # (64/255 - 0.5)/0.5 and (192/255 - 0.5)/0.5, within JPEG error
    assert abs(batch.frames[0, 0].mean().item() - (64 / 255 - 0.5) / 0.5) < 0.03
    assert abs(batch.frames[0, 1].mean().item() - (192 / 255 - 0.5) / 0.5) < 0.03


def test_relative_explicit_paths_as_sthv2_json_writes_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    frames = tmp_path / "frames"
    (frames / "42").mkdir(parents=True)
    for number in range(1, 5):
        (frames / "42" / f"{number:06d}.jpg").write_bytes(jpeg_bytes(frame_image(0, number)))
    annotation = tmp_path / "sthv2.json"
    entry = {"subset": "validation", "annotations": {"label": CLASSES[0], "segment": [1, 5]}}
    entry["video_path"] = "frames/42"  # relative, as `sthv2_json DIR frames DST` run in tmp_path
    annotation.write_text(json.dumps({"labels": CLASSES, "database": {"42": entry}}))
    monkeypatch.chdir(tmp_path)  # as given, relative to the working directory
    assert build_records(annotation, Path("unused"), "val").records[0].path == Path("frames/42")
    moved = tmp_path / "moved"
    frames.rename(moved)  # the frame root moved: found as <video_path>/<id>
    assert build_records(annotation, moved, "val").records[0].path == moved / "42"
    with pytest.raises(DataError, match="42"):
        build_records(annotation, tmp_path / "nowhere", "val")
