"""The embedded data set's classes: one motion generator per Something-Something-like template.

Every class involves an object A, an object B and a hand; what tells the classes apart is how
they move relative to each other over time. Most classes come in time-reversed pairs (moving
closer / away, putting on top / taking off, covering / revealing, ...), so a single frame cannot
tell which of the pair it shows, and "pushing from left to right / right to left" is a pair that
a horizontal flip swaps.

A generator draws a layout with the random generator it is given and returns a :class:`Motion`,
or raises :class:`LayoutRejected` when the draw does not fit the frame (the caller draws again).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from strg.synth.motion import apart, extent_along, inside, lerp, ramp, random_point, still, unit


class LayoutRejected(Exception):  # noqa: N818 (a signal to draw again, not an error)
    """The random layout does not fit; draw another."""


@dataclass
class Stage:
    """What a motion generator may use: frame size, clip length, sizes and timing.

    ``half_a``, ``half_b``, ``half_hand`` are (half width, half height) in pixels; the motion
    happens between frames ``start`` and ``end``.
    """

    rng: np.random.Generator
    width: int
    height: int
    n_frames: int
    half_a: tuple[float, float]
    half_b: tuple[float, float]
    half_hand: tuple[float, float]
    start: float
    end: float


@dataclass
class Motion:
    """Centres of A, B and the hand at every frame (each T×2) and their drawing order.

    ``order`` lists "A" and "B" bottom to top (the hand is always drawn on top). ``half_b`` and
    ``b_shapes`` are set when the class needs a particular B (a larger cover, say).
    """

    a: np.ndarray
    b: np.ndarray
    hand: np.ndarray
    order: tuple[str, str]
    half_b: tuple[float, float] | None = None
    b_shapes: tuple[str, ...] | None = None
    placeholder_roles: tuple[str, ...] = field(default=("A", "B"))


def _random_order(rng: np.random.Generator) -> tuple[str, str]:
    return ("A", "B") if rng.random() < 0.5 else ("B", "A")


def _holding(
    stage: Stage,
    held: np.ndarray,
    half_held: tuple[float, float],
    away: np.ndarray,
    overlap: float = 0.5,
) -> np.ndarray:
    """Hand positions gripping an object whose centres are ``held`` (T×2), on side ``away``.

    ``overlap`` is how far the hand reaches over the object, as a share of its own half size.
    """
    reach = extent_along(half_held, away) + (1.0 - overlap) * extent_along(stage.half_hand, away)
    return held + away[None, :] * reach


def _resting_hand(stage: Stage, avoid: list[tuple[np.ndarray, tuple[float, float]]]) -> np.ndarray:
    """A hand lying still somewhere that overlaps none of ``avoid`` (positions, half size)."""
    for _ in range(50):
        position = random_point(stage.rng, stage.half_hand, stage.width, stage.height)
        tremor = stage.rng.normal(0.0, 0.3, size=(stage.n_frames, 2))
        hand = still(position, stage.n_frames) + tremor
        if all(apart(hand, stage.half_hand, track, half, gap=6) for track, half in avoid):
            return hand
    raise LayoutRejected("no free place for a resting hand")


def _grip_side(stage: Stage, motion_direction: np.ndarray) -> np.ndarray:
    """Where the hand grips a carried object: behind it (pushing it along) or from above."""
    if stage.rng.random() < 0.5:
        return -motion_direction
    return np.array([0.0, -1.0])


def moving_closer(stage: Stage) -> Motion:
    """Moving A closer to B: the hand carries A until it almost touches B."""
    rng = stage.rng
    b = random_point(rng, stage.half_b, stage.width, stage.height)
    angle = rng.uniform(-0.6, 0.6) + (np.pi if rng.random() < 0.5 else 0.0)
    from_b = unit(angle)
    contact = extent_along(stage.half_a, from_b) + extent_along(stage.half_b, from_b)
    near = contact + rng.uniform(3, 10)
    far = near + rng.uniform(0.22, 0.45) * stage.width
    a = lerp(b + from_b * far, b + from_b * near, ramp(stage.n_frames, stage.start, stage.end))
    hand = _holding(stage, a, stage.half_a, _grip_side(stage, -from_b))
    if not (
        inside(a, stage.half_a, stage.width, stage.height)
        and inside(hand, stage.half_hand, stage.width, stage.height)
        and apart(hand, stage.half_hand, still(b, stage.n_frames), stage.half_b, gap=2)
    ):
        raise LayoutRejected("moving closer does not fit")
    return Motion(a=a, b=still(b, stage.n_frames), hand=hand, order=_random_order(rng))


def pushing_left_to_right(stage: Stage) -> Motion:
    """Pushing A from left to right: the hand comes from the left, touches A and pushes it."""
    rng = stage.rng
    n_frames, width = stage.n_frames, stage.width
    distance = rng.uniform(0.25, 0.45) * width
    start_x = rng.uniform(stage.half_a[0] + 2.5 * stage.half_hand[0] + 8, width * 0.55)
    y = rng.uniform(stage.half_a[1] + 4, stage.height - stage.half_a[1] - 4)
    a = lerp(
        np.array([start_x, y]),
        np.array([start_x + distance, y]),
        ramp(n_frames, stage.start, stage.end),
    )
    contact = stage.half_a[0] + stage.half_hand[0] * 0.9
    approach = rng.uniform(20, 50)
    lead_in = max(stage.start - rng.uniform(4, 8), 0.0)
    hand_x = a[:, 0] - contact
    # Before the push the hand travels in from further left; afterwards it lets go and stays.
    hand_x = hand_x - approach * (1.0 - ramp(n_frames, lead_in, stage.start))
    hand = np.stack([hand_x, np.full(n_frames, y + rng.uniform(-4, 4))], axis=1)
    b = random_point(rng, stage.half_b, width, stage.height)
    if not (
        inside(a, stage.half_a, width, stage.height)
        and inside(hand, stage.half_hand, width, stage.height)
        and apart(a, stage.half_a, still(b, n_frames), stage.half_b, gap=6)
        and apart(hand, stage.half_hand, still(b, n_frames), stage.half_b, gap=4)
    ):
        raise LayoutRejected("pushing does not fit")
    return Motion(a=a, b=still(b, n_frames), hand=hand, order=_random_order(rng))


def _mirrored(motion: Motion, width: int) -> Motion:
    def mirror(track: np.ndarray) -> np.ndarray:
        flipped = track.copy()
        flipped[:, 0] = width - flipped[:, 0]
        return flipped

    return Motion(
        a=mirror(motion.a),
        b=mirror(motion.b),
        hand=mirror(motion.hand),
        order=motion.order,
        half_b=motion.half_b,
        b_shapes=motion.b_shapes,
        placeholder_roles=motion.placeholder_roles,
    )


def pushing_right_to_left(stage: Stage) -> Motion:
    """Pushing A from right to left: the mirror image of pushing from left to right."""
    return _mirrored(pushing_left_to_right(stage), stage.width)


def _arc(start: np.ndarray, end: np.ndarray, progress: np.ndarray, lift: float) -> np.ndarray:
    """A carried object's path: a straight line raised by ``lift`` pixels in the middle."""
    path = lerp(start, end, progress)
    path[:, 1] -= lift * np.sin(np.pi * progress)
    return path


