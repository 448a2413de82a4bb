"""Time profiles and placement helpers for the embedded data set's motions.

Positions are arrays of shape T×2 holding an object's centre (x, y) in pixels at every frame.
"""

from __future__ import annotations

import numpy as np


def ramp(n_frames: int, start: float, end: float) -> np.ndarray:
    """Progress of a motion at every frame: 0 before ``start``, 1 after ``end``, smooth between.

    Returns a float array of length ``n_frames`` (a smoothstep, so objects start and stop gently).
    """
    frames = np.arange(n_frames, dtype=np.float64)
    linear = np.clip((frames - start) / max(end - start, 1e-6), 0.0, 1.0)
    return linear * linear * (3.0 - 2.0 * linear)


def lerp(start: np.ndarray, end: np.ndarray, progress: np.ndarray) -> np.ndarray:
    """Positions moving from ``start`` (2,) to ``end`` (2,) with ``progress`` (T,): returns T×2."""
    start = np.asarray(start, dtype=np.float64)
    end = np.asarray(end, dtype=np.float64)
    return start[None, :] + (end - start)[None, :] * progress[:, None]


def still(position: np.ndarray, n_frames: int) -> np.ndarray:
    """An object that does not move: T×2."""
    return np.repeat(np.asarray(position, dtype=np.float64)[None, :], n_frames, axis=0)


def extent_along(half_size: tuple[float, float], direction: np.ndarray) -> float:
    """Distance from a box-like object's centre to its edge along the unit vector ``direction``."""
    return abs(direction[0]) * half_size[0] + abs(direction[1]) * half_size[1]


def unit(angle: float) -> np.ndarray:
    """The unit vector at ``angle`` radians (0 points right, pi/2 points down the image)."""
    return np.array([np.cos(angle), np.sin(angle)])


def inside(
    position: np.ndarray,
    half_size: tuple[float, float],
    width: int,
    height: int,
    margin: float = 2.0,
) -> bool:
    """Whether an object of ``half_size`` at ``position`` (2,), or at each row of T×2, fits."""
    points = np.atleast_2d(position)
    return bool(
        np.all(points[:, 0] - half_size[0] >= margin)
        and np.all(points[:, 0] + half_size[0] <= width - margin)
        and np.all(points[:, 1] - half_size[1] >= margin)
        and np.all(points[:, 1] + half_size[1] <= height - margin)
    )


def random_point(
    rng: np.random.Generator,
    half_size: tuple[float, float],
    width: int,
    height: int,
    margin: float = 4.0,
) -> np.ndarray:
    """A uniformly random centre at which an object of ``half_size`` lies inside the frame."""
    return np.array(
        [
            rng.uniform(half_size[0] + margin, width - half_size[0] - margin),
            rng.uniform(half_size[1] + margin, height - half_size[1] - margin),
        ]
    )


def apart(
    position_a: np.ndarray,
    half_a: tuple[float, float],
    position_b: np.ndarray,
    half_b: tuple[float, float],
    gap: float = 4.0,
) -> bool:
    """Whether two box-like objects at every frame (T×2 or 2,) are separated by at least ``gap``."""
    a = np.atleast_2d(position_a)
    b = np.atleast_2d(position_b)
    separated_x = np.abs(a[:, 0] - b[:, 0]) >= half_a[0] + half_b[0] + gap
    separated_y = np.abs(a[:, 1] - b[:, 1]) >= half_a[1] + half_b[1] + gap
    return bool(np.all(separated_x | separated_y))
