"""The relational variant: boxes inside the crop, a disjoint compositional split, determinism,
and contrast classes whose objects move alike, differing only in how they relate."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from strg.synth import SynthOptions, generate_dataset
from strg.synth.clip import OBJECT_SHAPES
from strg.synth.generate import BOXES_FILE, LABELS_FILE, SUBSET_FILES
from strg.synth.looks import draw_looks, is_held_out
from strg.synth.relational_actions import RELATIONAL_CLASSES
from strg.synth.relational_clip import draw_layout, draw_relational_scene
from strg.synth.render import PALETTE
from strg.synth.scene import render_scene, scene_boxes
from tests.conftest import run_command

#: Two videos per class, one in training and one in validation, compositional looks.
OPTIONS = SynthOptions(
    variant="relational", split="compositional", videos_per_class=2, seed=3, test_fraction=0.0
)
CLASS_INDEX = {action.name: index for index, action in enumerate(RELATIONAL_CLASSES)}


@pytest.fixture(scope="module")
def relational_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small relational data set (read-only for tests)."""
    out = tmp_path_factory.mktemp("relational") / "sthv2"
    assert generate_dataset(out, OPTIONS, workers=2, progress=False)
    return out


def load(path: Path):
    return json.loads(path.read_text(encoding="utf-8"))


def test_defaults_give_over_500_validation_videos() -> None:
    options = SynthOptions(variant="relational")
    assert len(options.classes) == 14
    n_val = round(options.videos_per_class * options.val_fraction)
    assert len(options.classes) * n_val >= 500
    assert SynthOptions().variant == "motion" and SynthOptions().videos_per_class == 30


def test_every_object_is_boxed_in_every_frame_inside_the_centre_crop(relational_dir: Path) -> None:
    labels = load(relational_dir / LABELS_FILE)
    assert list(labels) == [action.name for action in RELATIONAL_CLASSES]
    boxes = load(relational_dir / BOXES_FILE)
    sizes = {}
    for video in (relational_dir / "videos").glob("*.webm"):
        import av

        with av.open(str(video)) as container:
            context = container.streams.video[0].codec_context
            sizes[video.stem] = (context.width, context.height)
    assert sorted(sizes) == sorted(boxes)
    for video_id, frames in boxes.items():
        width, height = sizes[video_id]
        left, right = (width - height) / 2, (width + height) / 2
        for frame in frames:
            # A, B, the hand and two distractors: none ever hidden or cut off.
            assert sorted(label["standard_category"] for label in frame["labels"]) == [
                "0000", "0001", "0002", "0003", "hand",
            ]  # fmt: skip
            for label in frame["labels"]:
                box = label["box2d"]
                assert left <= box["x1"] < box["x2"] <= right, (video_id, frame["name"], box)
                assert 0 <= box["y1"] < box["y2"] <= height
                # at least 7 pixels across once the crop is resized to 56×56
                assert min(box["x2"] - box["x1"], box["y2"] - box["y1"]) * 56 / height >= 4


def _look(category: str) -> tuple[str, str]:
    colour, noun = category.split()
    return noun, colour


def test_compositional_split_keeps_looks_of_training_and_validation_apart(
    relational_dir: Path,
) -> None:
    boxes = load(relational_dir / BOXES_FILE)
    looks = {}
    for subset in ("train", "validation"):
        ids = [entry["id"] for entry in load(relational_dir / SUBSET_FILES[subset])]
        looks[subset] = {
            _look(label["category"])
            for video_id in ids
            for frame in boxes[video_id]
            for label in frame["labels"]
            if label["category"] != "hand"
        }
    assert looks["train"] and looks["validation"]
    assert not looks["train"] & looks["validation"]
    # every shape and every colour is seen in training, only in other pairings
    halves = {held: [look for look in _all_looks() if is_held_out(look) == held] for held in (0, 1)}
    for half in halves.values():
        assert {shape for shape, _ in half} == set(OBJECT_SHAPES)
        assert {colour for _, colour in half} == set(PALETTE)
    rng = np.random.default_rng(0)
    assert all(not is_held_out(look) for look in draw_looks(rng, 4, held_out=False))
    assert all(is_held_out(look) for look in draw_looks(rng, 4, held_out=True))


