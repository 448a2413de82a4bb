"""The embedded data set: relational Something-Something-like clips with per-frame boxes, and a
multi-label variant in the Charades layout."""

from strg.synth.actions import ACTION_CLASSES
from strg.synth.charades import CharadesOptions, generate_charades
from strg.synth.generate import SynthError, SynthOptions, generate_dataset

__all__ = [
    "ACTION_CLASSES",
    "CharadesOptions",
    "SynthError",
    "SynthOptions",
    "generate_charades",
    "generate_dataset",
]
