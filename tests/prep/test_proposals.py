"""extract_proposals and import_boxes: files in the proposal store, read back by its reader."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from strg.data.proposal_store import ProposalStore
from strg.prep.import_boxes import HAND_ID
from tests.conftest import run_command
from tests.prep.media import ODD_NAME, copy_frames

SIZE = 128  # the detector's input short side: tiny, so the test is fast on a CPU
N_FRAMES = 9  # frames 0, 2, 4, 6, 8 get proposals


@pytest.fixture(scope="module")
def detector_weights(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from torchvision.models.detection import fasterrcnn_resnet50_fpn

    torch.manual_seed(0)
    model = fasterrcnn_resnet50_fpn(weights=None, weights_backbone=None)
    path = tmp_path_factory.mktemp("weights") / "random_frcnn.pth"
    torch.save(model.state_dict(), path)
    return path


@pytest.fixture(scope="module")
def frame_tree(frames_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """Three videos of N_FRAMES real frames: one by video_path (%06d.jpg), one by
    FRAME_ROOT/<label>/<id> (image_%05d.jpg, odd name), one testing entry; and the JSON."""
    root = tmp_path_factory.mktemp("proposals")
    sources = sorted(frames_dir.iterdir())
    frame_root = root / "frames"
    flat = copy_frames(sources[0], root / "flat" / "v0", N_FRAMES, name="{:06d}.jpg")
    copy_frames(sources[1], frame_root / "Holding something" / ODD_NAME, N_FRAMES)
    copy_frames(sources[2], frame_root / "test" / "v2", N_FRAMES)
    annotation = {
        "labels": ["Holding something"],
        "database": {
            "v0": {"subset": "training", "video_path": str(flat),
                   "annotations": {"label": "Holding something", "segment": [1, 10]}},
            ODD_NAME: {"subset": "training",
                       "annotations": {"label": "Holding something", "segment": [1, 10]}},
            "v2": {"subset": "testing", "annotations": {"segment": [1, 10]}},
        },
    }  # fmt: skip
    (root / "a.json").write_text(json.dumps(annotation))
    return frame_root, root / "a.json"


def extract(frame_tree, out: Path, weights: Path, *extra: str):
    frame_root, annotation = frame_tree
    return run_command(["-m", "util_scripts.extract_proposals", str(frame_root), str(annotation),
                        str(out), "--detector_weights", str(weights), "--size", str(SIZE),
                        "--batch_size", "4", "--device", "cpu", "--quiet", *extra])  # fmt: skip


def reference_rpn_boxes(weights: Path, frame_path: Path) -> tuple[torch.Tensor, tuple[int, int]]:
    """All post-NMS proposals of torchvision's own RPN forward, in original-frame pixels."""
    from torchvision.models.detection import fasterrcnn_resnet50_fpn
    from torchvision.models.detection.transform import resize_boxes

    model = fasterrcnn_resnet50_fpn(weights=None, weights_backbone=None, min_size=SIZE,
                                    max_size=int(np.ceil(SIZE * 1333 / 800)))  # fmt: skip
    model.load_state_dict(torch.load(weights, weights_only=True))
    model.eval()
    with Image.open(frame_path) as frame:
        image = torch.from_numpy(np.array(frame.convert("RGB"))).permute(2, 0, 1).float() / 255
    with torch.no_grad():
        images, _ = model.transform([image])
        boxes, _ = model.rpn(images, model.backbone(images.tensors))
    size = tuple(image.shape[-2:])
    return resize_boxes(boxes[0], images.image_sizes[0], size), size