def _all_looks() -> list[tuple[str, str]]:
    return [(shape, colour) for shape in OBJECT_SHAPES for colour in PALETTE]


def test_a_shuffled_split_mixes_looks() -> None:
    rng = np.random.default_rng(1)
    drawn = [look for _ in range(50) for look in draw_looks(rng, 4, held_out=None)]
    assert {is_held_out(look) for look in drawn} == {False, True}


def test_same_seed_same_scene_and_files_other_seed_other(tmp_path: Path) -> None:
    def scene(seed: int):
        rng = np.random.default_rng(seed)
        drawn = draw_relational_scene(rng, 3, 36, 48, held_out=None)
        return drawn, rng

    (first, _), (again, _), (other, _) = scene(5), scene(5), scene(6)
    for track, same in zip(first.tracks, again.tracks, strict=True):
        np.testing.assert_array_equal(track, same)
    assert [o.category for o in first.objects] == [o.category for o in again.objects]
    assert not all(np.array_equal(a, b) for a, b in zip(first.tracks, other.tracks, strict=False))
    options = SynthOptions(variant="relational", videos_per_class=1, seed=4)
    generate_dataset(tmp_path / "one", options, workers=1, progress=False)
    generate_dataset(tmp_path / "two", options, workers=2, progress=False)
    for name in (BOXES_FILE, *SUBSET_FILES.values()):
        assert (tmp_path / "one" / name).read_bytes() == (tmp_path / "two" / name).read_bytes()


def _iou(a: np.ndarray, b: tuple[float, float, float, float]) -> float:
    inner = np.clip(np.minimum(a[2:], b[2:]) - np.maximum(a[:2], b[:2]), 0, None).prod()
    return float(inner / ((a[2:] - a[:2]).prod() + np.prod(np.subtract(b[2:], b[:2])) - inner))


@pytest.mark.parametrize("variant", ["relational", "motion"])
def test_geometric_boxes_match_the_rendered_ones(variant: str) -> None:
    """What the gate sees without rendering is what the box file holds, up to the rounded
    corners of shapes half hidden under the hand."""
    from strg.synth.variants import VARIANTS

    agree, overlaps = [], []
    for class_index in range(0, 14, 3):
        rng = np.random.default_rng([9, class_index])
        scene = VARIANTS[variant].draw(rng, class_index, 36, 36, None)
        clip = render_scene(scene, rng)
        boxes, present = scene_boxes(scene)
        for t, frame in enumerate(clip.boxes[::4]):
            for k, rendered in enumerate(frame):
                agree.append((rendered is not None) == bool(present[4 * t, k]))
                if rendered is not None and present[4 * t, k]:
                    overlaps.append(_iou(boxes[4 * t, k], rendered))
    assert np.mean(agree) >= 0.97
    assert np.median(overlaps) >= 0.9 and np.mean(np.array(overlaps) >= 0.6) >= 0.95


def test_a_compositional_motion_variant_is_refused(tmp_path: Path) -> None:
    result = run_command(["-m", "strg.synth", "--out", str(tmp_path), "--split", "compositional"])
    assert result.returncode == 2 and "--split compositional" in result.stderr
    result = run_command(
        ["-m", "strg.synth", "--out", str(tmp_path), "--format", "charades", "--variant",
         "relational"]
    )  # fmt: skip
    assert result.returncode == 2 and "--variant applies to --format sthv2" in result.stderr


# --- the contrast classes: own motion alike, relations apart -----------------------------------

N_DRAWS = 120


def own_motion(track: np.ndarray) -> np.ndarray:
    """(reach, path length, onset, offset) of one object's track, timing as shares of the clip."""
    step = np.linalg.norm(np.diff(track, axis=0), axis=1)
    moving = np.flatnonzero(step > 0.05)
    reach = np.linalg.norm(track - track[0], axis=1).max()
    onset, offset = (moving[0], moving[-1]) if len(moving) else (0, 0)
    return np.array([reach, step.sum(), onset / len(track), offset / len(track)])


