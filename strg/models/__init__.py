"""Models: the 3D-ResNets family, I3D ResNets, and the STRG region-graph model.

``build_model(name, **options)`` is the one entry point; ``MODELS`` lists the names.
"""

from strg.models.builder import MODELS, build_model, model_options

__all__ = ["MODELS", "build_model", "model_options"]
