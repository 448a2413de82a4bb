"""One clip of the relational variant: the class's action, a distractor actor, looks, layout.

Five objects share the central square of the frame (side = frame height, the crop the training
and test recipes take): A, B and the hand doing the class's action, and two distractors. One
distractor acts: it moves in one of the relations of :mod:`strg.synth.relations`, drawn from the
same distributions as A's, towards, past, onto, beside or against B or the other distractor,
without a hand. So every clip shows "something moves towards something" or "something bounces off
something", and what makes the class is the relation of the object the hand acts on.

Objects that take no part in each other's doings keep a visible gap; everything stays inside the
square, so no box is lost to the centre crop.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from strg.synth.actions import LayoutRejected
from strg.synth.clip import HEIGHT, MAX_LAYOUT_TRIES, WIDTHS
from strg.synth.looks import draw_looks
from strg.synth.motion import apart, inside, still
from strg.synth.relational_actions import RELATIONAL_CLASSES, Cast
from strg.synth.relations import RELATIONS, Half, Setting, draw_window
from strg.synth.render import PALETTE, SHAPE_NOUNS, SKIN_TONES, SceneObject
from strg.synth.scene import Scene

#: Side of the square every object stays in: the centre crop of a frame.
SIZE = float(HEIGHT)
#: Half sizes of the objects and of the hand, in pixels: at least 7 pixels wide at 56×56.
OBJECT_HALF = (15.0, 23.0)
HAND_HALF = ((15.0, 18.0), (19.0, 23.0))
#: Pixels kept between the crop's edge and any object.
EDGE_MARGIN = 3.0
#: Gap in pixels between objects that take no part in each other's doings.
UNRELATED_GAP = 16.0
#: Tries at placing the distractors around one drawn action before drawing another.
DISTRACTOR_TRIES = 20


@dataclass
class Layout:
    """Every object's track in the square crop (T×2) and half size, by role.

    Roles: "A", "B", "hand", "D1" (the acting distractor), "D2" (the other one).
    """

    tracks: dict[str, np.ndarray]
    halves: dict[str, Half]


def _half(rng: np.random.Generator) -> Half:
    return (float(rng.uniform(*OBJECT_HALF)), float(rng.uniform(*OBJECT_HALF)))


def _fits(track: np.ndarray, half: Half) -> bool:
    return inside(track, half, int(SIZE), int(SIZE), margin=EDGE_MARGIN)


def _into_square(
    rng: np.random.Generator, tracks: dict[str, np.ndarray], halves: dict[str, Half]
) -> dict[str, np.ndarray] | None:
    """``tracks`` moved together to a uniformly random place where all of them stay inside the
    square; None when they cannot.

    Moving a drawn group as a whole, instead of drawing places until one fits, leaves the
    distribution of its motions as drawn (a long travel is not turned down more often than a
    short one).
    """
    low = np.min([(track - halves[role]).min(axis=0) for role, track in tracks.items()], axis=0)
    high = np.max([(track + halves[role]).max(axis=0) for role, track in tracks.items()], axis=0)
    room = SIZE - 2 * EDGE_MARGIN - (high - low)
    if np.any(room < 0):
        return None
    shift = EDGE_MARGIN - low + rng.uniform(0.0, 1.0, size=2) * room
    return {role: track + shift for role, track in tracks.items()}


def _anywhere(rng: np.random.Generator, half: Half, n_frames: int) -> np.ndarray:
    """A still object at a uniformly random place inside the square (T×2)."""
    low = np.array(half) + EDGE_MARGIN
    return still(low + rng.uniform(0.0, 1.0, size=2) * (SIZE - 2 * low), n_frames)


def _clear(
    track: np.ndarray, half: Half, others: dict[str, np.ndarray], halves: dict[str, Half]
) -> bool:
    """Whether ``track`` keeps :data:`UNRELATED_GAP` from every track of ``others``."""
    return all(
        apart(track, half, other, halves[role], gap=UNRELATED_GAP) for role, other in others.items()
    )


def _place_distractors(
    rng: np.random.Generator, n_frames: int, tracks: dict[str, np.ndarray], halves: dict[str, Half]
) -> dict[str, np.ndarray] | None:
    """Tracks of D1 (acting on B or on D2) and D2, clear of the action's ``tracks``; None when no
    placement fits in :data:`DISTRACTOR_TRIES` draws."""
    for _ in range(DISTRACTOR_TRIES):
        on_b = rng.random() < 0.5
        reference = tracks["B"][0] if on_b else np.zeros(2)
        relation = RELATIONS[str(rng.choice(list(RELATIONS)))][1]
        window = draw_window(rng, n_frames)
        target_half = halves["B" if on_b else "D2"]
        try:
            d1 = relation(
                Setting(rng, n_frames, SIZE, window, halves["D1"], reference, target_half)
            )
        except LayoutRejected:
            continue
        if on_b:
            if not _fits(d1, halves["D1"]):
                continue
            d2 = _anywhere(rng, halves["D2"], n_frames)
            others = {role: track for role, track in tracks.items() if role != "B"}
            if _clear(d1, halves["D1"], others, halves) and _clear(
                d2, halves["D2"], {**tracks, "D1": d1}, halves
            ):
                return {"D1": d1, "D2": d2}
        else:
            moved = _into_square(rng, {"D1": d1, "D2": still(reference, n_frames)}, halves)
            if moved is not None and all(
                _clear(track, halves[role], tracks, halves) for role, track in moved.items()
            ):
                return moved
    return None


def draw_layout(rng: np.random.Generator, class_index: int, n_frames: int) -> Layout:
    """The tracks of one clip of class ``class_index``, in the square crop's pixels."""
    generate = RELATIONAL_CLASSES[class_index].generate
    for _ in range(MAX_LAYOUT_TRIES):
        cast = Cast(
            a=_half(rng),
            b=_half(rng),
            hand=(float(rng.uniform(*HAND_HALF[0])), float(rng.uniform(*HAND_HALF[1]))),
        )
        halves = {"A": cast.a, "B": cast.b, "hand": cast.hand, "D1": _half(rng), "D2": _half(rng)}
        try:
            action = generate(rng, n_frames, SIZE, cast)
        except LayoutRejected:
            continue
        group = {"A": action.a, "hand": action.hand}
        if action.b is not None:
            if not apart(action.hand, cast.hand, action.b, cast.b, gap=4.0):
                continue
            group["B"] = action.b
        tracks = _into_square(rng, group, halves)
        if tracks is None:
            continue
        if action.b is None:
            # B takes no part: it lies clear of A and the hand, by twice the usual gap.
            tracks["B"] = _anywhere(rng, cast.b, n_frames)
            if not all(
                apart(tracks["B"], cast.b, tracks[role], halves[role], gap=2 * UNRELATED_GAP)
                for role in ("A", "hand")
            ):
                continue
        distractors = _place_distractors(rng, n_frames, tracks, halves)
        if distractors is not None:
            return Layout(tracks={**tracks, **distractors}, halves=halves)
    raise RuntimeError(f"class {class_index}: no layout fits after {MAX_LAYOUT_TRIES} draws")


