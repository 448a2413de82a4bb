"""Shared helpers for the model tests: tiny inputs, boxes and published key lists."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import torch

FIXTURES = Path(__file__).parent / "fixtures"


def published_keys(name: str) -> tuple[dict[str, tuple[tuple[int, ...], str]], int]:
    """Parse ``fixtures/<name>_keys.txt`` (copied from shared/reference/state_dicts).

    Returns ``({key: (shape, dtype)}, trainable parameter count from the header)``.
    """
    entries, params = {}, None
    for line in (FIXTURES / f"{name}_keys.txt").read_text().splitlines():
        if line.startswith("#"):
            found = re.search(r"(\d+) trainable parameters", line)
            params = int(found.group(1)) if found else params
            continue
        key, shape, dtype = line.split("\t")
        dims = tuple(int(d) for d in re.findall(r"\d+", shape))
        entries[key] = (dims, dtype)
    assert params is not None, f"{name}: no parameter count in the header"
    return entries, params


def random_boxes(
    batch: int, steps: int, n: int, size: int, generator: torch.Generator
) -> torch.Tensor:
    """``batch×steps×n×4`` XYXY boxes inside a ``size``² clip, each at least 4 pixels wide."""
    xy = torch.rand(batch, steps, n, 2, generator=generator) * (size * 0.6)
    wh = torch.rand(batch, steps, n, 2, generator=generator) * (size * 0.3) + 4
    return torch.cat([xy, xy + wh], dim=-1)


@pytest.fixture
def generator() -> torch.Generator:
    return torch.Generator().manual_seed(0)
