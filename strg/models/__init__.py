"""Models: the 3D-ResNets family, I3D ResNets, and the STRG region-graph model.

``build_model(name, **options)`` is the one entry point; ``MODELS`` lists the names. They are
loaded on first use, so that :mod:`strg.models.names` can be read without importing torch.
"""

from __future__ import annotations

from typing import Any

__all__ = ["MODELS", "build_model", "model_options"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from strg.models import builder

        return getattr(builder, name)
    raise AttributeError(f"module 'strg.models' has no attribute {name!r}")
