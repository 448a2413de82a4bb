"""The model of a run from its :class:`~strg.config.ModelSpec`: building and pretrained weights.

``--pretrain_path`` reads every published format (:mod:`strg.models.pretrained`: 3D-ResNets
and strg checkpoints, torchvision 2D and video ResNets, the authors' Caffe2 files, Something-Else,
PySlowFast, MMAction2); this module decides what of it goes where.
"""

from __future__ import annotations

from pathlib import Path

from torch import nn

from strg.config import FineTuning, ModelSpec
from strg.engine.errors import RunError
from strg.models import build_model
from strg.models.classifier import CLASSIFIER_NAMES, replace_classifier
from strg.models.pretrained import PretrainedWeights, load_pretrained
from strg.models.state_dict import CheckpointError, load_state_dict_exact, read_state_dict


def build_spec_model(spec: ModelSpec, n_classes: int, n_input_channels: int) -> nn.Module:
    """The network ``spec`` describes, with ``n_classes`` outputs, freshly initialised."""
    return build_model(
        spec.model, strg=spec.strg, **spec.build_options(n_classes, n_input_channels)
    )


def build_run_model(
    spec: ModelSpec,
    fine_tuning: FineTuning,
    n_input_channels: int,
    pretrain_path: Path | None,
) -> tuple[nn.Module, PretrainedWeights | None]:
    """Build the model; with ``pretrain_path`` load it and put a new ``spec.n_classes``
    classifier on (unless ``fine_tuning.keep_classifier``: then the checkpoint's stays).

    The file is read in ``fine_tuning.pretrain_format`` (``auto``: detected), see
    :mod:`strg.models.pretrained`; the weights read are returned too (their format,
    normalisation and notes), ``None`` without ``pretrain_path``.

    Under STRG, a checkpoint of a plain backbone (the paper's stage 1) initialises the backbone;
    its classifier is dropped, or with ``keep_classifier`` and ``spec.global_from_backbone``
    copied into the global half of STRG's classifier (the graph half starts at zero), so that
    stage 2 starts from the stage-1 model's logits. A checkpoint of an STRG model initialises
    all of it.
    """
    if pretrain_path is None:
        return build_spec_model(spec, spec.n_classes, n_input_channels), None
    where = f"--pretrain_path {pretrain_path}"
    if spec.strg:
        model = build_spec_model(spec, spec.n_classes, n_input_channels)
        weights = load_pretrained(
            pretrain_path, model.backbone.state_dict(), fine_tuning.pretrain_format
        )
        state = weights.state
        if any(key.startswith("backbone.") for key in state):  # an STRG checkpoint
            model = build_spec_model(spec, fine_tuning.n_pretrain_classes, n_input_channels)
        else:
            if fine_tuning.keep_classifier and not spec.global_from_backbone:
                raise CheckpointError(
                    f"--keep_classifier: {pretrain_path} is a plain backbone, whose classifier "
                    "reads the pooled backbone feature; STRG's global half does so with "
                    "--global_from_backbone (without it the head starts fresh)"
                )
            try:
                model.load_backbone_state_dict(state, keep_classifier=fine_tuning.keep_classifier)
            except ValueError as error:
                raise CheckpointError(
                    f"{where} ({weights.format}): {error}{_hint(weights)}"
                ) from error
            return model, weights
    else:
        model = build_spec_model(spec, fine_tuning.n_pretrain_classes, n_input_channels)
        weights = load_pretrained(pretrain_path, model.state_dict(), fine_tuning.pretrain_format)
        state = weights.state
        if not fine_tuning.keep_classifier and not any(k.startswith(_CLASSIFIER) for k in state):
            # a file without a classifier (Caffe2 fine-tuning files drop pred_*): the fresh one
            # it would be replaced by anyway
            state = {
                **state,
                **{k: v for k, v in model.state_dict().items() if k.startswith(_CLASSIFIER)},
            }
    try:
        load_state_dict_exact(model, state, "--n_pretrain_classes")
    except CheckpointError as error:
        raise CheckpointError(f"{where} ({weights.format}): {error}{_hint(weights)}") from error
    if not fine_tuning.keep_classifier:
        replace_classifier(model, spec.n_classes)
    return model, weights


_CLASSIFIER = tuple(f"{name}." for name in CLASSIFIER_NAMES)


def _hint(weights: PretrainedWeights) -> str:
    return f"; {weights.hint}" if weights.hint else ""


def load_resumed_weights(model: nn.Module, checkpoint: dict, path: Path) -> None:
    """Load a ``main.py`` checkpoint's weights into ``model`` exactly, naming ``path`` if not."""
    try:
        load_state_dict_exact(model, read_state_dict(checkpoint), "--n_classes")
    except CheckpointError as error:
        raise CheckpointError(f"{path}: {error}") from error


def feature_step(model: nn.Module, spec: ModelSpec) -> int:
    """Frames between box sets: the backbone's temporal stride under STRG, else 1 (no boxes)."""
    if not spec.strg:
        return 1
    stride = int(model.backbone.temporal_stride)
    det_interval = spec.det_interval
    if det_interval is not None and det_interval != stride:
        raise RunError(
            f"--det_interval {det_interval}: boxes are read once per feature step, every "
            f"{stride} frames for --model {spec.model}; drop the flag or pass {stride}"
        )
    return stride
