"""R(2+1)D of kenshohara/3D-ResNets-PyTorch: every 3×3×3 conv split into 1×3×3 then 3×1×1.

The middle width ⌊in·out·27 / (in·9 + 3·out)⌋ matches the 3D parameter count; the stem's uses
3 input channels even for flow, as the original does (its checkpoints depend on it). A block's
stride ``(t, s, s)`` is split: ``s`` goes to the 1×3×3 half, ``t`` to the 3×1×1 half. Key
names (``conv1_s``, ``bn1_t``, ...) are those of the published weights.
"""

from __future__ import annotations

import torch
from torch import nn

from strg.models.resnet import (
    BASIC_DEPTHS,
    RESNET_LAYERS,
    ResNet,
    Stride,
    conv1x1x1,
    get_inplanes,
)


def conv1x3x3(in_planes: int, mid_planes: int, stride: int = 1) -> nn.Conv3d:
    return nn.Conv3d(
        in_planes, mid_planes, (1, 3, 3), stride=(1, stride, stride), padding=(0, 1, 1), bias=False
    )


def conv3x1x1(mid_planes: int, planes: int, stride: int = 1) -> nn.Conv3d:
    return nn.Conv3d(
        mid_planes, planes, (3, 1, 1), stride=(stride, 1, 1), padding=(1, 0, 0), bias=False
    )


def split_stride(stride: Stride) -> tuple[int, int]:
    """A block's stride as ``(temporal, spatial)``: an int is both, ``(t, s, s)`` is ``(t, s)``."""
    if isinstance(stride, int):
        return stride, stride
    t, s, s_w = stride
    if s != s_w:
        raise ValueError(f"R(2+1)D strides H and W alike, got {stride}")
    return t, s


def mid_width(in_planes: int, planes: int) -> int:
    return (in_planes * planes * 3 * 3 * 3) // (in_planes * 3 * 3 + 3 * planes)


class BasicBlock(nn.Module):
    expansion = 1

    def __init__(self, in_planes: int, planes: int, stride: Stride = 1, downsample=None) -> None:
        super().__init__()
        t_stride, s_stride = split_stride(stride)
        mid1 = mid_width(in_planes, planes)
        self.conv1_s = conv1x3x3(in_planes, mid1, s_stride)
        self.bn1_s = nn.BatchNorm3d(mid1)
        self.conv1_t = conv3x1x1(mid1, planes, t_stride)
        self.bn1_t = nn.BatchNorm3d(planes)
        mid2 = mid_width(planes, planes)
        self.conv2_s = conv1x3x3(planes, mid2)
        self.bn2_s = nn.BatchNorm3d(mid2)
        self.conv2_t = conv3x1x1(mid2, planes)
        self.bn2_t = nn.BatchNorm3d(planes)
        self.relu = nn.ReLU(inplace=True)
        self.downsample = downsample
        self.stride = stride

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        residual = x if self.downsample is None else self.downsample(x)
        out = self.relu(self.bn1_s(self.conv1_s(x)))
        out = self.relu(self.bn1_t(self.conv1_t(out)))
        out = self.relu(self.bn2_s(self.conv2_s(out)))
        out = self.bn2_t(self.conv2_t(out))
        return self.relu(out + residual)


class Bottleneck(nn.Module):
    expansion = 4

    def __init__(self, in_planes: int, planes: int, stride: Stride = 1, downsample=None) -> None:
        super().__init__()
        t_stride, s_stride = split_stride(stride)
        self.conv1 = conv1x1x1(in_planes, planes)
        self.bn1 = nn.BatchNorm3d(planes)
        mid = mid_width(planes, planes)
        self.conv2_s = conv1x3x3(planes, mid, s_stride)
        self.bn2_s = nn.BatchNorm3d(mid)
        self.conv2_t = conv3x1x1(mid, planes, t_stride)
        self.bn2_t = nn.BatchNorm3d(planes)
        self.conv3 = conv1x1x1(planes, planes * self.expansion)
        self.bn3 = nn.BatchNorm3d(planes * self.expansion)
        self.relu = nn.ReLU(inplace=True)
        self.downsample = downsample
        self.stride = stride

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        residual = x if self.downsample is None else self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.relu(self.bn2_s(self.conv2_s(out)))
        out = self.relu(self.bn2_t(self.conv2_t(out)))
        out = self.bn3(self.conv3(out))
        return self.relu(out + residual)


class ResNet2p1d(ResNet):
    """The 3D ResNet body with a factorised stem: 1×7×7 spatial conv, then conv1_t_size×1×1."""

    def _make_stem(self, n_input_channels: int, conv1_t_size: int, conv1_t_stride: int) -> None:
        # The original computes the width with 3 input channels whatever n_input_channels is.
        mid = (3 * self.in_planes * conv1_t_size * 7 * 7) // (
            3 * 7 * 7 + conv1_t_size * self.in_planes
        )
        self.conv1_s = nn.Conv3d(
            n_input_channels, mid, (1, 7, 7), stride=(1, 2, 2), padding=(0, 3, 3), bias=False
        )
        self.bn1_s = nn.BatchNorm3d(mid)
        self.conv1_t = nn.Conv3d(
            mid,
            self.in_planes,
            (conv1_t_size, 1, 1),
            stride=(conv1_t_stride, 1, 1),
            padding=(conv1_t_size // 2, 0, 0),
            bias=False,
        )
        self.bn1_t = nn.BatchNorm3d(self.in_planes)

    def _stem(self, x: torch.Tensor) -> torch.Tensor:
        x = self.relu(self.bn1_s(self.conv1_s(x)))
        return self.relu(self.bn1_t(self.conv1_t(x)))


def generate_model(model_depth: int, **kwargs) -> ResNet2p1d:
    """Build ``resnet2p1d`` at ``model_depth`` (10, 18, 34, 50, 101, 152, 200)."""
    if model_depth not in RESNET_LAYERS:
        raise ValueError(
            f"resnet2p1d depth must be one of {sorted(RESNET_LAYERS)}, got {model_depth}"
        )
    block = BasicBlock if model_depth in BASIC_DEPTHS else Bottleneck
    return ResNet2p1d(block, RESNET_LAYERS[model_depth], get_inplanes(), **kwargs)
