"""Label swapping for horizontal flips: mirrored "left to right" is "right to left".

Something-Something has classes that differ only by a direction (``Pushing something from left
to right`` / ``... right to left``); flipping such a clip without changing its label teaches the
wrong class, which is why flips are off by default there. With the label-swapping flip, a flipped
clip takes the class whose name has every ``left`` and ``right`` exchanged, when that class exists.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

_SIDE = re.compile(r"\b(left|right)\b", re.IGNORECASE)


def _swap(match: re.Match[str]) -> str:
    word = match.group(0)
    other = "right" if word.lower() == "left" else "left"
    if word.isupper():
        return other.upper()
    return other.capitalize() if word[0].isupper() else other


def mirrored_name(name: str) -> str:
    """``name`` with the words left and right exchanged (case kept)."""
    return _SIDE.sub(_swap, name)


def flip_label_map(class_names: Sequence[str]) -> list[int]:
    """For every class index, the index of its mirror class (itself when it has none)."""
    index = {name: position for position, name in enumerate(class_names)}
    return [index.get(mirrored_name(name), position) for position, name in enumerate(class_names)]
