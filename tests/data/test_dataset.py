"""The data set end to end: frames + boxes + targets, collate, loaders and reproducibility."""

from __future__ import annotations

import json
from pathlib import Path

import av
import numpy as np
import pytest
import torch

import strg.data.collate
from strg.data.builder import build_video_dataset
from strg.data.collate import collate_videos
from strg.data.loader import SeededSampler, build_loader
from strg.data.proposal_store import ProposalStore, from_frame_lists
from strg.data.records import DataError
from strg.prep.sthv2 import build_annotation
from strg.structures import Batch, Clip, VideoItem
from tests.data.conftest import CLASSES, make_jpg_dataset


def test_boxes_follow_the_feature_step_rule_and_are_rescaled(tmp_path: Path) -> None:
    annotation = make_jpg_dataset(tmp_path, n_videos=1, n_frames=12)
    built = build_video_dataset(
        "val",
        annotation,
        tmp_path / "frames",
        "train",
        sample_size=48,
        sample_duration=8,
        n_val_samples=1,
        mean_dataset="0.5",
        proposal_path=tmp_path / "props",
        nrois=3,
        temporal_stride=2,
    )
    (clip,) = built.dataset[0].clips
    assert clip.frames.shape == (3, 8, 48, 48) and clip.frame_indices == list(range(2, 10))
    assert clip.boxes.shape == (4, 3, 4) and clip.box_mask.shape == (4, 3)
    # steps take sampled frames 0, 2, 4, 6 of the clip: frames 2, 4, 6, 8, all stored.
    # stored [8 + 2i, 20, 40 + 2i, 60] at 128×96 → halved on the 64×48 frames → centre crop
    # 48 wide removes 8 columns; the second box [60, 40, 100, 90] → [30, 20, 50, 45] → [22, 20,
    # 42, 45] clipped to the 48×48 view: [22, 20, 42, 45]
    for step, frame in enumerate([2, 4, 6, 8]):
        expected = torch.tensor([frame - 4.0, 10, 12 + frame, 30]).clamp(min=0)
        torch.testing.assert_close(clip.boxes[step, 0], expected)
        torch.testing.assert_close(clip.boxes[step, 1], torch.tensor([22.0, 20, 42, 45]))
    assert clip.box_mask[:, :2].all() and not clip.box_mask[:, 2].any()
    assert torch.all(clip.boxes[:, 2] == 0)
    assert clip.target == 0 and clip.segment == [3, 11]


def test_short_video_is_loop_padded_never_shorter(tmp_path: Path) -> None:
    annotation = make_jpg_dataset(tmp_path, n_videos=2, n_frames=5)
    for phase in ("train", "val", "inference"):
        built = build_video_dataset(
            phase, annotation, tmp_path / "frames", "train", sample_size=32, sample_duration=16
        )
        for clip in built.dataset[1].clips:
            assert clip.frames.shape == (3, 16, 32, 32)
            assert clip.frame_indices == [0, 1, 2, 3, 4] * 3 + [0]


def test_validation_and_three_crop_inference_clip_counts(tmp_path: Path) -> None:
    annotation = make_jpg_dataset(tmp_path, n_videos=3, n_frames=20)
    val = build_video_dataset(
        "val",
        annotation,
        tmp_path / "frames",
        "train",
        sample_size=32,
        sample_duration=8,
        n_val_samples=2,
    )
    inference = build_video_dataset(
        "inference",
        annotation,
        tmp_path / "frames",
        "train",
        sample_size=32,
        sample_duration=8,
        inference_stride=8,
        inference_crop="three",
    )
    assert [c.frame_indices[0] for c in val.dataset[0].clips] == [0, 11]
    clips = inference.dataset[0].clips  # windows at 0, 8, 16 (looped) × 3 crops
    assert len(clips) == 9 and [c.frame_indices[0] for c in clips[::3]] == [0, 8, 16]
    batch = collate_videos([inference.dataset[0], inference.dataset[1]])
    assert batch.frames.shape == (18, 3, 8, 32, 32)
    assert batch.video_index.tolist() == [0] * 9 + [1] * 9
    assert batch.video_ids == ["v0", "v1"] and batch.targets.tolist() == [0] * 9 + [1] * 9
    assert batch.segments[0] == [1, 9] and batch.segments[6] == [17, 21]