def putting_on_top(stage: Stage) -> Motion:
    """Putting A on top of B: the hand lifts A from beside B and sets it on B's top edge."""
    rng = stage.rng
    n_frames = stage.n_frames
    b = np.array(
        [
            rng.uniform(stage.half_b[0] + 4, stage.width - stage.half_b[0] - 4),
            rng.uniform(stage.height * 0.45, stage.height - stage.half_b[1] - 4),
        ]
    )
    ground = b[1] + stage.half_b[1]
    side = -1.0 if rng.random() < 0.5 else 1.0
    start = np.array(
        [
            b[0] + side * (stage.half_a[0] + stage.half_b[0] + rng.uniform(15, 0.3 * stage.width)),
            ground - stage.half_a[1],
        ]
    )
    end = np.array(
        [b[0] + rng.uniform(-0.3, 0.3) * stage.half_b[0], b[1] - stage.half_b[1] - stage.half_a[1]]
    )
    a = _arc(start, end, ramp(n_frames, stage.start, stage.end), lift=rng.uniform(10, 30))
    hand = _holding(stage, a, stage.half_a, np.array([0.0, -1.0]))
    if not (
        inside(a, stage.half_a, stage.width, stage.height)
        and inside(hand, stage.half_hand, stage.width, stage.height)
    ):
        raise LayoutRejected("putting on top does not fit")
    return Motion(a=a, b=still(b, n_frames), hand=hand, order=("B", "A"))


