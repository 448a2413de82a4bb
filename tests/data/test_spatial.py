"""Joint spatial transforms: a box drawn into the frames follows every crop, resize and flip."""

from __future__ import annotations

import pytest
import torch

from strg.data.label_flip import flip_label_map, mirrored_name
from strg.data.spatial import build_spatial_transform

HEIGHT, WIDTH = 120, 160
BOX = (50.0, 30.0, 110.0, 90.0)  # x1, y1, x2, y2: columns 50..109, rows 30..89
SIZE = 64


def clip_with_box(frames: int = 4) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Black frames with a white box; boxes T'=2 steps × N=2 (the second one padding)."""
    video = torch.zeros(frames, 3, HEIGHT, WIDTH, dtype=torch.uint8)
    x1, y1, x2, y2 = (int(v) for v in BOX)
    video[:, :, y1:y2, x1:x2] = 255
    boxes = torch.zeros(2, 2, 4)
    boxes[:, 0] = torch.tensor(BOX)
    mask = torch.tensor([[True, False], [True, False]])
    return video, boxes, mask


def box_from_pixels(frame: torch.Tensor) -> torch.Tensor:
    """The XYXY box around the bright pixels of a C×H×W frame (threshold halfway)."""
    gray = frame.float().mean(0)
    bright = gray > (gray.max() + gray.min()) / 2
    rows = torch.nonzero(bright.any(1)).flatten()
    cols = torch.nonzero(bright.any(0)).flatten()
    return torch.tensor([cols[0], rows[0], cols[-1] + 1, rows[-1] + 1], dtype=torch.float32)


TRANSFORMS = [
    ("train", {"train_crop": "random"}),
    ("train", {"train_crop": "random", "colorjitter": True}),
    ("train", {"train_crop": "corner"}),
    ("train", {"train_crop": "center"}),
    ("val", {}),
    ("inference", {"inference_crop": "center"}),
    ("inference", {"inference_crop": "three"}),
    ("inference", {"inference_crop": "nocrop"}),
]


@pytest.mark.parametrize(("phase", "options"), TRANSFORMS)
def test_box_follows_the_pixels_within_one_pixel(phase: str, options: dict) -> None:
    transform = build_spatial_transform(
        phase, sample_size=SIZE, train_crop_min_scale=0.5, **options
    )
    video, boxes, mask = clip_with_box()
    checked, flips = 0, set()
    for seed in range(12):
        for view in transform(video, boxes, mask, torch.Generator().manual_seed(seed)):
            assert view.video.dtype == torch.uint8 and view.video.shape[:2] == (4, 3)
            height, width = view.video.shape[-2:]
            if options.get("inference_crop") != "nocrop":
                assert (height, width) == (SIZE, SIZE)
            else:
                assert min(height, width) == SIZE and width == int(SIZE * WIDTH / HEIGHT)
            assert view.boxes.shape == (2, 2, 4) and view.mask.shape == (2, 2)
            assert not view.mask[:, 1].any() and torch.all(view.boxes[:, 1] == 0)
            flips.add(view.flipped)
            if not view.mask[0, 0]:
                continue  # the crop missed the box: its pixels are gone as well
            assert not (view.video[0] > 200).all(), "the box filled the whole view"
            for t in range(4):  # every frame got the same crop
                torch.testing.assert_close(
                    box_from_pixels(view.video[t]), view.boxes[t // 2, 0], atol=1.0, rtol=0
                )
            checked += 1
    assert checked >= 6
    if phase == "train":
        assert flips == {True, False}, "the flip is drawn per clip with p = 0.5"


def test_three_crops_cover_the_long_side() -> None:
    transform = build_spatial_transform("inference", sample_size=SIZE, inference_crop="three")
    video, boxes, mask = clip_with_box()
    views = transform(video, boxes, mask, torch.Generator())
    assert len(views) == 3
    lefts = [box_from_pixels(view.video[0])[0].item() for view in views if view.mask[0, 0]]
    assert lefts == sorted(lefts, reverse=True) and lefts[0] > lefts[-1]


def test_flipping_twice_is_the_identity() -> None:
    transform = build_spatial_transform(
        "train", sample_size=SIZE, train_crop="center", no_hflip=False
    )
    video, boxes, mask = clip_with_box()
    seed = next(
        s
        for s in range(50)
        if transform(video, boxes, mask, torch.Generator().manual_seed(s))[0].flipped
    )
    once = transform(video, boxes, mask, torch.Generator().manual_seed(seed))[0]
    mirror = build_spatial_transform("val", sample_size=SIZE)  # same size: only the flip acts
    flipped_twice = transform(
        once.video, once.boxes, once.mask, torch.Generator().manual_seed(seed)
    )
    unflipped = mirror(video, boxes, mask, torch.Generator())[0]
    assert flipped_twice[0].flipped
    torch.testing.assert_close(flipped_twice[0].video, unflipped.video)
    torch.testing.assert_close(flipped_twice[0].boxes, unflipped.boxes)
    assert not torch.equal(once.video, unflipped.video)


def test_boxes_outside_the_crop_are_clipped_or_masked() -> None:
    transform = build_spatial_transform("val", sample_size=SIZE)  # 160×120 → 85×64 → centre 64
    video = torch.zeros(2, 3, HEIGHT, WIDTH, dtype=torch.uint8)
    boxes = torch.tensor([[[0.0, 0.0, 20.0, 20.0], [10.0, 10.0, 100.0, 60.0]]])
    view = transform(video, boxes, torch.ones(1, 2, dtype=torch.bool), torch.Generator())[0]
    assert view.mask.tolist() == [[False, True]]  # the first one lies left of the centre crop
    assert torch.all(view.boxes[0, 0] == 0)
    x1, y1, x2, y2 = view.boxes[0, 1].tolist()
    assert x1 == 0 and 0 < y1 < y2 <= SIZE and x2 <= SIZE


def test_colour_jitter_changes_colours_and_is_reproducible() -> None:
    transform = build_spatial_transform("train", sample_size=SIZE, colorjitter=True)
    video = torch.randint(0, 256, (2, 3, HEIGHT, WIDTH), dtype=torch.uint8)
    plain = build_spatial_transform("train", sample_size=SIZE)
    a = transform(video, None, None, torch.Generator().manual_seed(1))[0].video
    b = transform(video, None, None, torch.Generator().manual_seed(1))[0].video
    torch.testing.assert_close(a, b)
    # same crop drawn first, then jitter: differs from the un-jittered view
    c = plain(video, None, None, torch.Generator().manual_seed(1))[0].video
    assert (a.float() - c.float()).abs().mean() > 2


def test_label_flip_map_pairs_left_and_right_classes() -> None:
    names = [
        "Pushing something from left to right",
        "Pushing something from right to left",
        "Holding something",
        "Turning LEFT",
        "Turning RIGHT",
        "Moving something leftwards",
    ]
    assert mirrored_name(names[0]) == names[1]
    assert flip_label_map(names) == [1, 0, 2, 4, 3, 5]