def test_label_swapping_flip(tmp_path: Path) -> None:
    annotation = make_jpg_dataset(tmp_path, n_videos=3, n_frames=8)
    built = build_video_dataset(
        "train",
        annotation,
        tmp_path / "frames",
        sample_size=32,
        sample_duration=4,
        no_hflip=True,
        flip_swap_labels=True,
    )
    plain = build_video_dataset(
        "train",
        annotation,
        tmp_path / "frames",
        sample_size=32,
        sample_duration=4,
        no_hflip=True,
    )
    seen = {}
    for seed in range(16):
        for index in range(3):
            generator = torch.Generator().manual_seed(seed)
            (view,) = built.dataset.spatial(
                torch.zeros(4, 3, 48, 64, dtype=torch.uint8), None, None, generator
            )
            (clip,) = built.dataset[(index, seed)].clips
            seen[(index, view.flipped)] = clip.target
            assert plain.dataset[(index, seed)].clips[0].target == index
    # left-to-right (0) and right-to-left (1) swap when flipped; "Other" (2) keeps its class
    assert seen == {
        (0, False): 0,
        (0, True): 1,
        (1, False): 1,
        (1, True): 0,
        (2, False): 2,
        (2, True): 2,
    }


def test_multi_label_targets(tmp_path: Path) -> None:
    annotation = make_jpg_dataset(tmp_path, n_videos=2, n_frames=4)
    data = json.loads(annotation.read_text())
    data["database"]["v0"]["annotations"]["labels"] = [CLASSES[0], CLASSES[2]]
    annotation.write_text(json.dumps(data))
    built = build_video_dataset(
        "train",
        annotation,
        tmp_path / "frames",
        sample_size=32,
        sample_duration=4,
        multi_label=True,
    )
    batch = collate_videos([built.dataset[0], built.dataset[1]])
    assert batch.targets.dtype == torch.float32
    assert batch.targets.tolist() == [[1.0, 0.0, 1.0], [0.0, 1.0, 0.0]]


def batches(dataset, n_threads: int, seed: int, epochs: int = 2) -> list[Batch]:
    loader = build_loader(dataset, batch_size=2, shuffle=True, seed=seed, n_threads=n_threads)
    return [batch for _ in range(epochs) for batch in loader]


def test_same_seed_same_batches_with_any_number_of_workers(tmp_path: Path) -> None:
    annotation = make_jpg_dataset(tmp_path, n_videos=5, n_frames=10)
    built = build_video_dataset(
        "train",
        annotation,
        tmp_path / "frames",
        sample_size=32,
        sample_duration=4,
        colorjitter=True,
        proposal_path=tmp_path / "props",
        nrois=2,
        temporal_stride=2,
        seed=3,
    )
    reference = batches(built.dataset, 0, seed=11)
    assert len(reference) == 6  # 3 batches per epoch, 2 epochs
    for n_threads in (1, 2):
        for ours, theirs in zip(batches(built.dataset, n_threads, seed=11), reference, strict=True):
            assert ours.video_ids == theirs.video_ids
            torch.testing.assert_close(ours.frames, theirs.frames, rtol=0, atol=0)
            torch.testing.assert_close(ours.boxes, theirs.boxes, rtol=0, atol=0)
            assert torch.equal(ours.box_mask, theirs.box_mask)
            assert torch.equal(ours.targets, theirs.targets)
    epoch_1 = [b.video_ids for b in reference[:3]]
    epoch_2 = [b.video_ids for b in reference[3:]]
    other_seed = batches(built.dataset, 0, seed=12, epochs=1)
    assert epoch_1 != epoch_2 or not torch.equal(reference[0].frames, reference[3].frames)
    assert [b.video_ids for b in other_seed] != epoch_1 or not torch.equal(
        other_seed[0].frames, reference[0].frames
    )


