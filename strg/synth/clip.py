"""One clip of the motion variant of the embedded data set: a class's motion, dressed with random
looks (rendered by :func:`strg.synth.scene.render_scene`)."""

from __future__ import annotations

import re

import numpy as np

from strg.synth.actions import ACTION_CLASSES, LayoutRejected, Motion, Stage
from strg.synth.motion import inside, lerp, random_point
from strg.synth.render import (
    PALETTE,
    SHAPE_NOUNS,
    SKIN_TONES,
    SceneObject,
)
from strg.synth.scene import Scene

HEIGHT = 240
WIDTHS = (320, 426)
OBJECT_SHAPES = ("box", "ball", "wedge", "tile")
MAX_LAYOUT_TRIES = 500


def _half_size(rng: np.random.Generator, low: float, high: float) -> tuple[float, float]:
    return (float(rng.uniform(low, high)), float(rng.uniform(low, high)))


def _draw_motion(
    rng: np.random.Generator, class_index: int, width: int, n_frames: int
) -> tuple[Stage, Motion]:
    generator = ACTION_CLASSES[class_index].generate
    for _ in range(MAX_LAYOUT_TRIES):
        start = rng.uniform(0.08, 0.3) * n_frames
        end = min(start + rng.uniform(0.4, 0.6) * n_frames, 0.94 * n_frames)
        stage = Stage(
            rng=rng,
            width=width,
            height=HEIGHT,
            n_frames=n_frames,
            half_a=_half_size(rng, 15, 28),
            half_b=_half_size(rng, 15, 30),
            half_hand=(float(rng.uniform(14, 18)), float(rng.uniform(18, 24))),
            start=start,
            end=end,
        )
        try:
            return stage, generator(stage)
        except LayoutRejected:
            continue
    raise RuntimeError(f"class {class_index}: no layout fits after {MAX_LAYOUT_TRIES} draws")


def distractor_track(
    rng: np.random.Generator, half: tuple[float, float], width: int, n_frames: int
) -> np.ndarray:
    """A distractor lies still or drifts slowly across the frame over ``n_frames`` frames,
    whatever the action does (T×2 centres)."""
    for _ in range(100):
        start = random_point(rng, half, width, HEIGHT)
        drift = np.zeros(2) if rng.random() < 0.6 else rng.uniform(-0.12, 0.12, size=2) * width
        track = lerp(start, start + drift, np.linspace(0.0, 1.0, n_frames))
        if inside(track, half, width, HEIGHT):
            return track
    return np.repeat(random_point(rng, half, width, HEIGHT)[None, :], n_frames, axis=0)


def draw_scene(
    rng: np.random.Generator, class_index: int, min_frames: int, max_frames: int
) -> Scene:
    """Draw one clip of class ``class_index``: its layout, motion, looks and distractors."""
    width = int(rng.choice(WIDTHS))
    n_frames = int(rng.integers(min_frames, max_frames + 1))
    stage, motion = _draw_motion(rng, class_index, width, n_frames)
    half_b = motion.half_b or stage.half_b

    n_distractors = int(rng.integers(0, 3))
    colours = [
        str(name) for name in rng.choice(list(PALETTE), size=2 + n_distractors, replace=False)
    ]
    shape_a = str(rng.choice(OBJECT_SHAPES))
    shape_b = str(rng.choice(motion.b_shapes or OBJECT_SHAPES))

    # Something-Else numbering: the template's placeholders first, then every other object.
    n_slots = len(re.findall(r"\[[Ss]omething\]", ACTION_CLASSES[class_index].template))
    placeholder_roles = list(motion.placeholder_roles[:n_slots])
    roles = {"A": (shape_a, colours[0], stage.half_a), "B": (shape_b, colours[1], half_b)}
    numbered = placeholder_roles + [r for r in ("A", "B") if r not in placeholder_roles]
    code = {role: f"{number:04d}" for number, role in enumerate(numbered)}

    def role_object(role: str) -> SceneObject:
        shape, colour, half = roles[role]
        return SceneObject(
            shape, PALETTE[colour], half, f"{colour} {SHAPE_NOUNS[shape]}", code[role]
        )

    objects: list[SceneObject] = []
    tracks: list[np.ndarray] = []
    for number in range(n_distractors):
        half = _half_size(rng, 10, 22)
        shape = str(rng.choice(OBJECT_SHAPES))
        colour = colours[2 + number]
        objects.append(
            SceneObject(
                shape,
                PALETTE[colour],
                half,
                f"{colour} {SHAPE_NOUNS[shape]}",
                f"{len(numbered) + number:04d}",
            )
        )
        tracks.append(distractor_track(rng, half, width, n_frames))
    track_of = {"A": motion.a, "B": motion.b}
    for role in motion.order:
        objects.append(role_object(role))
        tracks.append(track_of[role])
    skin = SKIN_TONES[int(rng.integers(len(SKIN_TONES)))]
    objects.append(SceneObject("hand", skin, stage.half_hand, "hand", "hand"))
    tracks.append(motion.hand)

    placeholders = [role_object(role).category for role in placeholder_roles]
    return Scene(width, HEIGHT, objects, tracks, placeholders)


def fill_template(template: str, placeholders: list[str]) -> str:
    """The Something-Something label: the template's slots filled, first letter in lower case."""
    label = template
    for name in placeholders:
        label = re.sub(r"\[[Ss]omething\]", name, label, count=1)
    return label[:1].lower() + label[1:]
