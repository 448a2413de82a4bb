"""3D ResNeXt (kenshohara ``resnext.py``): grouped 3×3×3 conv, expansion 2, widths 128…1024.

The original does not build at HEAD (n_classes lands in the widen_factor slot; the block's
argument is misnamed); here both are fixed and the key names are the original's.
"""

from __future__ import annotations

from functools import partial

from torch import nn

from strg.models.resnet import Bottleneck, ResNet, Stride, conv1x1x1
from strg.models.wideresnet import WIDE_RESNET_LAYERS


class ResNeXtBottleneck(Bottleneck):
    """Bottleneck with a grouped middle conv; the forward pass is the plain Bottleneck's."""

    expansion = 2

    def __init__(
        self, in_planes: int, planes: int, cardinality: int, stride: Stride = 1, downsample=None
    ) -> None:
        nn.Module.__init__(self)
        mid_planes = cardinality * planes // 32
        self.conv1 = conv1x1x1(in_planes, mid_planes)
        self.bn1 = nn.BatchNorm3d(mid_planes)
        self.conv2 = nn.Conv3d(
            mid_planes,
            mid_planes,
            kernel_size=3,
            stride=stride,
            padding=1,
            groups=cardinality,
            bias=False,
        )
        self.bn2 = nn.BatchNorm3d(mid_planes)
        self.conv3 = conv1x1x1(mid_planes, planes * self.expansion)
        self.bn3 = nn.BatchNorm3d(planes * self.expansion)
        self.relu = nn.ReLU(inplace=True)
        self.downsample = downsample
        self.stride = stride


def generate_model(model_depth: int, cardinality: int = 32, **kwargs) -> ResNet:
    """Build ``resnext`` at ``model_depth`` (50, 101, 152, 200) with ``cardinality`` groups."""
    if model_depth not in WIDE_RESNET_LAYERS:
        raise ValueError(
            f"resnext depth must be one of {sorted(WIDE_RESNET_LAYERS)}, got {model_depth}"
        )
    block = partial(ResNeXtBottleneck, cardinality=cardinality)
    block.expansion = ResNeXtBottleneck.expansion  # ResNet reads it from the block factory
    return ResNet(block, WIDE_RESNET_LAYERS[model_depth], [128, 256, 512, 1024], **kwargs)
