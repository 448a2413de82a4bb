"""3D ResNet of kenshohara/3D-ResNets-PyTorch, with the module names of its published checkpoints.

Shapes: input clip ``B×C_in×T×H×W`` → ``forward_features`` ``B×C×T'×H'×W'`` → logits ``B×K``.

By default layer2–4 and the max pool halve T, H and W, as kenshohara's do. ``temporal_strides``,
``spatial_strides`` (per stage layer1..layer4) and ``max_pool_t_stride`` keep finer maps for
region heads: a stride moves within a block's first 3×3×3 conv and its 1×1×1 shortcut, whose
weight shapes do not depend on it, so a checkpoint of the default layout loads into any of them.

The class is also the body of ``preresnet``, ``wideresnet``, ``resnext`` (other blocks) and
``resnet2p1d`` (other stem and blocks). Every backbone of the project exposes ``out_channels``,
``spatial_stride`` and ``temporal_stride`` so that heads read architecture facts from here.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from functools import partial

import torch
import torch.nn.functional as F  # noqa: N812
from torch import nn

#: Blocks per stage for each depth; 10/18/34 use the basic block, deeper ones the bottleneck.
RESNET_LAYERS: dict[int, list[int]] = {
    10: [1, 1, 1, 1],
    18: [2, 2, 2, 2],
    34: [3, 4, 6, 3],
    50: [3, 4, 6, 3],
    101: [3, 4, 23, 3],
    152: [3, 8, 36, 3],
    200: [3, 24, 36, 3],
}
BASIC_DEPTHS = (10, 18, 34)


def get_inplanes() -> list[int]:
    return [64, 128, 256, 512]


#: A block's stride: one int for T, H and W alike, or ``(t, s, s)``.
Stride = int | tuple[int, int, int]

#: Per-stage strides of kenshohara's layout (layer1..layer4), in time and in space alike.
DEFAULT_STAGE_STRIDES = (1, 2, 2, 2)


def conv3x3x3(in_planes: int, out_planes: int, stride: Stride = 1) -> nn.Conv3d:
    return nn.Conv3d(in_planes, out_planes, kernel_size=3, stride=stride, padding=1, bias=False)


def conv1x1x1(in_planes: int, out_planes: int, stride: Stride = 1) -> nn.Conv3d:
    return nn.Conv3d(in_planes, out_planes, kernel_size=1, stride=stride, bias=False)


class BasicBlock(nn.Module):
    expansion = 1

    def __init__(self, in_planes: int, planes: int, stride: Stride = 1, downsample=None) -> None:
        super().__init__()
        self.conv1 = conv3x3x3(in_planes, planes, stride)
        self.bn1 = nn.BatchNorm3d(planes)
        self.relu = nn.ReLU(inplace=True)
        self.conv2 = conv3x3x3(planes, planes)
        self.bn2 = nn.BatchNorm3d(planes)
        self.downsample = downsample
        self.stride = stride

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        residual = x if self.downsample is None else self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return self.relu(out + residual)


class Bottleneck(nn.Module):
    expansion = 4

    def __init__(self, in_planes: int, planes: int, stride: Stride = 1, downsample=None) -> None:
        super().__init__()
        self.conv1 = conv1x1x1(in_planes, planes)
        self.bn1 = nn.BatchNorm3d(planes)
        self.conv2 = conv3x3x3(planes, planes, stride)
        self.bn2 = nn.BatchNorm3d(planes)
        self.conv3 = conv1x1x1(planes, planes * self.expansion)
        self.bn3 = nn.BatchNorm3d(planes * self.expansion)
        self.relu = nn.ReLU(inplace=True)
        self.downsample = downsample
        self.stride = stride

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        residual = x if self.downsample is None else self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.relu(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))
        return self.relu(out + residual)


def downsample_basic_block(x: torch.Tensor, planes: int, stride: Stride) -> torch.Tensor:
    """Shortcut A: strided subsampling plus zero channels; it has no parameters.

    The original concatenated ``out.data``, which cut the gradient of the shortcut; that bug is
    not part of the contract (compat §8), so the gradient flows here.
    """
    out = F.avg_pool3d(x, kernel_size=1, stride=stride)
    pad = out.new_zeros(out.size(0), planes - out.size(1), *out.shape[2:])
    return torch.cat([out, pad], dim=1)


class ResNet(nn.Module):
    """The kenshohara 3D ResNet: stem, four stages (layer2–4 stride 2 in T, H, W), avg pool, fc.

    Attributes read by heads: ``out_channels`` (C of the last stage), ``spatial_stride`` and
    ``temporal_stride`` (input pixels / frames per cell of the last stage's map).

    Stride options (defaults: kenshohara's layout, its parameters and state-dict keys):
        temporal_strides: stride in T of layer1..layer4, each 1 or 2 (``(1, 2, 2, 2)``).
        spatial_strides: stride in H and W of layer1..layer4, each 1 or 2 (``(1, 2, 2, 2)``).
        max_pool_t_stride: the stem max pool's stride in T, 1 or 2 (2); its H, W stride stays 2.
    A stride 2 in layer1 adds a shortcut conv there (layer1 has none by default), so that
    layout alone cannot load a default checkpoint.
    """

    def __init__(
        self,
        block,
        layers: list[int],
        block_inplanes: list[int],
        n_input_channels: int = 3,
        conv1_t_size: int = 7,
        conv1_t_stride: int = 1,
        no_max_pool: bool = False,
        shortcut_type: str = "B",
        widen_factor: float = 1.0,
        n_classes: int = 400,
        temporal_strides: Sequence[int] = DEFAULT_STAGE_STRIDES,
        spatial_strides: Sequence[int] = DEFAULT_STAGE_STRIDES,
        max_pool_t_stride: int = 2,
    ) -> None:
        super().__init__()
        if shortcut_type not in ("A", "B"):
            raise ValueError(f"shortcut_type must be 'A' or 'B', got {shortcut_type!r}")
        temporal_strides = _stage_strides("temporal_strides", temporal_strides)
        spatial_strides = _stage_strides("spatial_strides", spatial_strides)
        if max_pool_t_stride not in (1, 2):
            raise ValueError(f"max_pool_t_stride must be 1 or 2, got {max_pool_t_stride}")
        block_inplanes = [int(x * widen_factor) for x in block_inplanes]
        self.in_planes = block_inplanes[0]
        self.no_max_pool = no_max_pool
        self.n_input_channels = n_input_channels
        self._make_stem(n_input_channels, conv1_t_size, conv1_t_stride)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool3d(kernel_size=3, stride=(max_pool_t_stride, 2, 2), padding=1)
        for i, (t, s) in enumerate(zip(temporal_strides, spatial_strides, strict=True)):
            stage = self._make_layer(block, block_inplanes[i], layers[i], shortcut_type, (t, s, s))
            self.add_module(f"layer{i + 1}", stage)
        self.avgpool = nn.AdaptiveAvgPool3d((1, 1, 1))
        self.out_channels = self.in_planes
        self.fc = nn.Linear(self.out_channels, n_classes)
        pool_s, pool_t = (1, 1) if no_max_pool else (2, max_pool_t_stride)
        self.spatial_stride = 2 * pool_s * math.prod(spatial_strides)  # conv1, max pool, stages
        self.temporal_stride = conv1_t_stride * pool_t * math.prod(temporal_strides)

        for m in self.modules():
            if isinstance(m, nn.Conv3d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
            elif isinstance(m, nn.BatchNorm3d):
                nn.init.constant_(m.weight, 1)
                nn.init.constant_(m.bias, 0)

    def _make_stem(self, n_input_channels: int, conv1_t_size: int, conv1_t_stride: int) -> None:
        self.conv1 = nn.Conv3d(
            n_input_channels,
            self.in_planes,
            kernel_size=(conv1_t_size, 7, 7),
            stride=(conv1_t_stride, 2, 2),
            padding=(conv1_t_size // 2, 3, 3),
            bias=False,
        )
        self.bn1 = nn.BatchNorm3d(self.in_planes)

    def _stem(self, x: torch.Tensor) -> torch.Tensor:
        return self.relu(self.bn1(self.conv1(x)))

    def _make_layer(
        self, block, planes: int, blocks: int, shortcut_type: str, stride: tuple[int, int, int]
    ) -> nn.Sequential:
        downsample = None
        if stride != (1, 1, 1) or self.in_planes != planes * block.expansion:
            if shortcut_type == "A":
                downsample = partial(
                    downsample_basic_block, planes=planes * block.expansion, stride=stride
                )
            else:
                downsample = nn.Sequential(
                    conv1x1x1(self.in_planes, planes * block.expansion, stride),
                    nn.BatchNorm3d(planes * block.expansion),
                )
        layers = [block(self.in_planes, planes, stride=stride, downsample=downsample)]
        self.in_planes = planes * block.expansion
        layers += [block(self.in_planes, planes) for _ in range(1, blocks)]
        return nn.Sequential(*layers)

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        """``B×C_in×T×H×W`` → last-stage map ``B×out_channels×T'×H'×W'``."""
        check_clip(x, self.n_input_channels)
        x = self._stem(x)
        if not self.no_max_pool:
            x = self.maxpool(x)
        return self.layer4(self.layer3(self.layer2(self.layer1(x))))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``B×C_in×T×H×W`` → logits ``B×K`` (no softmax)."""
        x = self.avgpool(self.forward_features(x))
        return self.fc(x.flatten(1))


def _stage_strides(name: str, strides: Sequence[int]) -> tuple[int, int, int, int]:
    strides = tuple(strides)
    if len(strides) != 4 or any(s not in (1, 2) for s in strides):
        raise ValueError(f"{name} must be 4 strides of 1 or 2 (layer1..layer4), got {strides}")
    return strides


def check_clip(x: torch.Tensor, channels: int | None) -> None:
    """Raise a ValueError naming the shape unless ``x`` is ``B×C×T×H×W`` with ``channels`` C."""
    if x.dim() != 5 or (channels is not None and x.shape[1] != channels):
        want = f"B×{channels}×T×H×W" if channels is not None else "B×C×T×H×W"
        raise ValueError(f"expected a clip of shape {want}, got {tuple(x.shape)}")


def generate_model(model_depth: int, **kwargs) -> ResNet:
    """Build ``resnet`` at ``model_depth`` (10, 18, 34, 50, 101, 152, 200) as kenshohara does."""
    if model_depth not in RESNET_LAYERS:
        raise ValueError(f"resnet depth must be one of {sorted(RESNET_LAYERS)}, got {model_depth}")
    block = BasicBlock if model_depth in BASIC_DEPTHS else Bottleneck
    return ResNet(block, RESNET_LAYERS[model_depth], get_inplanes(), **kwargs)
