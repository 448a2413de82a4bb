"""``--pretrain_path``: every published weight format, detected from the file, in one table.

:data:`FORMATS` maps a format name (``--pretrain_format``) to how its files are renamed into
strg's keys, fitted to the model's shapes and normalised. :func:`load_pretrained` reads a file
(or a torchvision weights name such as ``R3D_18_Weights.KINETICS400_V1``), detects its format
unless one is named (:func:`detect_format`) and returns :class:`PretrainedWeights`: a state dict
in strg's names for the caller to load exactly, the weights' own mean and std when the format
defines them, and notes on what differs from the source architecture. Every failure is one
:class:`PretrainedError` line naming the flag, the file and the formats.

Reading never runs code: torch files load with ``weights_only=True``; Caffe2 pickles go through
an unpickler that resolves numpy arrays only (:mod:`strg.models.caffe2`).
"""

from __future__ import annotations

import pickle
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch

from strg.models import layouts
from strg.models.caffe2 import caffe2_to_state, read_caffe2_blobs
from strg.models.names import PRETRAIN_FORMATS
from strg.models.state_dict import CheckpointError

State = dict[str, torch.Tensor]
Normalisation = tuple[tuple[float, ...], tuple[float, ...]]

#: video-nonlocal-net's ``MODEL.MEAN`` 114.75 and ``MODEL.STD`` 57.375 (RGB, 0–255), and
#: PySlowFast's ``DATA.MEAN``/``DATA.STD`` defaults: the same values on the [0, 1] scale.
FAIR_VIDEO_NORMALISATION: Normalisation = ((0.45, 0.45, 0.45), (0.225, 0.225, 0.225))

#: A torchvision weights name: ``<Model>_Weights.<VERSION>`` (``torchvision.models.get_weight``).
TORCHVISION_WEIGHTS_NAME = re.compile(r"[A-Za-z0-9_]+_Weights\.[A-Z0-9_]+")
#: torchvision's video ResNets, whose strg twins :data:`layouts.TORCHVISION_VIDEO_MODELS` names.
_VIDEO_WEIGHTS = ("R3D_18_Weights", "MC3_18_Weights", "R2Plus1D_18_Weights")
_ZIP, _PICKLE = b"PK\x03\x04", b"\x80"


class PretrainedError(CheckpointError):
    """``--pretrain_path`` cannot be used (one line naming the file, the format and why)."""


@dataclass(frozen=True)
class PretrainedWeights:
    """Weights read from ``--pretrain_path``, in strg's names, for an exact load.

    ``mean``/``std``: the inputs' normalisation the weights were trained with (RGB, [0, 1]
    scale), ``None`` when the format does not define one. ``notes``: differences from the
    source architecture the caller should print. ``hint``: what to check when the exact load
    fails (the strg flags of the source architecture).
    """

    state: State
    format: str
    mean: tuple[float, ...] | None = None
    std: tuple[float, ...] | None = None
    notes: tuple[str, ...] = ()
    hint: str = ""


@dataclass(frozen=True)
class _Read:
    """What a file held: a torch object, Caffe2 blobs, or a torchvision weights entry."""

    kind: str  # "torch", "caffe2" or "torchvision"
    content: Any
    weights: Any = None  # the torchvision WeightsEnum member


@dataclass(frozen=True)
class Format:
    """One format: ``convert(read, target)`` → (state, notes, hint), and its normalisation."""

    description: str
    convert: Callable[[_Read, Mapping[str, torch.Tensor]], tuple[State, list[str], str]]
    normalisation: Callable[[_Read], Normalisation | None] = field(default=lambda read: None)


# --------------------------------------------------------------------------------------------------
# Per-format conversion.


def _flat(read: _Read) -> State:
    """The flat tensor state dict of a torch file (or downloaded weights)."""
    content = read.content
    if not isinstance(content, Mapping):
        raise ValueError(f"it holds a {type(content).__name__}, not a checkpoint dict")
    for wrapper in ("state_dict", "model_state", "model"):
        if isinstance(content.get(wrapper), Mapping):
            content = content[wrapper]
            break
    out = {}
    for key, value in content.items():
        if not isinstance(value, torch.Tensor):
            raise ValueError(f"entry {key!r} is a {type(value).__name__}, not a tensor")
        out[str(key).removeprefix("module.")] = value
    if not out:
        raise ValueError("it holds no tensors")
    return out


