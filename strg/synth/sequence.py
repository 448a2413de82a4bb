"""A multi-action video of the embedded data set: several actions in a row, one scene.

A video is a sequence of sub-clips, one per action, each drawn by the class's motion generator of
:mod:`strg.synth.actions` and rendered at 24 fps over the same background, with the same objects
(colours, shapes, sizes), the same hand and the same distractors. Between sub-clips the layout
cuts to a new one, as a video edited from several takes would. A sequence with no action shows
the objects lying still and the hand resting, for the videos Charades lists without actions.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from strg.synth.actions import ACTION_CLASSES, LayoutRejected, Motion, Stage
from strg.synth.clip import (
    HEIGHT,
    MAX_LAYOUT_TRIES,
    OBJECT_SHAPES,
    WIDTHS,
    distractor_track,
    fill_template,
)
from strg.synth.motion import apart, random_point, still
from strg.synth.render import (
    PALETTE,
    SHAPE_NOUNS,
    SKIN_TONES,
    SceneObject,
    make_background,
    render_frame,
)

#: Frame rate of the rendered sequences: Charades' official frames are at 24 fps.
FPS = 24

Halves = tuple[tuple[float, float], tuple[float, float], tuple[float, float]]


@dataclass(frozen=True)
class ActionSpan:
    """One action of a sequence: its class and frames ``[start, end)`` (0-based)."""

    class_index: int
    start: int
    end: int


@dataclass
class ActionSequence:
    """A rendered multi-action video.

    ``frames``: T×H×W×3 uint8 at :data:`FPS`. ``actions``: the actions in time order (their spans
    tile the video). ``objects``: names of the objects seen ("red box"), A's and B's first.
    ``sentences``: each action's Something-Something label, filled with the objects' names.
    """

    frames: np.ndarray
    actions: list[ActionSpan]
    objects: list[str]
    sentences: list[str]


def _half_size(rng: np.random.Generator, low: float, high: float) -> tuple[float, float]:
    return (float(rng.uniform(low, high)), float(rng.uniform(low, high)))


def _draw_halves(rng: np.random.Generator) -> Halves:
    """Half sizes of A, B and the hand, the ranges of :func:`strg.synth.clip.draw_scene`."""
    return (
        _half_size(rng, 15, 28),
        _half_size(rng, 15, 30),
        (float(rng.uniform(14, 18)), float(rng.uniform(18, 24))),
    )


def idle(stage: Stage) -> Motion:
    """No action: A and B lie still apart, the hand rests beside them with a slight tremor."""
    rng = stage.rng
    n = stage.n_frames
    a = still(random_point(rng, stage.half_a, stage.width, stage.height), n)
    b = still(random_point(rng, stage.half_b, stage.width, stage.height), n)
    position = random_point(rng, stage.half_hand, stage.width, stage.height)
    hand = still(position, n) + rng.normal(0.0, 0.3, size=(n, 2))
    if not (
        apart(a, stage.half_a, b, stage.half_b, gap=10)
        and apart(hand, stage.half_hand, a, stage.half_a, gap=6)
        and apart(hand, stage.half_hand, b, stage.half_b, gap=6)
    ):
        raise LayoutRejected("idle layout does not fit")
    return Motion(a=a, b=b, hand=hand, order=("A", "B"))


def _draw_segment(
    rng: np.random.Generator, class_index: int | None, width: int, n_frames: int, halves: Halves
) -> tuple[Stage, Motion]:
    """The stage and motion of one sub-clip (``class_index`` None: idle) with the video's sizes.

    The sizes stay fixed so that the objects look the same in every sub-clip; when no layout fits
    them after many draws (rare), the sub-clip draws its own sizes rather than fail.
    """
    generator = idle if class_index is None else ACTION_CLASSES[class_index].generate
    for attempt in range(2 * MAX_LAYOUT_TRIES):
        half_a, half_b, half_hand = halves if attempt < MAX_LAYOUT_TRIES else _draw_halves(rng)
        start = rng.uniform(0.08, 0.3) * n_frames
        stage = Stage(
            rng=rng,
            width=width,
            height=HEIGHT,
            n_frames=n_frames,
            half_a=half_a,
            half_b=half_b,
            half_hand=half_hand,
            start=start,
            end=min(start + rng.uniform(0.4, 0.6) * n_frames, 0.94 * n_frames),
        )
        try:
            return stage, generator(stage)
        except LayoutRejected:
            continue
    raise RuntimeError(f"class {class_index}: no layout fits after {2 * MAX_LAYOUT_TRIES} draws")


def make_sequence(
    class_indices: list[int],
    seed: np.random.SeedSequence,
    min_frames: int,
    max_frames: int,
    idle_segments: int = 2,
) -> ActionSequence:
    """Draw and render the actions ``class_indices`` in this order, from ``seed`` (deterministic).

    Each action's sub-clip lasts between ``min_frames`` and ``max_frames`` frames at :data:`FPS`.
    With no class, the video is ``idle_segments`` idle sub-clips long and lists no action.
    """
    rng = np.random.default_rng(seed)
    width = int(rng.choice(WIDTHS))
    segments: list[int | None] = list(class_indices) or [None] * idle_segments
    lengths = [int(rng.integers(min_frames, max_frames + 1)) for _ in segments]
    halves = _draw_halves(rng)
    drawn = [
        _draw_segment(rng, class_index, width, n, halves)
        for class_index, n in zip(segments, lengths, strict=True)
    ]
    n_total = sum(lengths)

    n_distractors = int(rng.integers(0, 3))
    colours = [
        str(name) for name in rng.choice(list(PALETTE), size=2 + n_distractors, replace=False)
    ]
    shape_a = str(rng.choice(OBJECT_SHAPES))
    # B takes a shape every sub-clip accepts when there is one (a class may need a particular B).
    constraints = [motion.b_shapes for _, motion in drawn if motion.b_shapes]
    allowed = [s for s in OBJECT_SHAPES if all(s in c for c in constraints)] or list(OBJECT_SHAPES)
    shape_b = str(rng.choice(allowed))
    skin = SKIN_TONES[int(rng.integers(len(SKIN_TONES)))]
    distractors: list[SceneObject] = []
    distractor_tracks: list[np.ndarray] = []
    for number in range(n_distractors):
        half = _half_size(rng, 10, 22)
        shape = str(rng.choice(OBJECT_SHAPES))
        colour = colours[2 + number]
        name = f"{colour} {SHAPE_NOUNS[shape]}"
        distractors.append(SceneObject(shape, PALETTE[colour], half, name, f"{2 + number:04d}"))
        distractor_tracks.append(distractor_track(rng, half, width, n_total))
    background = make_background(rng, HEIGHT, width)

    frames = np.empty((n_total, HEIGHT, width, 3), dtype=np.uint8)
    actions: list[ActionSpan] = []
    sentences: list[str] = []
    names: list[str] = []
    offset = 0
    for class_index, (stage, motion) in zip(segments, drawn, strict=True):
        # B keeps its colour in every sub-clip; a class that needs a particular B (a cover larger
        # than A) changes its shape and size for that sub-clip only.
        b_shape = (
            shape_b if not motion.b_shapes or shape_b in motion.b_shapes else motion.b_shapes[0]
        )
        looks = {
            "A": SceneObject(
                shape_a, PALETTE[colours[0]], stage.half_a,
                f"{colours[0]} {SHAPE_NOUNS[shape_a]}", "0000",
            ),
            "B": SceneObject(
                b_shape, PALETTE[colours[1]], motion.half_b or stage.half_b,
                f"{colours[1]} {SHAPE_NOUNS[b_shape]}", "0001",
            ),
        }  # fmt: skip
        hand = SceneObject("hand", skin, stage.half_hand, "hand", "hand")
        objects = [*distractors, *(looks[role] for role in motion.order), hand]
        track_of = {"A": motion.a, "B": motion.b}
        tracks = [*distractor_tracks, *(track_of[role] for role in motion.order), motion.hand]
        for t in range(stage.n_frames):
            centres = [
                tuple(track[offset + t]) if k < n_distractors else tuple(track[t])
                for k, track in enumerate(tracks)
            ]
            frames[offset + t] = render_frame(background, objects, centres)[0]
        for role in ("A", "B"):
            if looks[role].category not in names:
                names.append(looks[role].category)
        if class_index is not None:
            actions.append(ActionSpan(class_index, offset, offset + stage.n_frames))
            template = ACTION_CLASSES[class_index].template
            placeholders = [looks[role].category for role in motion.placeholder_roles]
            sentences.append(fill_template(template, placeholders))
        offset += stage.n_frames
    names += [scene_object.category for scene_object in distractors]
    return ActionSequence(frames=frames, actions=actions, objects=names, sentences=sentences)