def test_sampler_splits_for_replicas_and_counts_epochs() -> None:
    sampler = SeededSampler(5, seed=1, shuffle=True, num_replicas=2, rank=1)
    first, second = list(sampler), list(sampler)
    assert len(first) == len(sampler) == 3 and first != second
    sampler.set_epoch(0)
    assert list(sampler) == first
    everything = list(SeededSampler(5, seed=1, shuffle=True, num_replicas=2, rank=0)) + first
    assert {index for index, _ in everything} == set(range(5))


def test_an_unpadded_split_gives_every_item_once() -> None:
    shares = [list(SeededSampler(7, seed=1, shuffle=False, num_replicas=3, rank=rank, pad=False))
              for rank in range(3)]  # fmt: skip
    assert [[index for index, _ in share] for share in shares] == [[0, 3, 6], [1, 4], [2, 5]]
    assert [len(SeededSampler(7, num_replicas=3, rank=rank, pad=False)) for rank in range(3)] == [
        3, 2, 2,
    ]  # fmt: skip


def test_something_something_v2_frames_videos_and_boxes(
    synth_dir: Path, frames_dir: Path, tmp_path: Path
) -> None:
    """The embedded data set: v2 frames (%06d.jpg) and the webm videos, Something-Else boxes."""
    annotation = build_annotation(synth_dir, frames_dir).annotation
    annotation_path = tmp_path / "sthv2.json"
    annotation_path.write_text(json.dumps(annotation))
    training = [k for k, v in annotation["database"].items() if v["subset"] == "training"][:2]
    something_else = json.loads((synth_dir / "bounding_box_smthsmth.json").read_text())
    store = ProposalStore(tmp_path / "boxes")
    for video_id in training:
        frames = something_else[video_id]
        boxes = [
            np.array(
                [[label["box2d"][k] for k in ("x1", "y1", "x2", "y2")] for label in frame["labels"]]
            ).reshape(-1, 4)
            for frame in frames
        ]
        with av.open(str(synth_dir / "videos" / f"{video_id}.webm")) as container:
            size = (container.streams.video[0].height, container.streams.video[0].width)
        store.save(video_id, from_frame_lists(list(range(len(frames))), boxes, size))
    common = dict(
        sample_size=112,
        sample_duration=8,
        temporal_sampling="segment",
        no_hflip=True,
        proposal_path=tmp_path / "boxes",
        nrois=4,
        temporal_stride=2,
        skip_missing=True,
    )
    jpg = build_video_dataset(
        "val",
        annotation_path,
        frames_dir,
        "train",
        frame_pattern="sthv2",
        n_val_samples=1,
        **common,
    )
    video = build_video_dataset(
        "val",
        annotation_path,
        synth_dir / "videos",
        "train",
        file_type="video",
        n_val_samples=1,
        **common,
    )
    assert [r.video_id for r in jpg.dataset.records] == training
    assert video.dataset.records[0].path == synth_dir / "videos" / f"{training[0]}.webm"
    from_jpg, from_video = jpg.dataset[0].clips[0], video.dataset[0].clips[0]
    assert from_jpg.frames.shape == from_video.frames.shape == (3, 8, 112, 112)
    assert from_jpg.frame_indices == from_video.frame_indices
    # the same frames, decoded from the extracted JPEGs or from the webm directly
    assert (from_jpg.frames.float() - from_video.frames.float()).abs().mean() < 8
    assert from_jpg.boxes.shape == (4, 4, 4) and from_jpg.box_mask.sum() >= 8
    widths = from_jpg.boxes[..., 2] - from_jpg.boxes[..., 0]
    assert torch.all(widths[from_jpg.box_mask] > 1) and from_jpg.boxes.max() <= 112
    # boxes measured on 240-high frames land where the 256-high JPEGs and the video put them
    torch.testing.assert_close(from_jpg.boxes, from_video.boxes, atol=1.0, rtol=0)
    loader = build_loader(jpg.dataset, batch_size=2, shuffle=False, n_threads=0)
    (batch,) = list(loader)
    assert batch.frames.shape == (2, 3, 8, 112, 112) and batch.boxes.shape == (2, 4, 4, 4)
    assert "no proposals" in jpg.summary()


