"""A drawn clip before rendering: every object's look and track, and two ways to box it.

A :class:`Scene` is what a variant's layout code produces; :func:`render_scene` turns it into
frames and the visible boxes read from the owner map (what the box file holds), and
:func:`scene_boxes` gives nearly the same boxes from geometry alone, without drawing a pixel, for
analyses that need thousands of clips in seconds (``benchmarks/relational_gate.py``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from strg.synth.render import (
    MIN_VISIBLE_PIXELS,
    SceneObject,
    make_background,
    render_frame,
    visible_boxes,
)

Box = tuple[float, float, float, float]


@dataclass
class Scene:
    """One clip's objects and motions.

    ``objects`` are in drawing order (first at the bottom); ``tracks[k]`` holds the centre
    (x, y) of ``objects[k]`` at every frame (T×2, pixels of the ``height × width`` frame).
    ``placeholders``: the names that fill the template's [something] slots, in order.
    """

    width: int
    height: int
    objects: list[SceneObject]
    tracks: list[np.ndarray]
    placeholders: list[str]

    @property
    def n_frames(self) -> int:
        """Frames in the clip."""
        return len(self.tracks[0])


@dataclass
class Clip:
    """A rendered clip.

    ``frames``: T×H×W×3 uint8. ``objects``: every object drawn, in drawing order.
    ``boxes[t][k]``: visible box (x1, y1, x2, y2) of ``objects[k]`` in frame t, or None.
    ``placeholders``: the names that fill the template's [something] slots, in order.
    """

    frames: np.ndarray
    objects: list[SceneObject]
    boxes: list[list[Box | None]]
    placeholders: list[str]


def render_scene(scene: Scene, rng: np.random.Generator) -> Clip:
    """Draw a background with ``rng`` and every frame of ``scene``; box each object's visible
    pixels."""
    background = make_background(rng, scene.height, scene.width)
    frames = np.empty((scene.n_frames, scene.height, scene.width, 3), dtype=np.uint8)
    boxes = []
    for t in range(scene.n_frames):
        frame, owner, windows = render_frame(
            background, scene.objects, [tuple(track[t]) for track in scene.tracks]
        )
        frames[t] = frame
        boxes.append(visible_boxes(owner, windows))
    return Clip(frames=frames, objects=scene.objects, boxes=boxes, placeholders=scene.placeholders)


def scene_boxes(scene: Scene, frames: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Boxes of every object at ``frames`` (default: all) from geometry, without rendering.

    Returns ``boxes`` (T×K×4, x1 y1 x2 y2 in frame pixels) and ``present`` (T×K bool). Each box
    is the object's extent clipped to the frame, cut back where an object drawn above it covers
    it across its whole width or height, and absent where one covers it entirely or fewer than
    :data:`MIN_VISIBLE_PIXELS` pixels remain: the rendered visible boxes up to the shapes'
    rounded corners.
    """
    steps = np.arange(scene.n_frames) if frames is None else np.asarray(frames)
    centres = np.stack([track[steps] for track in scene.tracks], axis=1)  # T×K×2
    halves = np.array([scene_object.half_size for scene_object in scene.objects])  # K×2
    boxes = np.concatenate([centres - halves, centres + halves], axis=-1)
    boxes = np.clip(boxes, 0.0, [scene.width, scene.height, scene.width, scene.height])
    present = (boxes[..., 2] > boxes[..., 0]) & (boxes[..., 3] > boxes[..., 1])
    for k in range(len(scene.objects)):
        for above in range(k + 1, len(scene.objects)):
            _cut(boxes[:, k], present[:, k], boxes[:, above], present[:, above])
    area = (boxes[..., 2] - boxes[..., 0]) * (boxes[..., 3] - boxes[..., 1])
    return boxes, present & (area >= MIN_VISIBLE_PIXELS)


def _cut(box: np.ndarray, present: np.ndarray, cover: np.ndarray, covering: np.ndarray) -> None:
    """Cut ``box`` (T×4, in place) where ``cover`` (T×4) hides part of it; update ``present``."""
    spans_x = covering & (cover[:, 0] <= box[:, 0]) & (cover[:, 2] >= box[:, 2])
    spans_y = covering & (cover[:, 1] <= box[:, 1]) & (cover[:, 3] >= box[:, 3])
    present &= ~(spans_x & spans_y)
    # A cover spanning the box's width hides its top or bottom part: keep the larger side left.
    for spans, low, high in ((spans_x, 1, 3), (spans_y, 0, 2)):
        overlaps = spans & (cover[:, low] < box[:, high]) & (cover[:, high] > box[:, low])
        before = np.clip(cover[:, low] - box[:, low], 0.0, None)
        after = np.clip(box[:, high] - cover[:, high], 0.0, None)
        keep_before = overlaps & (before >= after)
        keep_after = overlaps & (before < after)
        box[keep_before, high] = cover[keep_before, low]
        box[keep_after, low] = cover[keep_after, high]
        present &= ~(overlaps & (np.maximum(before, after) <= 0))