def putting_behind(stage: Stage) -> Motion:
    """Putting A behind B: the hand slides A behind a wider B until only A's top shows."""
    rng = stage.rng
    n_frames = stage.n_frames
    half_b = (
        max(stage.half_b[0], stage.half_a[0] + rng.uniform(5, 12)),
        max(stage.half_b[1], stage.half_a[1] * rng.uniform(1.0, 1.3)),
    )
    b = random_point(rng, half_b, stage.width, stage.height, margin=stage.half_a[1] + 6)
    showing = rng.uniform(0.3, 0.55) * 2 * stage.half_a[1]  # how much of A stays above B
    end = np.array(
        [
            b[0] + rng.uniform(-1, 1) * (half_b[0] - stage.half_a[0]) * 0.6,
            b[1] - half_b[1] - showing + stage.half_a[1],
        ]
    )
    side = -1.0 if rng.random() < 0.5 else 1.0
    start = end + np.array(
        [side * (stage.half_a[0] + half_b[0] + rng.uniform(15, 0.3 * stage.width)), 0.0]
    )
    a = lerp(start, end, ramp(n_frames, stage.start, stage.end))
    # Fingertips only: A's top is all that shows once it is behind B.
    hand = _holding(stage, a, stage.half_a, np.array([0.0, -1.0]), overlap=0.15)
    if not (
        inside(a, stage.half_a, stage.width, stage.height)
        and inside(hand, stage.half_hand, stage.width, stage.height)
    ):
        raise LayoutRejected("putting behind does not fit")
    # B is a box: a rounded occluder would show A beside its shoulders.
    return Motion(
        a=a, b=still(b, n_frames), hand=hand, order=("A", "B"), half_b=half_b, b_shapes=("box",)
    )


def covering(stage: Stage) -> Motion:
    """Covering A with B: the hand brings a larger B over A until A is hidden."""
    rng = stage.rng
    n_frames = stage.n_frames
    shape = "box" if rng.random() < 0.6 else "ball"
    # An ellipse must be sqrt(2) times larger than a box to hide it.
    factor = rng.uniform(1.2, 1.4) * (1.45 if shape == "ball" else 1.0)
    half_b = (stage.half_a[0] * factor + 4, stage.half_a[1] * factor + 4)
    a = random_point(
        rng, stage.half_a, stage.width, stage.height, margin=half_b[0] - stage.half_a[0] + 4
    )
    slack = np.array(
        [
            half_b[0] - stage.half_a[0] * (1.45 if shape == "ball" else 1.0),
            half_b[1] - stage.half_a[1] * (1.45 if shape == "ball" else 1.0),
        ]
    )
    end = a + rng.uniform(-0.4, 0.4, size=2) * np.maximum(slack - 2, 0)
    angle = rng.uniform(-0.6, 0.6) + (np.pi if rng.random() < 0.5 else 0.0)
    direction = unit(angle)
    start = end + direction * (
        extent_along(half_b, direction)
        + extent_along(stage.half_a, direction)
        + rng.uniform(12, 0.3 * stage.width)
    )
    b = _arc(start, end, ramp(n_frames, stage.start, stage.end), lift=rng.uniform(0, 15))
    hand = _holding(stage, b, half_b, np.array([0.0, -1.0]))
    if not (
        inside(b, half_b, stage.width, stage.height)
        and inside(hand, stage.half_hand, stage.width, stage.height)
    ):
        raise LayoutRejected("covering does not fit")
    return Motion(
        a=still(a, n_frames), b=b, hand=hand, order=("A", "B"), half_b=half_b, b_shapes=(shape,)
    )


