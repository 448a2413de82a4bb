"""Pre-activation 3D ResNet (kenshohara ``pre_act_resnet.py``): BN → ReLU → conv inside blocks.

The original does not build at HEAD (its blocks name the first argument ``inplanes`` while the
body passes ``in_planes``); here it builds, with the original's key names.
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
    conv3x3x3,
    get_inplanes,
)


class PreActivationBasicBlock(nn.Module):
    expansion = 1

    def __init__(self, in_planes: int, planes: int, stride: Stride = 1, downsample=None) -> None:
        super().__init__()
        self.bn1 = nn.BatchNorm3d(in_planes)
        self.conv1 = conv3x3x3(in_planes, planes, stride)
        self.bn2 = nn.BatchNorm3d(planes)
        self.conv2 = conv3x3x3(planes, planes)
        self.relu = nn.ReLU(inplace=True)
        self.downsample = downsample
        self.stride = stride

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        residual = x if self.downsample is None else self.downsample(x)
        out = self.conv1(self.relu(self.bn1(x)))
        out = self.conv2(self.relu(self.bn2(out)))
        return out + residual


class PreActivationBottleneck(nn.Module):
    expansion = 4

    def __init__(self, in_planes: int, planes: int, stride: Stride = 1, downsample=None) -> None:
        super().__init__()
        self.bn1 = nn.BatchNorm3d(in_planes)
        self.conv1 = conv1x1x1(in_planes, planes)
        self.bn2 = nn.BatchNorm3d(planes)
        self.conv2 = conv3x3x3(planes, planes, stride)
        self.bn3 = nn.BatchNorm3d(planes)
        self.conv3 = conv1x1x1(planes, planes * self.expansion)
        self.relu = nn.ReLU(inplace=True)
        self.downsample = downsample
        self.stride = stride

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        residual = x if self.downsample is None else self.downsample(x)
        out = self.conv1(self.relu(self.bn1(x)))
        out = self.conv2(self.relu(self.bn2(out)))
        out = self.conv3(self.relu(self.bn3(out)))
        return out + residual


def generate_model(model_depth: int, **kwargs) -> ResNet:
    """Build ``preresnet`` at ``model_depth`` (10, 18, 34, 50, 101, 152, 200)."""
    if model_depth not in RESNET_LAYERS:
        raise ValueError(
            f"preresnet depth must be one of {sorted(RESNET_LAYERS)}, got {model_depth}"
        )
    basic = model_depth in BASIC_DEPTHS
    block = PreActivationBasicBlock if basic else PreActivationBottleneck
    return ResNet(block, RESNET_LAYERS[model_depth], get_inplanes(), **kwargs)