def _three_d_resnets(read, target):
    return _flat(read), [], ""


def _torchvision_2d(read, target):
    state = layouts.fit_to_target(_flat(read), target, inflate=True)
    return (
        state,
        ["2D kernels inflated over time (repeated, divided by T)"],
        ("a 2D ResNet inflates into --model i3d (torchvision's resnet50 / resnet101)"),
    )


def _torchvision_video(read, target):
    flat = _flat(read)
    variant = layouts.torchvision_video_variant(flat)
    embedded = layouts.TORCHVISION_VIDEO_EMBEDDED[variant]
    state = layouts.fit_to_target(
        layouts.torchvision_video_to_strg(flat), target, zero_embed=embedded
    )
    flags = layouts.TORCHVISION_VIDEO_MODELS[variant]
    notes = [f"torchvision {variant}: the same network as strg's {flags}"]
    if variant == "mc3_18":
        notes.append(
            "its 1x3x3 kernels of layer2-4 sit in zero-padded 3x3x3 kernels (same outputs)"
        )
    elif variant == "r2plus1d_18":
        notes.append(
            "its narrower middle widths (stem 45, first blocks of layer2-4 230/460/921) sit in "
            "strg's (83, 288/576/1152) with zero channels (same outputs)"
        )
    return state, notes, f"{variant} is strg's {flags}"


def _caffe2(read, target):
    state = caffe2_to_state(read.content, target)
    state = layouts.fit_to_target(state, target, inflate=True, fold_bn=True)
    notes = ["the authors' stem max-pool has no padding, strg's pads 1 (as PySlowFast's port)"]
    nl_without_bn = [k for k in read.content if re.fullmatch(r"nonlocal_conv3_\d+_out_w", k)]
    if nl_without_bn and not any(
        k.startswith("nonlocal_conv3_") and "_bn_" in k for k in read.content
    ):
        notes.append(
            "affine NL model: the authors' res3 non-local blocks attend within groups of 4 "
            "feature steps, strg's over the whole clip"
        )
    return state, notes, "Caffe2 I3D / NL-I3D is strg's --model i3d (--nonlocal_blocks for NL)"


def _something_else(read, target):
    state, left_out = layouts.something_else_to_strg(_flat(read))
    notes = ["their stem max-pool has no padding, strg's pads 1"]
    if left_out:
        notes.append(
            f"left out {len(left_out)} keys outside their I3D (their heads): {left_out[0]} …"
        )
    return (
        layouts.fit_to_target(state, target),
        notes,
        "Something-Else's I3D is --model i3d --model_depth 50",
    )


def _pyslowfast(read, target):
    state = layouts.pyslowfast_to_strg(_flat(read))
    return (
        layouts.fit_to_target(state, target),
        [],
        ("a PySlowFast I3D is strg's --model i3d --temporal_pool_kernel 2 (its pool1 kernel)"),
    )


def _mmaction2(read, target):
    state = layouts.mmaction2_to_strg(_flat(read))
    notes = [
        "MMAction2's I3D configs stride conv1 and pool1 by 2 in time; strg's I3D does not, so a "
        "clip gives 4x the feature steps"
    ]
    return layouts.fit_to_target(state, target), notes, "MMAction2's I3D is strg's --model i3d"


def _imagenet(read) -> Normalisation:
    from torchvision.models import ResNet50_Weights

    transforms = ResNet50_Weights.IMAGENET1K_V1.transforms()
    return tuple(transforms.mean), tuple(transforms.std)


def _torchvision_kinetics(read) -> Normalisation:
    from torchvision.models.video import R3D_18_Weights

    transforms = R3D_18_Weights.KINETICS400_V1.transforms()
    return tuple(transforms.mean), tuple(transforms.std)