def passing(stage: Stage) -> Motion:
    """Moving A and B so they pass each other: they slide past each other in opposite directions."""
    rng = stage.rng
    n_frames, width = stage.n_frames, stage.width
    lane_gap = rng.uniform(0, stage.half_a[1] + stage.half_b[1] + 10)
    y_a = rng.uniform(stage.height * 0.2, stage.height * 0.8)
    y_b = y_a + lane_gap * (1 if rng.random() < 0.5 else -1)
    left = rng.uniform(0.08, 0.25) * width
    right = width - rng.uniform(0.08, 0.25) * width
    progress = ramp(n_frames, stage.start, stage.end)
    if rng.random() < 0.5:
        a = lerp(np.array([left, y_a]), np.array([right, y_a]), progress)
        b = lerp(np.array([right, y_b]), np.array([left, y_b]), progress)
    else:
        a = lerp(np.array([right, y_a]), np.array([left, y_a]), progress)
        b = lerp(np.array([left, y_b]), np.array([right, y_b]), progress)
    if not (
        inside(a, stage.half_a, width, stage.height)
        and inside(b, stage.half_b, width, stage.height)
    ):
        raise LayoutRejected("passing does not fit")
    hand = _resting_hand(stage, [(a, stage.half_a), (b, stage.half_b)])
    return Motion(a=a, b=b, hand=hand, order=_random_order(rng))


def bouncing_back(stage: Stage) -> Motion:
    """A collides with B and bounces back: A slides to touch B, then slides back where it began."""
    rng = stage.rng
    n_frames = stage.n_frames
    b = random_point(rng, stage.half_b, stage.width, stage.height)
    angle = rng.uniform(-0.5, 0.5) + (np.pi if rng.random() < 0.5 else 0.0)
    from_b = unit(angle)
    touch = extent_along(stage.half_a, from_b) + extent_along(stage.half_b, from_b) + 1
    far = touch + rng.uniform(0.2, 0.4) * stage.width
    middle = 0.5 * (stage.start + stage.end)
    there = ramp(n_frames, stage.start, middle)
    back = ramp(n_frames, middle, stage.end)
    distance = far + (touch - far) * (there - back)
    a = b[None, :] + from_b[None, :] * distance[:, None]
    if not inside(a, stage.half_a, stage.width, stage.height):
        raise LayoutRejected("bouncing does not fit")
    hand = _resting_hand(stage, [(a, stage.half_a), (still(b, n_frames), stage.half_b)])
    return Motion(a=a, b=still(b, n_frames), hand=hand, order=_random_order(rng))


def pretending_to_push(stage: Stage) -> Motion:
    """Pretending to push A: the hand comes to A, nudges it a few pixels, and withdraws."""
    rng = stage.rng
    n_frames = stage.n_frames
    a_position = random_point(rng, stage.half_a, stage.width, stage.height)
    side = -1.0 if rng.random() < 0.5 else 1.0  # the hand comes from this side of A
    middle = 0.5 * (stage.start + stage.end)
    there = ramp(n_frames, stage.start, middle)
    back = ramp(n_frames, middle, stage.end)
    nudge = rng.uniform(1, 4) * (there - back) * -side
    a = still(a_position, n_frames)
    a[:, 0] += nudge
    contact = stage.half_a[0] + stage.half_hand[0] * 0.9
    approach = rng.uniform(25, 60)
    hand_x = a[:, 0] + side * (contact + approach * (1.0 - (there - back)))
    hand = np.stack([hand_x, np.full(n_frames, a_position[1] + rng.uniform(-4, 4))], axis=1)
    b = random_point(rng, stage.half_b, stage.width, stage.height)
    if not (
        inside(hand, stage.half_hand, stage.width, stage.height)
        and apart(a, stage.half_a, still(b, n_frames), stage.half_b, gap=6)
        and apart(hand, stage.half_hand, still(b, n_frames), stage.half_b, gap=4)
    ):
        raise LayoutRejected("pretending does not fit")
    return Motion(
        a=a, b=still(b, n_frames), hand=hand, order=_random_order(rng), placeholder_roles=("A",)
    )


