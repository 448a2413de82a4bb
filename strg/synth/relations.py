"""How one object moves relative to another in the relational variant of the embedded data set.

A relation moves a *mover* relative to a still *reference*. Each relation first draws the mover's
own motion from the distribution of its primitive, the same for every relation of that
primitive, and only then places the reference:

- ``slide``: a straight travel of length L in any direction (closer, away, past);
- ``lift``: a mostly sideways travel of length L along a raised arc (on top, next to, off,
  from beside);
- ``out_and_back``: out by L in any direction and back again (bounce, turn back).

So "moving closer" and "moving past" give the mover the same motion, and which of the two a clip
shows is told only by where the reference lies. The reversed relations (away, off, from beside)
are the forward ones played backwards; since every distribution here, the time window's included,
is unchanged by a time reversal, a relation and its reverse also share the mover's motion.

Positions are T×2 centres in pixels of the square crop (side ``size``); a layout that does not fit
raises :class:`~strg.synth.actions.LayoutRejected`, and the caller draws again.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from strg.synth.actions import LayoutRejected
from strg.synth.motion import apart, lerp, ramp, unit

Half = tuple[float, float]

#: Travel of the slide and lift primitives and amplitude of out-and-back, as a share of the crop.
TRAVEL = (0.28, 0.4)
AMPLITUDE = (0.22, 0.34)
#: Gaps in pixels between the boxes of two objects that do not touch, per relation: wide enough to
#: stay visible at 56×56 after the crop (a 240-pixel crop shrinks 4.3 times).
CLOSE_GAP = (2.0, 6.0)
PASS_GAP = (8.0, 24.0)
BESIDE_GAP = (10.0, 24.0)
SHORT_GAP = (28.0, 50.0)
#: Overlap in pixels of two objects that touch (box corners of round shapes do not meet).
TOUCH_OVERLAP = (0.0, 3.0)


@dataclass(frozen=True)
class Window:
    """The frames ``[start, end]`` over which a motion happens (fractional frame numbers).

    Drawn by :func:`draw_window` so that its distribution is the same played backwards.
    """

    start: float
    end: float

    @property
    def middle(self) -> float:
        """The turning point of an out-and-back motion."""
        return 0.5 * (self.start + self.end)


def draw_window(rng: np.random.Generator, n_frames: int) -> Window:
    """A motion window centred in 42-58 % of the clip and lasting 45-65 % of it.

    Mirrored in time (frame t -> T-1-t) the window keeps this distribution, so a class and its
    time reverse have the same timing.
    """
    last = n_frames - 1
    centre = rng.uniform(0.42, 0.58) * last
    duration = rng.uniform(0.45, 0.65) * last
    return Window(centre - duration / 2, centre + duration / 2)


def progress(window: Window, n_frames: int) -> np.ndarray:
    """0 before the window, 1 after it, smooth between (T,)."""
    return ramp(n_frames, window.start, window.end)


def out_and_back(window: Window, n_frames: int) -> np.ndarray:
    """0 outside the window, 1 at its middle (T,): out and back again."""
    return ramp(n_frames, window.start, window.middle) - ramp(n_frames, window.middle, window.end)


def touch_distance(half_a: Half, half_b: Half, direction: np.ndarray) -> float:
    """Centre distance along the unit vector ``direction`` at which two boxes just touch."""
    reach_x = (half_a[0] + half_b[0]) / max(abs(direction[0]), 1e-9)
    reach_y = (half_a[1] + half_b[1]) / max(abs(direction[1]), 1e-9)
    return float(min(reach_x, reach_y))


def any_direction(rng: np.random.Generator) -> np.ndarray:
    """A unit vector in a uniformly random direction."""
    return unit(rng.uniform(0.0, 2.0 * np.pi))


def _side(rng: np.random.Generator, direction: np.ndarray) -> np.ndarray:
    """One of the two unit vectors perpendicular to ``direction``, at random."""
    sign = 1.0 if rng.random() < 0.5 else -1.0
    return sign * np.array([-direction[1], direction[0]])


@dataclass(frozen=True)
class Setting:
    """What a relation draws on: the mover, the reference, the clip's length and the crop side.

    ``window`` is the mover's time window; ``reference`` the reference's centre (2,).
    """

    rng: np.random.Generator
    n_frames: int
    size: float
    window: Window
    mover: Half
    reference: np.ndarray
    half_reference: Half

    def travel(self, share: tuple[float, float] = TRAVEL) -> float:
        """A travel length drawn from ``share`` of the crop side."""
        return float(self.rng.uniform(*share) * self.size)


def closer(setting: Setting) -> np.ndarray:
    """The mover slides towards the reference and stops just short of touching it."""
    rng, direction = setting.rng, any_direction(setting.rng)
    distance = setting.travel()
    reach = touch_distance(setting.mover, setting.half_reference, direction)
    end = setting.reference - direction * (reach + rng.uniform(*CLOSE_GAP))
    return lerp(end - direction * distance, end, progress(setting.window, setting.n_frames))


def past(setting: Setting) -> np.ndarray:
    """The mover slides past the reference, nearest to it halfway, without touching it."""
    rng, direction = setting.rng, any_direction(setting.rng)
    distance = setting.travel()
    side = _side(rng, direction)
    reach = touch_distance(setting.mover, setting.half_reference, side)
    middle = setting.reference + side * (reach + rng.uniform(*PASS_GAP))
    track = lerp(
        middle - direction * distance / 2,
        middle + direction * distance / 2,
        progress(setting.window, setting.n_frames),
    )
    if not apart(track, setting.mover, setting.reference, setting.half_reference, gap=4):
        raise LayoutRejected("the mover grazes the reference")
    return track


def _lift(setting: Setting, end: np.ndarray, sideways: float) -> np.ndarray:
    """An arc ending at ``end``: a travel drawn as the lift primitive, heading to ``sideways``
    (+1 right, -1 left), raised in the middle."""
    rng = setting.rng
    distance = setting.travel()
    tilt = rng.uniform(-0.3, 0.3)
    displacement = distance * np.array([sideways * np.cos(tilt), np.sin(tilt)])
    phase = progress(setting.window, setting.n_frames)
    track = lerp(end - displacement, end, phase)
    track[:, 1] -= rng.uniform(12.0, 28.0) * np.sin(np.pi * phase)
    return track


def _heading(rng: np.random.Generator) -> float:
    return 1.0 if rng.random() < 0.5 else -1.0


def on_top(setting: Setting) -> np.ndarray:
    """The mover is lifted from beside the reference and set on its top edge."""
    rng = setting.rng
    sideways = _heading(rng)
    shift = rng.uniform(-0.3, 0.3) * min(setting.mover[0], setting.half_reference[0])
    end = setting.reference + np.array(
        [shift, -(setting.half_reference[1] + setting.mover[1]) + rng.uniform(*TOUCH_OVERLAP)]
    )
    track = _lift(setting, end, sideways)
    # On the way it must not sweep through the reference (touching it at the end is the point).
    before = track[progress(setting.window, setting.n_frames) < 0.9]
    if not apart(before, setting.mover, setting.reference, setting.half_reference, gap=0):
        raise LayoutRejected("the arc cuts through the reference")
    return track


def next_to(setting: Setting) -> np.ndarray:
    """The mover is lifted and set down beside the reference, bottoms level, not touching it."""
    rng = setting.rng
    sideways = _heading(rng)
    # The reference lies ahead of the mover, so the arc never passes over it.
    end = setting.reference + np.array(
        [
            -sideways * (setting.half_reference[0] + setting.mover[0] + rng.uniform(*BESIDE_GAP)),
            setting.half_reference[1] - setting.mover[1],
        ]
    )
    return _lift(setting, end, sideways)


def _out_and_back(setting: Setting, gap: float) -> np.ndarray:
    direction = any_direction(setting.rng)
    amplitude = setting.travel(AMPLITUDE)
    reach = touch_distance(setting.mover, setting.half_reference, direction) + gap
    distance = reach + amplitude * (1.0 - out_and_back(setting.window, setting.n_frames))
    return setting.reference[None, :] - direction[None, :] * distance[:, None]


def bounce(setting: Setting) -> np.ndarray:
    """The mover goes out to hit the reference and comes back where it started."""
    return _out_and_back(setting, -setting.rng.uniform(*TOUCH_OVERLAP))


def turn_back(setting: Setting) -> np.ndarray:
    """The mover goes out towards the reference and turns back well before reaching it."""
    return _out_and_back(setting, setting.rng.uniform(*SHORT_GAP))


def backwards(relation: Callable[[Setting], np.ndarray]) -> Callable[[Setting], np.ndarray]:
    """The relation played backwards in time (the window's distribution is symmetric)."""

    def reverse(setting: Setting) -> np.ndarray:
        return relation(setting)[::-1].copy()

    reverse.__doc__ = f"{relation.__name__} played backwards."
    return reverse


away = backwards(closer)
off = backwards(on_top)
from_beside = backwards(next_to)

#: Relation name -> (primitive of the mover, relation); the reference never moves.
RELATIONS: dict[str, tuple[str, Callable[[Setting], np.ndarray]]] = {
    "closer": ("slide", closer),
    "away": ("slide", away),
    "past": ("slide", past),
    "on_top": ("lift", on_top),
    "next_to": ("lift", next_to),
    "off": ("lift", off),
    "from_beside": ("lift", from_beside),
    "bounce": ("out_and_back", bounce),
    "turn_back": ("out_and_back", turn_back),
}
