"""A trained run, loaded from one of its ``main.py`` checkpoints: model, configuration, data.

:func:`load_trained_run` is the public door for every tool that uses a trained model outside
``main.py`` (the graph picture today; prediction and export build on it): the checkpoint's
``config`` is read back by :func:`strg.config.config_from_dict`, the model is rebuilt from it and
loaded exactly, so the clips it is given are sampled, cropped and normalised as in training.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from torch import nn

from strg.config import RunConfig, config_from_dict
from strg.data.settings import DataSettings
from strg.engine.checkpoint import load_checkpoint
from strg.engine.model_setup import build_spec_model, feature_step, load_resumed_weights
from strg.models.names import has_region_graph
from strg.models.state_dict import CheckpointError


@dataclass
class TrainedRun:
    """A checkpoint's model in eval mode, on the CPU, with the configuration it was trained with.

    ``feature_step`` is the number of frames between box sets (the backbone's temporal stride
    under STRG, 1 otherwise); ``epoch`` the epoch the checkpoint ended; ``class_names`` the
    labels by class index that training stored (``None`` in older checkpoints).
    """

    path: Path
    model: nn.Module
    config: RunConfig
    epoch: int
    feature_step: int
    class_names: list[str] | None = None

    @property
    def data(self) -> DataSettings:
        """How the run's clips were read, sampled and normalised."""
        return self.config.data


def load_trained_run(path: Path, *, region_graph: bool = False) -> TrainedRun:
    """Load ``path`` (a ``save_N.pth`` of ``main.py``). A file without a stored configuration,
    or without the region-graph head when ``region_graph`` asks for one, is a
    :class:`CheckpointError` naming it."""
    path = Path(path)
    checkpoint = load_checkpoint(path)
    stored = checkpoint.get("config")
    if not isinstance(stored, dict) or "model" not in stored:
        raise CheckpointError(
            f"checkpoint {path} has no 'config' (main.py's options); only checkpoints written by "
            "this project's main.py can be loaded as a trained run"
        )
    if region_graph and not has_region_graph(stored["model"], bool(stored.get("strg"))):
        arch = checkpoint.get("arch", stored["model"])
        raise CheckpointError(
            f"checkpoint {path} ({arch}) has no region-graph head: it was trained without --strg"
        )
    config = config_from_dict(stored)
    model = build_spec_model(config.model, config.model.n_classes, config.data.n_input_channels)
    load_resumed_weights(model, checkpoint, path)
    model.eval()
    return TrainedRun(
        path=path,
        model=model,
        config=config,
        epoch=int(checkpoint.get("epoch", 0)),
        feature_step=feature_step(model, config.model),
        class_names=_class_names(checkpoint.get("class_names")),
    )


def _class_names(stored: object) -> list[str] | None:
    """The stored class names (their count is checked by whoever names the outputs with them)."""
    return [str(name) for name in stored] if isinstance(stored, list) else None