def _mmaction2_normalisation(read) -> Normalisation:
    content = read.content.get("state_dict", read.content)
    mean, std = (content.get(k) for k in layouts.MMACTION2_NORMALISATION)
    if isinstance(mean, torch.Tensor) and isinstance(std, torch.Tensor):
        return tuple((mean.flatten() / 255).tolist()), tuple((std.flatten() / 255).tolist())
    return _imagenet(read)  # its configs' data_preprocessor (publish_model removes the keys)


#: Every format ``--pretrain_path`` reads, by its ``--pretrain_format`` name.
FORMATS: dict[str, Format] = {
    "3d-resnets": Format(
        "3D-ResNets-PyTorch / strg main.py .pth (dict with state_dict, or bare)", _three_d_resnets
    ),
    "torchvision-2d": Format(
        "torchvision ImageNet ResNet state dict, inflated into I3D", _torchvision_2d, _imagenet
    ),
    "torchvision-video": Format(
        "torchvision r3d_18 / mc3_18 / r2plus1d_18 state dict",
        _torchvision_video,
        _torchvision_kinetics,
    ),
    "caffe2": Format(
        "video-nonlocal-net / PySlowFast Caffe2 .pkl (I3D, NL-I3D, ImageNet R50/101)",
        _caffe2,
        lambda read: FAIR_VIDEO_NORMALISATION,
    ),
    "something-else": Format(
        "Something-Else I3D (kinetics-res50.pth, their trained models)", _something_else, _imagenet
    ),
    "pyslowfast": Format(
        "PySlowFast .pyth (model_state) of a C2D/I3D ResNet",
        _pyslowfast,
        lambda read: FAIR_VIDEO_NORMALISATION,
    ),
    "mmaction2": Format(
        "MMAction2 checkpoint (state_dict with backbone./cls_head.) of an I3D",
        _mmaction2,
        _mmaction2_normalisation,
    ),
}
if tuple(FORMATS) != PRETRAIN_FORMATS:  # the option parser's light copy of the names
    raise AssertionError(
        f"strg.models.names.PRETRAIN_FORMATS {PRETRAIN_FORMATS} != {tuple(FORMATS)}"
    )
#: ``--pretrain_format`` values: ``auto`` detects the format from the file.
FORMAT_CHOICES = ("auto", *FORMATS)


def detect_format(read: _Read) -> str:
    """The :data:`FORMATS` name of what was read, from the file kind and the key layout."""
    if read.kind == "caffe2":
        return "caffe2"
    if read.kind == "torchvision":
        return (
            "torchvision-video"
            if type(read.weights).__name__ in _VIDEO_WEIGHTS
            else "torchvision-2d"
        )
    content = read.content
    if isinstance(content, Mapping) and isinstance(content.get("model_state"), Mapping):
        return "pyslowfast"
    state = _flat(read)
    keys = list(state)
    if "s1.pathway0_stem.conv.weight" in state:
        return "pyslowfast"
    if any(k.startswith(("cls_head.", "data_preprocessor.", "backbone.conv1.conv.")) for k in keys):
        return "mmaction2"
    if "stem.0.weight" in state:
        return "torchvision-video"
    if layouts.something_else_prefix(keys) is not None:
        return "something-else"
    conv1 = state.get("conv1.weight")
    if conv1 is not None and conv1.dim() == 4 and "layer1.0.conv1.weight" in state:
        return "torchvision-2d"
    return "3d-resnets"


# --------------------------------------------------------------------------------------------------
# Reading.


def _first_line(error: BaseException) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__


def _read_torchvision(name: str) -> _Read:
    from torchvision.models import get_weight

    try:
        weights = get_weight(name)
    except (ValueError, KeyError, AttributeError) as error:
        raise ValueError(f"not a torchvision weights name ({_first_line(error)})") from error
    if not type(weights).__name__.startswith(("ResNet", *_VIDEO_WEIGHTS)):
        raise ValueError(f"{type(weights).__name__} is not a ResNet; strg has no model for it")
    try:
        state = weights.get_state_dict(progress=False)
    except (OSError, RuntimeError, ValueError) as error:  # urllib/ssl/socket, hash
        raise ValueError(
            f"torchvision could not download {weights.url} ({_first_line(error)}); without "
            "internet, fetch that file elsewhere and give its path"
        ) from error
    return _Read("torchvision", state, weights)