def gap_series(track_a: np.ndarray, half_a, track_b: np.ndarray, half_b) -> np.ndarray:
    """Gap between two boxes at every frame (negative: overlap)."""
    gaps = np.abs(track_a - track_b) - (np.array(half_a) + np.array(half_b))
    return gaps.max(axis=1)


def draws(name: str) -> dict[str, np.ndarray]:
    """Own-motion statistics of A and the hand, and A-B / hand-A gaps, over many draws."""
    rows = {"A": [], "hand": [], "ab_start": [], "ab_end": [], "ab_min": [], "hand_a_min": []}
    for number in range(N_DRAWS):
        rng = np.random.default_rng([CLASS_INDEX[name], number])
        layout = draw_layout(rng, CLASS_INDEX[name], 42)
        tracks, halves = layout.tracks, layout.halves
        rows["A"].append(own_motion(tracks["A"]))
        rows["hand"].append(own_motion(tracks["hand"]))
        ab = gap_series(tracks["A"], halves["A"], tracks["B"], halves["B"])
        rows["ab_start"].append(ab[0])
        rows["ab_end"].append(ab[-1])
        rows["ab_min"].append(ab.min())
        hand_a = gap_series(tracks["hand"], halves["hand"], tracks["A"], halves["A"])
        rows["hand_a_min"].append(hand_a.min())
    return {key: np.array(value) for key, value in rows.items()}


GROUPS = [
    ["Moving something closer to something", "Moving something away from something",
     "Moving something past something"],
    ["Putting something on top of something", "Taking something off something",
     "Putting something next to something", "Taking something from next to something"],
    ["Pushing something against something and pulling it back",
     "Moving something towards something and back without touching it"],
    ["Pushing something with a hand", "Pulling something with a hand",
     "Moving a hand alongside something without touching it"],
    ["Poking something", "Pretending to poke something"],
]  # fmt: skip


@pytest.fixture(scope="module")
def statistics() -> dict[str, dict[str, np.ndarray]]:
    return {name: draws(name) for group in GROUPS for name in group}


@pytest.mark.parametrize("group", GROUPS, ids=lambda group: group[0].split()[0])
def test_contrast_classes_give_each_object_the_same_own_motion(statistics, group) -> None:
    for role in ("A", "hand"):
        reference = statistics[group[0]][role]
        spread = reference.std(axis=0) + np.array([1.0, 1.0, 0.01, 0.01])
        for name in group[1:]:
            means = statistics[name][role].mean(axis=0)
            # means within 0.35 standard deviations: 120 draws put chance differences near 0.13
            assert np.all(np.abs(means - reference.mean(axis=0)) <= 0.35 * spread), (
                role, group[0], name, reference.mean(axis=0), means,
            )  # fmt: skip


def test_the_relations_tell_the_contrast_classes_apart(statistics) -> None:
    s = {name: {key: float(np.median(values)) for key, values in v.items()}
         for name, v in statistics.items()}  # fmt: skip
    closer, away, past = (s[name] for name in GROUPS[0])
    assert closer["ab_end"] < 8 < 40 < closer["ab_start"]
    assert away["ab_start"] < 8 < 40 < away["ab_end"]
    # past: never touching, nearest halfway, far at both ends
    assert 6 < past["ab_min"] < 20 < min(past["ab_start"], past["ab_end"])
    on_top, off, next_to, from_next_to = (s[name] for name in GROUPS[1])
    assert on_top["ab_end"] <= 0.5 and off["ab_start"] <= 0.5
    assert next_to["ab_end"] >= 10 and from_next_to["ab_start"] >= 10
    bounce, turn_back = (s[name] for name in GROUPS[2])
    assert bounce["ab_min"] <= 0 < 28 <= turn_back["ab_min"]
    push, pull, alongside = (s[name] for name in GROUPS[3])
    assert push["hand_a_min"] < 0 and pull["hand_a_min"] < 0 and alongside["hand_a_min"] >= 16
    poke, pretend = (s[name] for name in GROUPS[4])
    assert poke["hand_a_min"] <= 0 < 28 <= pretend["hand_a_min"]
    # where B takes no part it stays well away from A
    for name in (*GROUPS[3], *GROUPS[4]):
        assert s[name]["ab_min"] >= 32
