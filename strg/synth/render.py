"""Drawing the embedded data set's frames: backgrounds, flat-coloured shapes and a hand.

A frame is composed bottom to top from a background and a list of objects at given centres. Beside
the RGB frame, rendering returns an owner map (which object each pixel shows), from which the
visible box of every object is read; a box therefore always covers pixels of its object's colour,
and an object hidden behind another has a smaller box or none.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

#: Saturated object colours, far from the desaturated backgrounds and from the skin tones.
PALETTE: dict[str, tuple[int, int, int]] = {
    "red": (215, 35, 35),
    "green": (35, 170, 60),
    "blue": (40, 70, 215),
    "yellow": (240, 215, 30),
    "purple": (140, 50, 195),
    "cyan": (30, 195, 215),
    "orange": (245, 125, 20),
    "pink": (235, 60, 165),
    "white": (245, 245, 245),
    "black": (20, 20, 20),
}

#: Skin tones for the hand.
SKIN_TONES: tuple[tuple[int, int, int], ...] = (
    (225, 175, 130),
    (200, 140, 95),
    (150, 95, 60),
    (110, 70, 45),
)

#: Shape name -> the noun used in placeholders ("red ball").
SHAPE_NOUNS: dict[str, str] = {
    "box": "box",
    "ball": "ball",
    "wedge": "wedge",
    "tile": "tile",
    "hand": "hand",
}

#: Pixels an object must show to get a box in a frame.
MIN_VISIBLE_PIXELS = 30


@dataclass(frozen=True)
class SceneObject:
    """One object of a clip: its look and its annotation names.

    ``half_size`` is (half width, half height) in pixels; ``category`` is the free-text name
    written in the box file ("red ball" or "hand"), ``standard_category`` the Something-Else code
    ("0000", "0001", ... or "hand").
    """

    shape: str
    colour: tuple[int, int, int]
    half_size: tuple[float, float]
    category: str
    standard_category: str


def shape_mask(
    shape: str,
    centre_x: float,
    centre_y: float,
    half_w: float,
    half_h: float,
    height: int,
    width: int,
) -> tuple[slice, slice, np.ndarray] | None:
    """Rasterise a shape: the window it occupies in an ``height × width`` frame and its mask there.

    Returns ``(rows, cols, mask)`` with ``mask`` a bool array of the window's shape, or ``None``
    when the shape lies entirely outside the frame. Pixel (r, c) is inside when its centre
    (c + 0.5, r + 0.5) is.
    """
    x0 = max(int(np.floor(centre_x - half_w)), 0)
    x1 = min(int(np.ceil(centre_x + half_w)), width)
    y0 = max(int(np.floor(centre_y - half_h)), 0)
    y1 = min(int(np.ceil(centre_y + half_h)), height)
    if x0 >= x1 or y0 >= y1:
        return None
    dx = (np.arange(x0, x1) + 0.5 - centre_x)[None, :] / half_w
    dy = (np.arange(y0, y1) + 0.5 - centre_y)[:, None] / half_h
    if shape == "box":
        mask = (np.abs(dx) <= 1) & (np.abs(dy) <= 1)
    elif shape == "ball":
        mask = dx**2 + dy**2 <= 1
    elif shape == "wedge":  # a triangle standing on its base
        mask = (np.abs(dy) <= 1) & (np.abs(dx) <= (dy + 1) / 2)
    elif shape == "tile":  # a diamond
        mask = np.abs(dx) + np.abs(dy) <= 1
    elif shape == "hand":  # a rounded mitt
        mask = dx**4 + dy**4 <= 1
    else:
        raise ValueError(f"unknown shape {shape!r}; valid: {', '.join(SHAPE_NOUNS)}")
    return slice(y0, y1), slice(x0, x1), mask


def make_background(rng: np.random.Generator, height: int, width: int) -> np.ndarray:
    """A random desaturated background ("a table", "a wall"): ``height × width × 3`` uint8.

    Kinds: flat, vertical or horizontal gradient, low-contrast stripes, checkerboard or smooth
    noise, around a grey-brown base colour whose channels stay within 70..180.
    """
    base = rng.uniform(85, 165) + rng.uniform(-18, 18, size=3)
    kind = rng.choice(["flat", "vgradient", "hgradient", "stripes", "checker", "noise"])
    ys = np.linspace(-1, 1, height)[:, None]
    xs = np.linspace(-1, 1, width)[None, :]
    contrast = rng.uniform(8, 22)
    if kind == "flat":
        pattern = np.zeros((height, width))
    elif kind == "vgradient":
        pattern = np.broadcast_to(ys, (height, width)) * contrast
    elif kind == "hgradient":
        pattern = np.broadcast_to(xs, (height, width)) * contrast
    elif kind == "stripes":
        period = rng.uniform(12, 40)
        angle = rng.uniform(0, np.pi)
        rows, cols = np.mgrid[0:height, 0:width]
        phase = (cols * np.cos(angle) + rows * np.sin(angle)) / period
        pattern = np.sign(np.sin(2 * np.pi * phase)) * contrast * 0.5
    elif kind == "checker":
        cell = int(rng.integers(16, 48))
        rows, cols = np.mgrid[0:height, 0:width]
        pattern = (((rows // cell) + (cols // cell)) % 2 - 0.5) * contrast
    else:
        coarse = rng.normal(size=(height // 16 + 2, width // 16 + 2))
        pattern = np.kron(coarse, np.ones((16, 16)))[:height, :width] * contrast * 0.6
    image = base[None, None, :] + pattern[:, :, None]
    return np.clip(image, 70, 180).astype(np.uint8)


Window = tuple[slice, slice]


def render_frame(
    background: np.ndarray, objects: list[SceneObject], centres: list[tuple[float, float]]
) -> tuple[np.ndarray, np.ndarray, list[Window | None]]:
    """Draw ``objects`` at ``centres`` over ``background``, first object at the bottom.

    Returns the RGB frame (H×W×3 uint8), the owner map (H×W int16: index into ``objects`` of the
    object seen at each pixel, -1 for background) and the window each object was drawn in (None
    for an object outside the frame).
    """
    height, width = background.shape[:2]
    frame = background.copy()
    owner = np.full((height, width), -1, dtype=np.int16)
    windows: list[Window | None] = []
    for index, (scene_object, (centre_x, centre_y)) in enumerate(
        zip(objects, centres, strict=True)
    ):
        half_w, half_h = scene_object.half_size
        drawn = shape_mask(scene_object.shape, centre_x, centre_y, half_w, half_h, height, width)
        if drawn is None:
            windows.append(None)
            continue
        rows, cols, mask = drawn
        frame[rows, cols][mask] = scene_object.colour
        owner[rows, cols][mask] = index
        windows.append((rows, cols))
    return frame, owner, windows


def _erode(mask: np.ndarray) -> np.ndarray:
    """Pixels of ``mask`` whose 8 neighbours are all in it (the array's border counts as in)."""
    padded = np.pad(mask, 1, mode="edge")
    height, width = mask.shape
    eroded = mask.copy()
    for dy in (0, 1, 2):
        for dx in (0, 1, 2):
            eroded &= padded[dy : dy + height, dx : dx + width]
    return eroded


def visible_boxes(
    owner: np.ndarray, windows: list[Window | None]
) -> list[tuple[float, float, float, float] | None]:
    """Box (x1, y1, x2, y2, continuous pixel coordinates) of each object's visible part.

    ``windows`` are those returned by :func:`render_frame`. Slivers one or two pixels wide (the rim
    of an object almost hidden behind another) are not counted, as an annotator would not draw
    them: the box is that of the visible pixels after a one-pixel erosion, grown back by one
    pixel. ``None`` when fewer than :data:`MIN_VISIBLE_PIXELS` pixels survive the erosion.
    """
    height, width = owner.shape
    boxes: list[tuple[float, float, float, float] | None] = []
    for index, window in enumerate(windows):
        if window is None:
            boxes.append(None)
            continue
        # One pixel of margin, so that the erosion sees the object's true edges inside the frame
        # (only the frame border itself is treated as inside).
        top, left = max(window[0].start - 1, 0), max(window[1].start - 1, 0)
        bottom, right = min(window[0].stop + 1, height), min(window[1].stop + 1, width)
        solid = _erode(owner[top:bottom, left:right] == index)
        if int(solid.sum()) < MIN_VISIBLE_PIXELS:
            boxes.append(None)
            continue
        rows = np.flatnonzero(solid.any(axis=1)) + top
        cols = np.flatnonzero(solid.any(axis=0)) + left
        boxes.append(
            (
                float(max(cols[0] - 1, 0)),
                float(max(rows[0] - 1, 0)),
                float(min(cols[-1] + 2, width)),
                float(min(rows[-1] + 2, height)),
            )
        )
    return boxes
