"""Load the video-nonlocal-net Caffe2 checkpoints (I3D / NL-I3D ResNet) into :mod:`i3d` models.

The file is a pickle (protocol 2, written by Python 2) of ``{'blobs': {name: ndarray}}`` or of
the blob dict itself. Blob names, for our key → blob:

=====================================  =========================================
``conv1.weight``                       ``conv1_w``
``bn1.{weight,bias,running_mean,..var}`` ``res_conv1_bn_{s,b,rm,riv}``
``layer{k}.{i}.conv{1,2,3}.weight``    ``res{k+1}_{i}_branch2{a,b,c}_w``
``layer{k}.{i}.bn{1,2,3}.*``           ``res{k+1}_{i}_branch2{a,b,c}_bn_{s,b,rm,riv}``
``layer{k}.{i}.downsample.0.weight``   ``res{k+1}_{i}_branch1_w``
``layer{k}.{i}.downsample.1.*``        ``res{k+1}_{i}_branch1_bn_{s,b,rm,riv}``
``layer{k}.nl.{i}.{theta,phi,g,out}.*`` ``nonlocal_conv{k+1}_{i}_{theta,phi,g,out}_{w,b}``
``layer{k}.nl.{i}.bn.*``               ``nonlocal_conv{k+1}_{i}_bn_{s,b,rm,riv}``
``fc.{weight,bias}``                   ``pred_{w,b}``
=====================================  =========================================

``_riv`` holds the running variance despite its name (Caffe2's SpatialBN input "var"). Weight
layouts already match PyTorch's (O×I×T×H×W, FC K×C). Solver state (``*_momentum``, ``lr``,
``iter``, ``model_iter``) is ignored.

Unpickling runs code named by the file, so :class:`_BlobUnpickler` only resolves the few numpy
and codec functions an array pickle needs; anything else is refused.
"""

from __future__ import annotations

import pickle
import re
from pathlib import Path

import numpy as np
import torch
from torch import nn

from strg.models.state_dict import check_state_dict

_ALLOWED_GLOBALS = {
    ("numpy.core.multiarray", "_reconstruct"),
    ("numpy._core.multiarray", "_reconstruct"),
    ("numpy.core.multiarray", "scalar"),
    ("numpy._core.multiarray", "scalar"),
    ("numpy", "ndarray"),
    ("numpy", "dtype"),
    ("_codecs", "encode"),  # Python 3 protocol-2 pickles wrap bytes in _codecs.encode
    ("collections", "OrderedDict"),
}
_SOLVER_BLOBS = re.compile(r"(.*_momentum|lr|iter|model_iter)$")
_BN = {"weight": "s", "bias": "b", "running_mean": "rm", "running_var": "riv"}
_PARAM = {"weight": "w", "bias": "b"}


class _BlobUnpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str):
        if (module, name) not in _ALLOWED_GLOBALS:
            raise pickle.UnpicklingError(
                f"refusing to load {module}.{name} from a Caffe2 blob file (only numpy arrays)"
            )
        return super().find_class(module, name)


def read_caffe2_blobs(path: str | Path) -> dict[str, np.ndarray]:
    """Return ``{blob name: ndarray}`` from a video-nonlocal-net ``.pkl`` file."""
    with open(path, "rb") as f:
        data = _BlobUnpickler(f, encoding="latin1").load()
    if not isinstance(data, dict):
        raise ValueError(f"{path}: expected a dict of blobs, got {type(data).__name__}")
    blobs = data.get("blobs", data)
    return {k: v for k, v in blobs.items() if isinstance(v, np.ndarray)}


def caffe2_blob_name(key: str) -> str | None:
    """The Caffe2 blob of our I3D state-dict ``key``; None for entries Caffe2 has not got."""
    if key.endswith("num_batches_tracked"):
        return None
    *path, attr = key.split(".")
    if path == ["conv1"]:
        return "conv1_w"
    if path == ["bn1"]:
        return f"res_conv1_bn_{_BN[attr]}"
    if path == ["fc"]:
        return f"pred_{_PARAM[attr]}"
    layer, index, *rest = path
    stage = int(layer.removeprefix("layer")) + 1
    if index == "nl":
        index, module = rest
        prefix = f"nonlocal_conv{stage}_{index}"
        if module == "bn":
            return f"{prefix}_bn_{_BN[attr]}"
        return f"{prefix}_{module}_{_PARAM[attr]}"
    prefix = f"res{stage}_{index}"
    if rest[0] == "downsample":
        branch = f"{prefix}_branch1"
        return f"{branch}_w" if rest[1] == "0" else f"{branch}_bn_{_BN[attr]}"
    conv = "abc"[int(rest[0][-1]) - 1]
    if rest[0].startswith("conv"):
        return f"{prefix}_branch2{conv}_w"
    return f"{prefix}_branch2{conv}_bn_{_BN[attr]}"


def load_caffe2_i3d(
    model: nn.Module, path: str | Path, load_fc: bool = True, strict: bool = True
) -> nn.Module:
    """Load a video-nonlocal-net I3D / NL-I3D ``.pkl`` into an :class:`~strg.models.i3d.I3DResNet`.

    ``load_fc`` False keeps the model's classifier (fine-tuning to another class count). With
    ``strict``, weight blobs the model has no place for are an error, as are missing blobs and
    shape mismatches; each error names the blobs and shapes.
    """
    blobs = read_caffe2_blobs(path)
    state = model.state_dict()
    used, new_state, missing, bad = set(), {}, [], []
    for key, value in state.items():
        name = caffe2_blob_name(key)
        if name is None or (key.startswith("fc.") and not load_fc):
            new_state[key] = value
            continue
        if name not in blobs:
            missing.append(f"{name} (for {key})")
            continue
        used.add(name)
        blob = torch.from_numpy(np.ascontiguousarray(blobs[name]))
        if tuple(blob.shape) != tuple(value.shape):
            bad.append(f"{name}: file {tuple(blob.shape)} vs model {key} {tuple(value.shape)}")
            continue
        new_state[key] = blob.to(value.dtype)
    ignored = {"pred_w", "pred_b"} if not load_fc else set()
    extra = sorted(
        k for k in blobs if k not in used and k not in ignored and not _SOLVER_BLOBS.fullmatch(k)
    )
    if missing or bad or (strict and extra):
        raise ValueError(
            f"{path} does not fit {type(model).__name__}: missing blobs {missing}, "
            f"shape mismatches {bad}, unused blobs {extra if strict else []}"
        )
    check_state_dict(model, new_state)
    model.load_state_dict(new_state, strict=True)
    return model
