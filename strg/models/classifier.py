"""The final Linear layer of a model: where it lives and how to replace it.

The 3D-ResNets family calls it ``fc``, DenseNet ``classifier``; this module is the one place that
knows.
"""

from __future__ import annotations

from torch import nn

#: Attribute names of the final Linear layer, in the order they are looked for.
CLASSIFIER_NAMES = ("fc", "classifier")


def classifier_name(model: nn.Module) -> str:
    """The attribute holding ``model``'s final Linear layer (ValueError when it has none)."""
    for name in CLASSIFIER_NAMES:
        if isinstance(getattr(model, name, None), nn.Linear):
            return name
    raise ValueError(f"{type(model).__name__} has no fc/classifier Linear layer")


def replace_classifier(model: nn.Module, n_classes: int) -> None:
    """A fresh classifier with ``n_classes`` outputs (fine-tuning on another label set)."""
    name = classifier_name(model)
    old: nn.Linear = getattr(model, name)
    setattr(model, name, nn.Linear(old.in_features, n_classes))
