"""Reading JSON inputs without letting a key listed twice win silently.

``json.loads`` keeps the last of two equal keys in an object: an annotation listing a video twice
would then train on one entry and drop the other without a word. Every reader of user-given JSON
(annotations, results, box files) parses with :func:`loads_unique`.
"""

from __future__ import annotations

import json
from typing import Any


class DuplicateKeyError(ValueError):
    """An object of the JSON holds ``key`` twice."""

    def __init__(self, key: str) -> None:
        super().__init__(f"key {key!r} is listed twice")
        self.key = key


def _unique_object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise DuplicateKeyError(key)
        out[key] = value
    return out


def loads_unique(text: str) -> Any:
    """``json.loads(text)``, but a key repeated in any object is a :class:`DuplicateKeyError`
    (a ``json.JSONDecodeError`` for text that is not JSON, as usual)."""
    return json.loads(text, object_pairs_hook=_unique_object)