def draw_relational_scene(
    rng: np.random.Generator,
    class_index: int,
    min_frames: int,
    max_frames: int,
    held_out: bool | None,
) -> Scene:
    """Draw one clip of class ``class_index``: layout, looks (from the held-out half of the
    compositional split when ``held_out``, the other half when False, any when None)."""
    width = int(rng.choice(WIDTHS))
    n_frames = int(rng.integers(min_frames, max_frames + 1))
    layout = draw_layout(rng, class_index, n_frames)
    roles = ["A", "B", "D1", "D2"]
    looks = dict(zip(roles, draw_looks(rng, len(roles), held_out), strict=True))
    # Something-Else numbering: A and B first (the placeholders), the distractors in random
    # order, so that a number does not tell the acting distractor from the still one.
    distractors = ["D1", "D2"] if rng.random() < 0.5 else ["D2", "D1"]
    code = {role: f"{number:04d}" for number, role in enumerate(["A", "B", *distractors])}
    skin = SKIN_TONES[int(rng.integers(len(SKIN_TONES)))]
    # Drawing order: the objects in random order (they seldom overlap), the hand on top.
    order = [roles[k] for k in rng.permutation(len(roles))]
    objects = [
        SceneObject(
            looks[role][0],
            PALETTE[looks[role][1]],
            layout.halves[role],
            f"{looks[role][1]} {SHAPE_NOUNS[looks[role][0]]}",
            code[role],
        )
        for role in order
    ]
    objects.append(SceneObject("hand", skin, layout.halves["hand"], "hand", "hand"))
    shift = np.array([(width - SIZE) / 2, 0.0])
    tracks = [layout.tracks[role] + shift for role in [*order, "hand"]]
    template = RELATIONAL_CLASSES[class_index].template
    n_slots = len(re.findall(r"\[[Ss]omething\]", template))
    names = {scene_object.standard_category: scene_object.category for scene_object in objects}
    placeholders = [names[code[role]] for role in ("A", "B")[:n_slots]]
    return Scene(width, HEIGHT, objects, tracks, placeholders)