def test_extract_proposals_end_to_end_in_shards_then_resume(
    frame_tree, detector_weights: Path, tmp_path: Path
) -> None:
    out = tmp_path / "proposals"
    written = 0
    for shard in ("0/2", "1/2"):
        result = extract(frame_tree, out, detector_weights, "--nrois", "6", "--shard", shard)
        assert result.returncode == 0, result.stderr
        written += int(result.stdout.split("written for ")[1].split()[0])
        assert "already done 0, failed 0" in result.stdout  # shards never overlap
    assert written == 3
    store = ProposalStore(out)
    assert store.missing(["v0", ODD_NAME, "v2"]) == []
    first_frames = {
        "v0": frame_tree[0].parent / "flat" / "v0" / "000001.jpg",
        ODD_NAME: frame_tree[0] / "Holding something" / ODD_NAME / "image_00001.jpg",
        "v2": frame_tree[0] / "test" / "v2" / "image_00001.jpg",
    }
    for video_id, first_frame in first_frames.items():
        proposals = store.load(video_id)
        np.testing.assert_array_equal(proposals.frame_indices, [0, 2, 4, 6, 8])
        np.testing.assert_array_equal(proposals.counts, [6] * 5)
        height, width = proposals.frame_size
        with Image.open(first_frame) as image:  # boxes are in pixels of the frames on disk
            assert (height, width) == (image.height, image.width) and height == 256
        assert np.all(np.diff(proposals.scores, axis=1) <= 0)  # best objectness first
        assert np.all((proposals.scores > 0) & (proposals.scores <= 1))
        boxes = proposals.boxes
        assert np.all(boxes[..., 2] > boxes[..., 0]) and np.all(boxes[..., 3] > boxes[..., 1])
        assert boxes[..., 0::2].max() <= width and boxes[..., 1::2].max() <= height
        assert boxes.min() >= 0
        # through the reader the data loader uses: 10 requested, 6 real, padded and masked
        selected, scores, mask = proposals.select([0, 1, 8], n_boxes=10)
        assert selected.shape == (3, 10, 4) and mask[:, :6].all() and not mask[:, 6:].any()
        np.testing.assert_array_equal(selected[2, :6], proposals.boxes[4])
        assert np.all(scores[~mask] == 0) and np.all(selected[~mask] == 0)
    # The stored boxes are proposals of torchvision's own RPN (mapped back to frame pixels), and
    # no two of them overlap more than the RPN's NMS threshold.
    frame = frame_tree[0] / "Holding something" / ODD_NAME / "image_00005.jpg"
    reference, size = reference_rpn_boxes(detector_weights, frame)
    stored = torch.from_numpy(store.load(ODD_NAME).boxes[2])
    assert size == store.load(ODD_NAME).frame_size
    distance = torch.cdist(stored, reference).min(dim=1).values
    assert torch.all(distance < 0.5), distance  # batched vs single forward, clamping
    from torchvision.ops import box_iou

    overlap = box_iou(stored, stored) - torch.eye(len(stored))
    assert overlap.max() <= 0.7 + 1e-6

    # An interrupted run: one video never written, a temporary file left by a killed write.
    store.path("v2").unlink()
    (out / ".v0.npz.abc123.tmp").write_bytes(b"half")
    before = {name: os.stat(store.path(name)).st_mtime_ns for name in ["v0", ODD_NAME]}
    rerun = extract(frame_tree, out, detector_weights, "--nrois", "6")
    assert rerun.returncode == 0, rerun.stderr
    assert "written for 1 videos (5 frames), already done 2, failed 0" in rerun.stdout
    assert {name: os.stat(store.path(name)).st_mtime_ns for name in before} == before
    assert store.load("v2").boxes.shape == (5, 6, 4)


