"""The embedded data set's boxes: in the frame, on their object, moving as the class says."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from strg.synth import ACTION_CLASSES
from strg.synth.render import PALETTE, SKIN_TONES
from tests.synth.test_dataset_files import decode

COLOUR_TOLERANCE = 40  # max channel difference after VP9 / yuv420p compression
EDGE_SLACK = 4  # pixels between a box edge and the nearest pixel of its object's colour


def object_colours(category: str) -> np.ndarray:
    if category == "hand":
        return np.array(SKIN_TONES)
    return np.array([PALETTE[category.split()[0]]])


def test_every_box_lies_in_its_frame_and_is_tight_around_its_objects_colour(
    synth_dir: Path,
) -> None:
    boxes = json.loads((synth_dir / "bounding_box_smthsmth.json").read_text())
    checked = 0
    for video_id, frames in boxes.items():
        video = decode(synth_dir / "videos" / f"{video_id}.webm")
        height, width = video.shape[1:3]
        for image, frame in zip(video, frames, strict=True):
            for label in frame["labels"]:
                box = label["box2d"]
                x1, y1, x2, y2 = (box[key] for key in ("x1", "y1", "x2", "y2"))
                assert 0 <= x1 < x2 <= width and 0 <= y1 < y2 <= height, (
                    video_id,
                    frame["name"],
                    box,
                )
                crop = image[int(y1) : int(y2), int(x1) : int(x2)].astype(int)
                colours = object_colours(label["category"])
                distance = (
                    np.abs(crop[:, :, None, :] - colours[None, None]).max(axis=-1).min(axis=-1)
                )
                match = distance <= COLOUR_TOLERANCE
                assert match.sum() >= 15, (video_id, frame["name"], label)
                rows = np.flatnonzero(match.any(axis=1))
                cols = np.flatnonzero(match.any(axis=0))
                slack = max(
                    rows[0], cols[0], match.shape[0] - 1 - rows[-1], match.shape[1] - 1 - cols[-1]
                )
                assert slack <= EDGE_SLACK, (video_id, frame["name"], label, slack)
                checked += 1
    assert checked > 1000


def centre(box: dict[str, float]) -> np.ndarray:
    return np.array([(box["x1"] + box["x2"]) / 2, (box["y1"] + box["y2"]) / 2])


def tracks(frames: list[dict]) -> dict[str, list[dict[str, float] | None]]:
    """standard_category -> its box in every frame (None where it is hidden)."""
    codes = {label["standard_category"] for frame in frames for label in frame["labels"]}
    return {
        code: [
            next(
                (label["box2d"] for label in frame["labels"] if label["standard_category"] == code),
                None,
            )
            for frame in frames
        ]
        for code in codes
    }


def distance(box_a: dict[str, float], box_b: dict[str, float]) -> float:
    return float(np.linalg.norm(centre(box_a) - centre(box_b)))


def gap(box_a: dict[str, float], box_b: dict[str, float]) -> float:
    dx = max(box_a["x1"] - box_b["x2"], box_b["x1"] - box_a["x2"], 0)
    dy = max(box_a["y1"] - box_b["y2"], box_b["y1"] - box_a["y2"], 0)
    return float(max(dx, dy))


def check_motion(name: str, a: list, b: list, hand: list) -> None:
    """Assert the relation the class name states, on the boxes of A, B and the hand."""
    first, last = 0, len(a) - 1
    if name == "Moving something closer to something":
        assert distance(a[last], b[last]) < distance(a[first], b[first]) - 40
    elif name == "Moving something away from something":
        assert distance(a[last], b[last]) > distance(a[first], b[first]) + 40
    elif name == "Pushing something from left to right":
        assert centre(a[last])[0] - centre(a[first])[0] > 50
        assert centre(hand[first])[0] < centre(a[first])[0]
    elif name == "Pushing something from right to left":
        assert centre(a[first])[0] - centre(a[last])[0] > 50
        assert centre(hand[first])[0] > centre(a[first])[0]
    elif name == "Putting something on top of something":
        assert a[last]["y2"] <= b[last]["y1"] + 3 and a[first]["y2"] > b[first]["y1"] + 5
        assert a[last]["x1"] < b[last]["x2"] and b[last]["x1"] < a[last]["x2"]
    elif name == "Taking something off something":
        assert a[first]["y2"] <= b[first]["y1"] + 3 and a[last]["y2"] > b[last]["y1"] + 5
    elif name == "Putting something behind something":
        assert a[last]["y1"] < b[last]["y1"]
        assert a[last]["y2"] - a[last]["y1"] < 0.8 * (a[first]["y2"] - a[first]["y1"])
    elif name == "Taking something from behind something":
        assert a[first]["y1"] < b[first]["y1"]
        assert a[first]["y2"] - a[first]["y1"] < 0.8 * (a[last]["y2"] - a[last]["y1"])
    elif name == "Covering something with something":
        assert a[first] is not None and a[last] is None and b[last] is not None
    elif name == "Removing something, revealing something behind":
        assert a[first] is None and a[last] is not None
    elif name == "Moving something and something so they pass each other":
        before = np.sign(centre(a[first])[0] - centre(b[first])[0])
        after = np.sign(centre(a[last])[0] - centre(b[last])[0])
        assert before == -after != 0
    elif name == "Something colliding with something and bouncing back":
        distances = [
            distance(box_a, box_b) for box_a, box_b in zip(a, b, strict=True) if box_a and box_b
        ]
        assert min(distances) < distances[0] - 40 and abs(distances[-1] - distances[0]) < 10
    elif name == "Pretending to push something":
        centres = np.array([centre(box) for box in a if box])
        assert np.ptp(centres[:, 0]) < 8
        hand_x = np.array([centre(box)[0] for box in hand])
        assert np.ptp(hand_x) > 20
        assert min(gap(box_a, box_h) for box_a, box_h in zip(a, hand, strict=True) if box_a) <= 6
    elif name == "Holding something next to something":
        for track in (a, b):
            centres = np.array([centre(box) for box in track])
            assert np.ptp(centres, axis=0).max() < 5
    else:
        raise AssertionError(f"no check for class {name!r}")


@pytest.mark.parametrize("action", ACTION_CLASSES, ids=lambda action: action.name)
def test_objects_move_as_the_class_says(synth_dir: Path, action) -> None:
    boxes = json.loads((synth_dir / "bounding_box_smthsmth.json").read_text())
    entries = [
        entry
        for subset in ("train", "validation")
        for entry in json.loads((synth_dir / f"something-something-v2-{subset}.json").read_text())
        if entry["template"] == action.template
    ]
    assert entries
    for entry in entries:
        by_code = tracks(boxes[entry["id"]])
        # "Removing [B], revealing [A]" names the cover first: A is the second placeholder there.
        a_code, b_code = (
            ("0001", "0000") if action.name.startswith("Removing") else ("0000", "0001")
        )
        check_motion(action.name, by_code[a_code], by_code[b_code], by_code["hand"])
