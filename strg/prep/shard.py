"""Splitting work across machines: ``--shard I/N`` picks a disjoint, deterministic share.

Each item is assigned to shard ``sha1(key) mod N``, where ``key`` is a name that is the same on
every machine (a video's path relative to the input root, or its id). The assignment depends on
nothing but the key, so N machines (a Slurm array, say) that see the same files take disjoint
shares that together cover everything, and their outputs merge by sharing the output folder.
Shards are numbered from 0: ``--shard 0/4`` … ``--shard 3/4`` (``$SLURM_ARRAY_TASK_ID/4`` with
``--array=0-3``).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TypeVar

T = TypeVar("T")


@dataclass(frozen=True)
class Shard:
    """Shard ``index`` of ``count`` (0 <= index < count)."""

    index: int = 0
    count: int = 1

    def __post_init__(self) -> None:
        if self.count < 1 or not 0 <= self.index < self.count:
            raise ValueError(
                f"shard must be I/N with N >= 1 and 0 <= I < N (numbered from 0), "
                f"got {self.index}/{self.count}"
            )

    def __str__(self) -> str:
        return f"{self.index}/{self.count}"

    def owns(self, key: str) -> bool:
        """Whether the item named ``key`` belongs to this shard."""
        return shard_of(key, self.count) == self.index


def parse_shard(text: str) -> Shard:
    """``"I/N"`` -> :class:`Shard`; a ValueError that quotes ``text`` otherwise."""
    index, slash, count = text.partition("/")
    try:
        if not slash:
            raise ValueError
        return Shard(int(index), int(count))
    except ValueError as error:
        detail = str(error) or "expected I/N, e.g. 0/4"
        raise ValueError(f"invalid shard {text!r}: {detail}") from None


def shard_of(key: str, count: int) -> int:
    """The shard (0..count-1) of ``key``: a stable hash, the same in every process."""
    digest = hashlib.sha1(key.encode("utf-8", "surrogateescape")).digest()
    return int.from_bytes(digest[:8], "big") % count


def select(items: Sequence[T], shard: Shard, key: Callable[[T], str]) -> list[T]:
    """The items of ``shard``, in their original order."""
    if shard.count == 1:
        return list(items)
    return [item for item in items if shard.owns(key(item))]