def test_collate_rejects_mixed_sizes_with_a_hint(tmp_path: Path) -> None:
    annotation = make_jpg_dataset(tmp_path, n_videos=2, n_frames=4)
    built = build_video_dataset(
        "inference",
        annotation,
        tmp_path / "frames",
        "train",
        sample_size=32,
        sample_duration=4,
        inference_crop="nocrop",
    )
    small = build_video_dataset(
        "inference",
        annotation,
        tmp_path / "frames",
        "train",
        sample_size=24,
        sample_duration=4,
        inference_crop="nocrop",
    )
    assert built.dataset[0].clips[0].frames.shape == (3, 4, 32, 42)
    with pytest.raises(DataError, match="inference_batch_size 1"):
        collate_videos([built.dataset[0], small.dataset[1]])
    batch = collate_videos([built.dataset[0]]).to("cpu")
    assert batch.frames.dtype == torch.uint8 and batch.frames.shape == (1, 3, 4, 32, 42)


def test_worker_batches_are_uint8_in_shared_memory(monkeypatch: pytest.MonkeyPatch) -> None:
    """In a loader worker the uint8 batch is born in shared memory (no copy when it is sent),
    contiguous whatever the clips' layout (channels-last, as the resize gives them)."""
    channels_last = torch.randint(0, 256, (2, 8, 8, 3), dtype=torch.uint8)
    clip = channels_last.permute(3, 0, 1, 2)  # C×T×H×W seen on T×H×W×C memory
    items = [VideoItem([Clip(frames=clip, target=0, video_id="v", frame_indices=[0, 1])], [])]
    assert not collate_videos(items).frames.is_shared()
    monkeypatch.setattr(strg.data.collate, "get_worker_info", lambda: object())
    batch = collate_videos(items)
    assert batch.frames.is_shared() and batch.frames.is_contiguous()
    assert batch.frames.dtype == torch.uint8 and batch.frames.shape == (1, 3, 2, 8, 8)
    assert torch.equal(batch.frames[0], clip)


@pytest.mark.parametrize("n_threads", [0, 2])
def test_loader_batches_are_normalised_in_the_main_process(tmp_path: Path, n_threads: int) -> None:
    """The loader's float32 frames are the collated uint8 clips, normalised with the data set's
    mean, std and value_scale, whether the clips come from workers or not."""
    annotation = make_jpg_dataset(tmp_path, n_videos=3, n_frames=6)
    built = build_video_dataset(
        "val", annotation, tmp_path / "frames", "train", sample_size=32, sample_duration=4,
        mean_dataset="activitynet", value_scale=255,
    )  # fmt: skip
    dataset = built.dataset
    loader = build_loader(dataset, batch_size=2, shuffle=False, n_threads=n_threads)
    batches = list(loader)
    # validation: 3 clips per video
    assert [len(batch) for batch in batches] == [6, 3] and len(loader) == 2
    uint8 = collate_videos([dataset[0], dataset[1]]).frames
    expected = (
        uint8.double() / 255 * 255
        - torch.tensor(dataset.mean, dtype=torch.float64).view(3, 1, 1, 1)
    ) / torch.tensor(dataset.std, dtype=torch.float64).view(3, 1, 1, 1)
    assert batches[0].frames.dtype == torch.float32 and batches[0].frames.is_contiguous()
    torch.testing.assert_close(batches[0].frames.double(), expected, rtol=1e-6, atol=1e-5)
    assert batches[1].video_ids == [dataset.records[2].video_id]
