"""The variants of the embedded data set in the Something-Something v2 layout: one entry each.

``motion`` is the original set (:mod:`strg.synth.actions`), whose classes per-object motion
alone tells apart well; ``relational`` (:mod:`strg.synth.relational_actions`) is built so that
only the relations between objects tell its classes apart. A variant owns its class list, how a
clip of it is drawn, and its default size.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from strg.synth.actions import ACTION_CLASSES, ActionClass
from strg.synth.clip import draw_scene
from strg.synth.relational_actions import RELATIONAL_CLASSES, RelationalClass
from strg.synth.relational_clip import draw_relational_scene
from strg.synth.scene import Scene

#: (rng, class index, min frames, max frames, held_out) -> the drawn clip; ``held_out`` picks
#: the half of the compositional split the looks come from (None: any look).
DrawScene = Callable[[np.random.Generator, int, int, int, bool | None], Scene]


@dataclass(frozen=True)
class Variant:
    """A variant: its classes (label-index order), how a clip is drawn, its default size
    (videos per class and the shares of validation and test), and whether it has the
    compositional split."""

    classes: tuple[ActionClass, ...] | tuple[RelationalClass, ...]
    draw: DrawScene
    videos_per_class: int
    val_fraction: float
    test_fraction: float
    compositional: bool


def _draw_motion_scene(
    rng: np.random.Generator, class_index: int, min_frames: int, max_frames: int, _: bool | None
) -> Scene:
    return draw_scene(rng, class_index, min_frames, max_frames)


#: Variant name -> variant; the first is the default.
VARIANTS: dict[str, Variant] = {
    "motion": Variant(ACTION_CLASSES, _draw_motion_scene, 30, 0.2, 0.1, compositional=False),
    # 80 per class: 40 train, 36 validation, 4 test; 14 classes make 504 validation videos.
    "relational": Variant(
        RELATIONAL_CLASSES, draw_relational_scene, 80, 0.45, 0.05, compositional=True
    ),
}
DEFAULT_VARIANT = next(iter(VARIANTS))