def _read(path: Path) -> _Read:
    """Read ``path`` without running code: a torch file, a Caffe2 pickle, or a weights name."""
    if path.is_dir():
        raise ValueError("it is a directory, not a checkpoint file")
    if not path.exists():
        if TORCHVISION_WEIGHTS_NAME.fullmatch(path.name):
            return _read_torchvision(path.name)
        raise ValueError("no such file")
    with path.open("rb") as f:
        head = f.read(16)
    if not head:
        raise ValueError("the file is empty")
    torch_legacy = head.startswith(_PICKLE) and head[2:3] == b"\x8a"  # torch's magic number
    if head.startswith(_ZIP) or torch_legacy:
        try:
            return _Read("torch", torch.load(path, map_location="cpu", weights_only=True))
        except pickle.UnpicklingError as error:
            if "Weights only load failed" in str(error):
                globals_named = re.search(r"GLOBAL ([\w.]+)", str(error))
                what = globals_named.group(1) if globals_named else "objects besides tensors"
                raise ValueError(f"refused: unpickling it would run code ({what})") from error
            raise ValueError(f"unreadable ({_first_line(error)})") from error
        except (RuntimeError, EOFError, OSError, ValueError, KeyError) as error:
            raise ValueError(f"unreadable, truncated or corrupt ({_first_line(error)})") from error
    if head.startswith(_PICKLE):
        try:
            return _Read("caffe2", read_caffe2_blobs(path))
        except pickle.UnpicklingError as error:
            raise ValueError(f"refused as a Caffe2 pickle: {_first_line(error)}") from error
        except (EOFError, ValueError, TypeError, AttributeError, IndexError) as error:
            raise ValueError(
                f"unreadable as a Caffe2 pickle, truncated? ({_first_line(error)})"
            ) from error
    raise ValueError("neither a torch file (zip or legacy) nor a pickle")


def load_pretrained(
    source: str | Path, target: Mapping[str, torch.Tensor], format: str = "auto"
) -> PretrainedWeights:
    """Read ``source`` as ``format`` (``auto``: detected) into strg's names, fitted to the shapes
    of ``target`` (the state dict of the network to load into; for STRG its backbone's).

    The caller loads :attr:`PretrainedWeights.state` exactly (missing and extra keys are its
    errors). A file that cannot be read or converted raises :class:`PretrainedError`.
    """
    path = Path(source)
    where = f"--pretrain_path {path}"
    if format not in FORMAT_CHOICES:
        raise PretrainedError(
            f"--pretrain_format {format!r}: choose one of {', '.join(FORMAT_CHOICES)}"
        )
    try:
        read = _read(path)
    except ValueError as error:
        raise PretrainedError(f"{where}: {error}; formats read: {', '.join(FORMATS)}") from error
    how = "detected" if format == "auto" else "--pretrain_format"
    try:
        detected = detect_format(read) if format == "auto" else format
    except ValueError as error:
        raise PretrainedError(f"{where}: {error}; formats read: {', '.join(FORMATS)}") from error
    if (read.kind == "caffe2") != (detected == "caffe2"):
        kind = "a Caffe2 pickle" if read.kind == "caffe2" else "not a Caffe2 pickle"
        raise PretrainedError(f"{where}: it is {kind}, so not {detected} ({how})")
    chosen = FORMATS[detected]
    try:
        state, notes, hint = chosen.convert(read, target)
        normalisation = chosen.normalisation(read)
    except ValueError as error:
        raise PretrainedError(
            f"{where}: read as {detected} ({how}: {chosen.description}): {_first_line(error)}; "
            f"other formats: {', '.join(f for f in FORMATS if f != detected)} (--pretrain_format)"
        ) from error
    if read.kind == "torchvision":  # the weights' own transforms say it best
        transforms = read.weights.transforms()
        normalisation = tuple(transforms.mean), tuple(transforms.std)
    mean, std = normalisation if normalisation is not None else (None, None)
    return PretrainedWeights(state, detected, mean, std, tuple(notes), hint)
