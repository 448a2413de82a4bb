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

``_riv`` holds the running variance despite its name (Caffe2's SpatialBN output "running_var";
PySlowFast's converter maps it so too). Weight layouts already match PyTorch's (O×I×T×H×W, FC
K×C; the test net's ``pred`` is a 1×1×1 conv, flattened here). Solver state (``*_momentum``,
``lr``, ``iter``, ``model_iter``) is not weights and is left out. The names were checked against
video-nonlocal-net's ``resnet_video.py``, ``resnet_helper.py``, ``nonlocal_helper.py`` and
``checkpoints.py`` (``pickle.dump(dict(blobs=...))``) and PySlowFast's ``c2_model_loading.py``.

Variants in the published files: the "affine" models (``*_I3D_pretrain_400k.pkl``, frozen BN)
hold only ``_bn_s``/``_bn_b`` (BN folded into scale and bias) and their non-local blocks have no
BN at all; the ImageNet ``r50/r101_pretrain_c2_model_iter450450_clean.pkl`` hold 2D kernels,
inflated here as the authors' loader does (repeat over time, divide by T).

Unpickling runs code named by the file, so :class:`_BlobUnpickler` only resolves the few numpy
and codec functions an array pickle needs; anything else is refused.
"""

from __future__ import annotations

import pickle
import re
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import torch
from torch import nn

from strg.models.layouts import State, fit_to_target
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


def caffe2_to_state(blobs: Mapping[str, np.ndarray], target: Mapping[str, torch.Tensor]) -> State:
    """The blobs of ``target``'s keys (and ``pred_*`` as ``fc.*``), as a strg-named state dict.

    A BatchNorm with scale and bias but no statistics is Caffe2's folded (affine) layer: its
    statistics are left out for :func:`~strg.models.layouts.fit_to_target` (``fold_bn``) to
    fill; a non-local block without any BN blobs (the affine configs' ``USE_BN False``) gets an
    identity BN. A missing blob, a shape that neither matches nor inflates, or a weight blob
    the model has no place for is a ValueError naming the blobs.
    """
    keys = list(target) + [k for k in ("fc.weight", "fc.bias") if k not in target]
    state: State = {}
    used, missing = set(), []
    for key in keys:
        name = caffe2_blob_name(key)
        if name is None:
            continue
        if name in blobs:
            used.add(name)
            blob = torch.from_numpy(np.ascontiguousarray(blobs[name])).float()
            if key == "fc.weight" and blob.dim() == 5:  # the fully convolutional test net's pred
                blob = blob.flatten(1)
            state[key] = blob
            continue
        bn = re.fullmatch(r"(.*)_bn_(s|b|rm|riv)", name)
        base = bn.group(1) if bn else ""
        if (
            bn
            and bn.group(2) in ("rm", "riv")
            and f"{base}_bn_s" in blobs
            and f"{base}_bn_rm" not in blobs
            and f"{base}_bn_riv" not in blobs
        ):
            continue  # folded BN: fit_to_target fills the statistics
        if (
            bn
            and name.startswith("nonlocal_")
            and not any(f"{bn.group(1)}_bn_{p}" in blobs for p in _BN.values())
        ):
            prefix = key.rpartition(".")[0]
            state.setdefault(f"{prefix}.weight", torch.ones_like(target[f"{prefix}.weight"]))
            state.setdefault(f"{prefix}.bias", torch.zeros_like(target[f"{prefix}.bias"]))
            continue
        if key in target:
            missing.append(f"{name} (for {key})")
    extra = sorted(k for k in blobs if k not in used and not _SOLVER_BLOBS.fullmatch(k))
    if missing or extra:
        raise ValueError(
            f"the blobs do not fit the model: missing blobs {_few(missing)}; "
            f"unused blobs {_few(extra)}"
        )
    return state


def _few(names: list[str]) -> str:
    return (
        "["
        + ", ".join(names[:8])
        + (f" … and {len(names) - 8} more" if len(names) > 8 else "")
        + "]"
    )


def load_caffe2_i3d(
    model: nn.Module, path: str | Path, load_fc: bool = True, strict: bool = True
) -> nn.Module:
    """Load a video-nonlocal-net I3D / NL-I3D ``.pkl`` into an :class:`~strg.models.i3d.I3DResNet`.

    ``load_fc`` False keeps the model's classifier (fine-tuning to another class count). With
    ``strict``, weight blobs the model has no place for are an error, as are missing blobs and
    shape mismatches; each error names the blobs and shapes.
    """
    blobs = read_caffe2_blobs(path)
    if not load_fc:
        blobs = {k: v for k, v in blobs.items() if not k.startswith("pred_")}
    target = model.state_dict()
    if not strict:
        names = {caffe2_blob_name(k) for k in target} | {"pred_w", "pred_b"}
        blobs = {k: v for k, v in blobs.items() if k in names}
    try:
        kept = target if load_fc else {k: v for k, v in target.items() if not k.startswith("fc.")}
        state = caffe2_to_state(blobs, kept)
    except ValueError as error:
        raise ValueError(f"{path} does not fit {type(model).__name__}: {error}") from error
    state = fit_to_target(state, target, inflate=True, fold_bn=True)
    if not load_fc:
        state.update({k: v for k, v in target.items() if k.startswith("fc.")})
    mismatched = [
        f"{caffe2_blob_name(k)}: file {tuple(v.shape)} vs model {k} {tuple(target[k].shape)}"
        for k, v in state.items()
        if k in target and v.shape != target[k].shape
    ]
    if mismatched:
        raise ValueError(
            f"{path} does not fit {type(model).__name__}: shape mismatches {mismatched}"
        )
    check_state_dict(model, state)
    model.load_state_dict(state, strict=True)
    return model
