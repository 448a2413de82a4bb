"""Other code bases' state-dict layouts, renamed to strg's keys, and fitted to a model's shapes.

Each ``*_to_strg`` function maps a flat state dict of another code base to the names of the
strg model with the same architecture (facts from those code bases' model definitions):

* torchvision video ResNets (``r3d_18``, ``mc3_18``, ``r2plus1d_18``) → ``resnet`` /
  ``resnet2p1d``: ``stem.0``/``stem.1`` → ``conv1``/``bn1`` (R(2+1)D: ``stem.{0,1,3,4}`` →
  ``conv1_s``, ``bn1_s``, ``conv1_t``, ``bn1_t``), ``layerS.I.conv{1,2}.0`` → ``convK``,
  ``.conv{1,2}.1`` → ``bnK`` (R(2+1)D: ``.convK.0.{0,1,3}`` → ``convK_s``, ``bnK_s``,
  ``convK_t``; ``.convK.1`` → ``bnK_t``).
* PySlowFast ResNet (``model_state``): ``s1.pathway0_stem.{conv,bn}`` → ``conv1``/``bn1``,
  ``sS.pathway0_resI.branch2.{a,b,c}[_bn]`` → ``layer{S-1}.I.conv{1,2,3}``/``bn{1,2,3}``,
  ``branch1[_bn]`` → ``downsample.{0,1}``, ``sS.pathway0_nonlocalI.conv_{theta,phi,g,out}`` /
  ``.bn`` → ``layer{S-1}.nl.I.{theta,phi,g,out,bn}``, ``head.projection`` → ``fc``.
* MMAction2 ``ResNet3d`` + ``I3DHead``: ``backbone.conv1.{conv,bn}`` → ``conv1``/``bn1``,
  ``backbone.layerS.I.convK.{conv,bn}`` → ``layerS.I.convK``/``bnK``,
  ``backbone.layerS.I.downsample.{conv,bn}`` → ``downsample.{0,1}``, ``cls_head.fc_cls`` →
  ``fc``; ``data_preprocessor.{mean,std}`` are the normalisation, not weights.
* Something-Else's I3D (``code/model/resnet3d_xl.py``): ``layerS.I.convK.{0,1}`` →
  ``convK``/``bnK``, ``shortcut.{0,1}`` → ``downsample.{0,1}``, ``classifier``/``fc`` → ``fc``,
  under a prefix such as ``module.`` or ``i3D.`` (their video models hold it as ``self.i3D``).

A key no rule maps is an error naming it (no silent skips). :func:`fit_to_target` then adapts
shapes where that keeps the network's function: inflating 2D kernels, zero-embedding kernels
and channels of a narrower layout, filling the BatchNorm statistics of folded (affine) layers.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping

import torch

State = dict[str, torch.Tensor]


class LayoutError(ValueError):
    """A state dict does not follow the layout it was read as (the message names the keys)."""


def _rename(state: Mapping[str, torch.Tensor], rules: list[tuple[str, str]], what: str) -> State:
    """Apply the first matching ``(pattern, replacement)`` of ``rules`` to every key."""
    out, unmapped = {}, []
    for key, value in state.items():
        for pattern, replacement in rules:
            new, n = re.subn(pattern, replacement, key)
            if n:
                out[new] = value
                break
        else:
            unmapped.append(key)
    if unmapped:
        shown = ", ".join(unmapped[:8]) + (f" … and {len(unmapped) - 8} more" * (len(unmapped) > 8))
        raise LayoutError(f"keys that are not part of a {what}: {shown}")
    return out


_BN = r"(weight|bias|running_mean|running_var|num_batches_tracked)"


def torchvision_video_variant(state: Mapping[str, torch.Tensor]) -> str:
    """``r2plus1d_18``, ``mc3_18`` or ``r3d_18``, from the layout of a torchvision video ResNet."""
    if "stem.3.weight" in state:
        return "r2plus1d_18"
    later = state.get("layer2.0.conv1.0.weight")
    return "mc3_18" if later is not None and later.shape[2] == 1 else "r3d_18"


#: The strg model (flags) that computes what each torchvision video ResNet computes.
TORCHVISION_VIDEO_MODELS = {
    "r3d_18": "--model resnet --model_depth 18 --conv1_t_size 3 --no_max_pool",
    "mc3_18": "--model resnet --model_depth 18 --conv1_t_size 3 --no_max_pool "
    "--temporal_strides 1 1 1 1",
    "r2plus1d_18": "--model resnet2p1d --model_depth 18 --conv1_t_size 3 --no_max_pool",
}


#: Per variant, the keys whose narrower torchvision shapes are zero-embedded (and nothing
#: else, so that another stem or a missing flag is a shape error): mc3's 1×3×3 kernels of
#: layer2-4, R(2+1)D's middle widths (stem 45, a stage's first block's conv2 230/460/921).
TORCHVISION_VIDEO_EMBEDDED = {
    "r3d_18": None,
    "mc3_18": re.compile(r"layer[2-4]\.\d+\.conv[12]\.weight"),
    "r2plus1d_18": re.compile(r"(layer\d\.\d+\.)?(conv\d_[st]\.weight|bn\d_s\..*)"),
}


def torchvision_video_to_strg(state: Mapping[str, torch.Tensor]) -> State:
    """torchvision's ``VideoResNet`` keys → strg's ``resnet`` / ``resnet2p1d`` keys."""
    if torchvision_video_variant(state) == "r2plus1d_18":
        rules = [
            (r"^stem\.0\.weight$", "conv1_s.weight"),
            (rf"^stem\.1\.{_BN}$", r"bn1_s.\1"),
            (r"^stem\.3\.weight$", "conv1_t.weight"),
            (rf"^stem\.4\.{_BN}$", r"bn1_t.\1"),
            (r"^(layer\d\.\d+)\.conv([12])\.0\.0\.weight$", r"\1.conv\2_s.weight"),
            (rf"^(layer\d\.\d+)\.conv([12])\.0\.1\.{_BN}$", r"\1.bn\2_s.\3"),
            (r"^(layer\d\.\d+)\.conv([12])\.0\.3\.weight$", r"\1.conv\2_t.weight"),
            (rf"^(layer\d\.\d+)\.conv([12])\.1\.{_BN}$", r"\1.bn\2_t.\3"),
        ]
    else:
        rules = [
            (r"^stem\.0\.weight$", "conv1.weight"),
            (rf"^stem\.1\.{_BN}$", r"bn1.\1"),
            (r"^(layer\d\.\d+)\.conv([12])\.0\.weight$", r"\1.conv\2.weight"),
            (rf"^(layer\d\.\d+)\.conv([12])\.1\.{_BN}$", r"\1.bn\2.\3"),
        ]
    rules += [(r"^(layer\d\.\d+\.downsample\.[01]\..*)$", r"\1"), (r"^(fc\.(weight|bias))$", r"\1")]
    return _rename(state, rules, "torchvision video ResNet")


def pyslowfast_to_strg(state: Mapping[str, torch.Tensor]) -> State:
    """PySlowFast ``ResNet`` (one pathway: C2D/I3D) keys → strg's ``i3d`` keys."""

    def stage(match: re.Match) -> str:
        return f"layer{int(match.group(1)) - 1}"

    renamed = {}
    for key, value in state.items():
        new = re.sub(r"^s([2-5])\.", lambda m: f"{stage(m)}.", key)
        renamed[new] = value
    conv = {"a": "1", "b": "2", "c": "3"}
    rules = [
        (r"^s1\.pathway0_stem\.conv\.weight$", "conv1.weight"),
        (rf"^s1\.pathway0_stem\.bn\.{_BN}$", r"bn1.\1"),
        (r"^(layer\d)\.pathway0_res(\d+)\.branch1\.weight$", r"\1.\2.downsample.0.weight"),
        (rf"^(layer\d)\.pathway0_res(\d+)\.branch1_bn\.{_BN}$", r"\1.\2.downsample.1.\3"),
        *[
            (rf"^(layer\d)\.pathway0_res(\d+)\.branch2\.{c}\.weight$", rf"\1.\2.conv{k}.weight")
            for c, k in conv.items()
        ],
        *[
            (rf"^(layer\d)\.pathway0_res(\d+)\.branch2\.{c}_bn\.{_BN}$", rf"\1.\2.bn{k}.\3")
            for c, k in conv.items()
        ],
        (
            r"^(layer\d)\.pathway0_nonlocal(\d+)\.conv_(theta|phi|g|out)\.(weight|bias)$",
            r"\1.nl.\2.\3.\4",
        ),
        (rf"^(layer\d)\.pathway0_nonlocal(\d+)\.bn\.{_BN}$", r"\1.nl.\2.bn.\3"),
        (r"^head\.projection\.(weight|bias)$", r"fc.\1"),
    ]
    return _rename(renamed, rules, "PySlowFast single-pathway ResNet (C2D/I3D)")


