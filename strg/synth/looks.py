"""What the objects of the relational variant look like, and the compositional split of looks.

A look is a (shape, colour) pair. Under the compositional split (the Something-Else protocol:
object combinations of the training set never reappear at test time) the 4 × 10 looks are cut in
two halves, and every object of a training video takes a look of one half, every object of a
validation or test video one of the other. Each half holds every shape (with 5 colours) and every
colour (with 2 shapes), so a model meets every shape and colour in training, only never paired as
in validation.
"""

from __future__ import annotations

import numpy as np

from strg.synth.clip import OBJECT_SHAPES
from strg.synth.render import PALETTE

#: The ways to share looks between the subsets: any look anywhere, or disjoint halves.
SPLITS = ("shuffled", "compositional")

Look = tuple[str, str]


def is_held_out(look: Look) -> bool:
    """Whether a (shape, colour) look belongs to the half kept for validation and test."""
    shape, colour = look
    return (OBJECT_SHAPES.index(shape) + list(PALETTE).index(colour)) % 2 == 1


def draw_looks(rng: np.random.Generator, count: int, held_out: bool | None) -> list[Look]:
    """``count`` looks of distinct colours: from either half (``held_out`` None), from the held
    out half (True) or from the training half (False)."""
    colours = [str(name) for name in rng.choice(list(PALETTE), size=count, replace=False)]
    looks = []
    for colour in colours:
        shapes = [
            shape
            for shape in OBJECT_SHAPES
            if held_out is None or is_held_out((shape, colour)) == held_out
        ]
        looks.append((str(rng.choice(shapes)), colour))
    return looks