def holding_next_to(stage: Stage) -> Motion:
    """Holding A next to B: the hand holds A still beside B; nothing moves but a slight tremor."""
    rng = stage.rng
    n_frames = stage.n_frames
    b = random_point(rng, stage.half_b, stage.width, stage.height)
    angle = rng.uniform(-0.6, 0.6) + (np.pi if rng.random() < 0.5 else 0.0)
    from_b = unit(angle)
    distance = (
        extent_along(stage.half_a, from_b) + extent_along(stage.half_b, from_b) + rng.uniform(4, 40)
    )
    a = still(b + from_b * distance, n_frames) + rng.normal(0.0, 0.4, size=(n_frames, 2))
    hand = _holding(stage, a, stage.half_a, _grip_side(stage, -from_b))
    if not (
        inside(a, stage.half_a, stage.width, stage.height)
        and inside(hand, stage.half_hand, stage.width, stage.height)
        and apart(hand, stage.half_hand, still(b, n_frames), stage.half_b, gap=2)
    ):
        raise LayoutRejected("holding does not fit")
    return Motion(a=a, b=still(b, n_frames), hand=hand, order=_random_order(rng))


def _reversed(generator: Callable[[Stage], Motion]) -> Callable[[Stage], Motion]:
    """The time-reversed class: the same layouts played backwards."""

    def reverse(stage: Stage) -> Motion:
        motion = generator(stage)
        return Motion(
            a=motion.a[::-1].copy(),
            b=motion.b[::-1].copy(),
            hand=motion.hand[::-1].copy(),
            order=motion.order,
            half_b=motion.half_b,
            b_shapes=motion.b_shapes,
            placeholder_roles=motion.placeholder_roles,
        )

    return reverse


def _revealing(stage: Stage) -> Motion:
    motion = _reversed(covering)(stage)
    # "Removing [B], revealing [A] behind": B fills the first placeholder.
    motion.placeholder_roles = ("B", "A")
    return motion


@dataclass(frozen=True)
class ActionClass:
    """A class of the embedded data set: its Something-Something template and generator."""

    template: str
    generate: Callable[[Stage], Motion]

    @property
    def name(self) -> str:
        """The class name as Something-Something v2 writes it: the template without brackets."""
        return self.template.replace("[", "").replace("]", "")


#: The classes, in label-index order.
ACTION_CLASSES: tuple[ActionClass, ...] = (
    ActionClass("Moving [something] closer to [something]", moving_closer),
    ActionClass("Moving [something] away from [something]", _reversed(moving_closer)),
    ActionClass("Pushing [something] from left to right", pushing_left_to_right),
    ActionClass("Pushing [something] from right to left", pushing_right_to_left),
    ActionClass("Putting [something] on top of [something]", putting_on_top),
    ActionClass("Taking [something] off [something]", _reversed(putting_on_top)),
    ActionClass("Putting [something] behind [something]", putting_behind),
    ActionClass("Taking [something] from behind [something]", _reversed(putting_behind)),
    ActionClass("Covering [something] with [something]", covering),
    ActionClass("Removing [something], revealing [something] behind", _revealing),
    ActionClass("Moving [something] and [something] so they pass each other", passing),
    ActionClass("[Something] colliding with [something] and bouncing back", bouncing_back),
    ActionClass("Pretending to push [something]", pretending_to_push),
    ActionClass("Holding [something] next to [something]", holding_next_to),
)