#: MMAction2 keys that hold the normalisation of its data preprocessor, not weights.
MMACTION2_NORMALISATION = ("data_preprocessor.mean", "data_preprocessor.std")


def mmaction2_to_strg(state: Mapping[str, torch.Tensor]) -> State:
    """MMAction2 ``ResNet3d`` backbone + ``I3DHead`` keys → strg's ``i3d`` keys.

    Its non-local blocks are refused: MMAction2's I3D-NL configs use ``use_scale=False`` (and
    dot-product / Gaussian modes), so the same weights would compute another function in
    strg's block (the authors' scaled embedded Gaussian).
    """
    nonlocal_keys = [k for k in state if ".non_local_block." in k]
    if nonlocal_keys:
        raise LayoutError(
            f"MMAction2 non-local blocks ({nonlocal_keys[0]} …) are not loaded: its I3D-NL "
            "configs compute the attention without the 1/sqrt(C) scale (use_scale=False) or in "
            "dot-product/Gaussian mode, strg's block as the authors do"
        )
    weights = {k: v for k, v in state.items() if k not in MMACTION2_NORMALISATION}
    rules = [
        (r"^backbone\.conv1\.conv\.weight$", "conv1.weight"),
        (rf"^backbone\.conv1\.bn\.{_BN}$", r"bn1.\1"),
        (r"^backbone\.(layer\d\.\d+)\.conv([123])\.conv\.weight$", r"\1.conv\2.weight"),
        (rf"^backbone\.(layer\d\.\d+)\.conv([123])\.bn\.{_BN}$", r"\1.bn\2.\3"),
        (r"^backbone\.(layer\d\.\d+)\.downsample\.conv\.weight$", r"\1.downsample.0.weight"),
        (rf"^backbone\.(layer\d\.\d+)\.downsample\.bn\.{_BN}$", r"\1.downsample.1.\2"),
        (r"^cls_head\.fc_cls\.(weight|bias)$", r"fc.\1"),
    ]
    return _rename(weights, rules, "MMAction2 ResNet3d + I3DHead")


