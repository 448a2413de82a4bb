"""The embedded data set: relational Something-Something-like clips with per-frame boxes."""

from strg.synth.actions import ACTION_CLASSES
from strg.synth.generate import SynthError, SynthOptions, generate_dataset

__all__ = ["ACTION_CLASSES", "SynthError", "SynthOptions", "generate_dataset"]