def test_missing_frames_fail_by_name_and_missing_weights_are_explained(
    frame_tree,
    detector_weights: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from strg.cli.extract_proposals import main  # in-process: saves three torch start-ups

    frame_root, annotation_path = frame_tree
    annotation = json.loads(annotation_path.read_text())
    annotation["database"]["gone"] = {"subset": "training", "video_path": str(tmp_path / "gone"),
                                      "annotations": {"label": "Holding something"}}  # fmt: skip
    broken = copy_frames(frame_root / "test" / "v2", tmp_path / "broken", 5)
    (broken / "image_00003.jpg").unlink()
    annotation["database"]["broken"] = {"subset": "training", "video_path": str(broken),
                                        "annotations": {"label": "Holding something"}}  # fmt: skip
    for video_id in ["v0", ODD_NAME, "v2"]:
        del annotation["database"][video_id]
    path = tmp_path / "b.json"
    path.write_text(json.dumps(annotation))
    common = [str(frame_root), str(path), str(tmp_path / "out"), "--size", str(SIZE), "--quiet"]
    assert main([*common, "--detector_weights", str(detector_weights), "--device", "cpu"]) == 1
    out = capsys.readouterr().out
    assert f"FAILED gone: no frames in {tmp_path / 'gone'}" in out
    assert "FAILED broken: frame" in out and "image_00003.jpg" in out
    assert not list((tmp_path / "out").iterdir())

    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch_home"))  # no cached COCO weights
    assert main(common) == 2
    error = capsys.readouterr().err
    assert "--detector_weights" in error and "COCO" in error
    assert main([*common, "--detector_weights", str(annotation_path)]) == 2
    assert str(annotation_path) in capsys.readouterr().err


def test_import_boxes_from_part_files(synth_dir: Path, tmp_path: Path) -> None:
    boxes = json.loads((synth_dir / "bounding_box_smthsmth.json").read_text())
    ids = sorted(boxes)
    part1, part2 = tmp_path / "part 1 é.json", tmp_path / "part2.json"
    part1.write_text(json.dumps({video_id: boxes[video_id] for video_id in ids[:5]}))
    part2.write_text(json.dumps({video_id: boxes[video_id] for video_id in ids[5:]}))
    out = tmp_path / "store"
    result = run_command(["util_scripts/import_boxes.py", str(part1), str(part2), str(out),
                          "--video_dir", str(synth_dir / "videos"), "--quiet"])  # fmt: skip
    assert result.returncode == 0, result.stderr
    total = sum(len(frame["labels"]) for frames in boxes.values() for frame in frames)
    assert f"imported {total} boxes of {len(ids)} videos, failed 0" in result.stdout
    store = ProposalStore(out)
    video_id = ids[3]
    stored = store.load(video_id)
    frames = boxes[video_id]
    np.testing.assert_array_equal(stored.frame_indices, np.arange(len(frames)))
    assert stored.frame_size[0] == 240 and stored.frame_size[1] in (320, 426)
    for index in (0, len(frames) // 2, len(frames) - 1):
        labels = frames[index]["labels"]
        assert stored.counts[index] == len(labels)
        expected = [[label["box2d"][key] for key in ("x1", "y1", "x2", "y2")] for label in labels]
        np.testing.assert_allclose(stored.boxes[index, : len(labels)], expected, rtol=1e-6)
        hands = iter(range(HAND_ID, HAND_ID + 10))
        expected_ids = [
            next(hands) if label["standard_category"] == "hand"
            else int(label["standard_category"])
            for label in labels
        ]  # fmt: skip
        np.testing.assert_array_equal(stored.object_ids[index, : len(labels)], expected_ids)
        np.testing.assert_array_equal(stored.scores[index, : len(labels)], 1.0)

    (tmp_path / "videos").mkdir()
    missing = run_command(["-m", "util_scripts.import_boxes", str(part1), str(tmp_path / "s2"),
                           "--video_dir", str(tmp_path / "videos")])  # fmt: skip
    assert missing.returncode == 1 and f"FAILED {ids[0]}: {part1}" in missing.stdout
    twice = run_command(["-m", "util_scripts.import_boxes", str(part1), str(part1),
                         str(tmp_path / "s3"), "--frame_size", "240", "320"])  # fmt: skip
    assert twice.returncode == 2 and "also in" in twice.stderr