def something_else_prefix(keys: list[str]) -> str | None:
    """The prefix in front of Something-Else's I3D keys (``''``, ``module.``, ``i3D.`` …)."""
    for key in keys:
        if key.endswith("layer1.0.conv1.0.weight"):
            prefix = key.removesuffix("layer1.0.conv1.0.weight")
            if prefix + "conv1.weight" in keys:
                return prefix
    return None


def something_else_to_strg(state: Mapping[str, torch.Tensor]) -> tuple[State, list[str]]:
    """Something-Else's I3D keys under their prefix → strg's ``i3d`` keys, and the keys outside
    the backbone that were left out (their own heads)."""
    prefix = something_else_prefix(list(state))
    if prefix is None:
        raise LayoutError(
            "no Something-Else I3D in this checkpoint: no '<prefix>conv1.weight' with "
            f"'<prefix>layer1.0.conv1.0.weight'; first keys: {list(state)[:6]}"
        )
    inside = {k.removeprefix(prefix): v for k, v in state.items() if k.startswith(prefix)}
    left_out = [k for k in state if not k.startswith(prefix)]
    rules = [
        (r"^conv1\.weight$", "conv1.weight"),
        (rf"^bn1\.{_BN}$", r"bn1.\1"),
        (r"^(layer\d\.\d+)\.conv([123])\.0\.weight$", r"\1.conv\2.weight"),
        (rf"^(layer\d\.\d+)\.conv([123])\.1\.{_BN}$", r"\1.bn\2.\3"),
        (r"^(layer\d\.\d+)\.shortcut\.0\.weight$", r"\1.downsample.0.weight"),
        (rf"^(layer\d\.\d+)\.shortcut\.1\.{_BN}$", r"\1.downsample.1.\2"),
        (r"^(?:fc|classifier)\.(weight|bias)$", r"fc.\1"),
    ]
    return _rename(inside, rules, "Something-Else I3D (resnet3d_xl)"), left_out


# --------------------------------------------------------------------------------------------------
# Fitting shapes.

#: BatchNorm3d's default eps: a folded BN gets running_var = 1 - eps, so it divides by exactly 1.
BN_EPS = 1e-5


def inflate_kernel(weight: torch.Tensor, t: int) -> torch.Tensor:
    """``O×I×h×w`` → ``O×I×t×h×w``: repeated over time, divided by ``t``, so a temporally
    constant clip gives the 2D activations."""
    return weight.unsqueeze(2).repeat(1, 1, t, 1, 1) / t


def embed(value: torch.Tensor, shape: torch.Size, fill: float = 0.0) -> torch.Tensor:
    """``value`` inside a ``fill`` tensor of ``shape``: channel dims (0, 1) at the start, kernel
    dims (2…) centred, so that the extra taps and channels contribute exact zeros."""
    out = torch.full(shape, fill, dtype=value.dtype)
    index = []
    for dim, (small, big) in enumerate(zip(value.shape, shape, strict=True)):
        start = (big - small) // 2 if dim >= 2 else 0
        index.append(slice(start, start + small))
    out[tuple(index)] = value
    return out


def fit_to_target(
    state: Mapping[str, torch.Tensor],
    target: Mapping[str, torch.Tensor],
    *,
    inflate: bool = False,
    zero_embed: re.Pattern | None = None,
    fold_bn: bool = False,
) -> State:
    """Adapt ``state`` to the shapes of ``target`` where the format allows it.

    ``inflate``: a 2D (4-D) kernel whose target has ``t`` taps is inflated. ``zero_embed``:
    for the keys it matches, a kernel or channel count smaller than
    the target's is embedded in zeros (BatchNorm: weight 0, bias 0, mean 0, var 1 for the new
    channels, whose output is then exactly 0). ``fold_bn``: a BatchNorm with weight and bias
    but no statistics (Caffe2's affine layers, and non-local blocks without BN) gets mean 0
    and var 1 − eps, i.e. the plain affine map. Keys the target has not got pass unchanged;
    what still does not fit is left for the exact load to name.
    """
    out = dict(state)
    for key, value in state.items():
        want = target.get(key)
        if want is None or value.shape == want.shape:
            continue
        planar = want.dim() == 5 and value.dim() == 4  # 2D files only: a C2D stays a C2D
        if inflate and planar and value.shape == want.shape[:2] + want.shape[3:]:
            out[key] = inflate_kernel(value, want.shape[2]).to(want.dtype)
            continue
        if (
            zero_embed
            and value.dim() == want.dim()
            and all(s <= w for s, w in zip(value.shape, want.shape, strict=True))
        ):
            out[key] = embed(value, want.shape, 1.0 if key.endswith("running_var") else 0.0)
    if fold_bn:
        for key in target:
            prefix, _, attr = key.rpartition(".")
            if attr not in ("running_mean", "running_var") or key in out:
                continue
            if f"{prefix}.weight" in out and f"{prefix}.bias" in out:
                value = 0.0 if attr == "running_mean" else 1.0 - BN_EPS
                out[key] = torch.full_like(target[key], value)
    for key, want in target.items():  # older torch wrote no num_batches_tracked
        if key.endswith("num_batches_tracked") and key not in out:
            out[key] = torch.zeros_like(want)
    return out


#: A layout's renaming function, for the table of :mod:`strg.models.pretrained`.
Renaming = Callable[[Mapping[str, torch.Tensor]], State]
