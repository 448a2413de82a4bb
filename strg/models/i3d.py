"""ResNet-50/101 I3D of the Non-local paper (the "3×1×1" I3D), torchvision module names.

Shapes (R50, 32×224² clip): conv1 5×7×7 stride (1,2,2) → 64×32×112² → max pool 1×3×3 →
64×32×56² → layer1 (res2) 256×32×56² → temporal max pool stride 2 → 256×16×56² → layer2 (res3)
512×16×28² → layer3 (res4) 1024×16×14² → layer4 (res5) 2048×16×14² (stride 1) or ×7² (stride 2).

Only a block's first 1×1 conv is inflated (3×1×1), in the blocks of ``INFLATE`` ; the 3×3 stays
1×3×3. Names follow torchvision's ResNet (``layer1.0.conv1``), so a 2D ImageNet state dict maps
key for key (``strg.models.inflate``); a stage's non-local blocks live in its ``nl`` dict
(``layer2.nl.1``), so block indices keep the 2D names.
"""

from __future__ import annotations

import torch
from torch import nn

from strg.models.nonlocal_block import NonLocalBlock
from strg.models.resnet import check_clip

I3D_LAYERS: dict[int, list[int]] = {50: [3, 4, 6, 3], 101: [3, 4, 23, 3]}


def inflate_pattern(depth: int) -> list[list[int]]:
    """Per stage, 1 where a block's first conv is 3×1×1: res2 all, res3/4 every other, res5 #1."""
    layers = I3D_LAYERS[depth]
    return [
        [1] * layers[0],
        [1 - i % 2 for i in range(layers[1])],
        [1 - i % 2 for i in range(layers[2])],
        [i % 2 for i in range(layers[3])],
    ]


#: Non-local positions by depth, then by 0-based stage index (1 = res3 = ``layer2``): five blocks,
#: after every other res3 block and, in res4, after every other block of R50 and every seventh
#: of R101's 23, as the authors' Caffe2 code places them (its ``nonlocal_mod`` 2, and 2·4 − 1 for
#: R101's res4).
NONLOCAL_BLOCKS: dict[int, dict[int, tuple[int, ...]]] = {
    50: {1: (1, 3), 2: (1, 3, 5)},
    101: {1: (1, 3), 2: (6, 13, 20)},
}


class I3DBottleneck(nn.Module):
    expansion = 4

    def __init__(
        self,
        in_planes: int,
        planes: int,
        stride: int = 1,
        temporal_kernel: int = 1,
        dilation: int = 1,
        downsample: nn.Module | None = None,
    ) -> None:
        super().__init__()
        self.conv1 = nn.Conv3d(
            in_planes, planes, (temporal_kernel, 1, 1), padding=(temporal_kernel // 2, 0, 0),
            bias=False,
        )  # fmt: skip
        self.bn1 = nn.BatchNorm3d(planes)
        self.conv2 = nn.Conv3d(
            planes, planes, (1, 3, 3), stride=(1, stride, stride),
            padding=(0, dilation, dilation), dilation=(1, dilation, dilation), bias=False,
        )  # fmt: skip
        self.bn2 = nn.BatchNorm3d(planes)
        self.conv3 = nn.Conv3d(planes, planes * 4, 1, bias=False)
        self.bn3 = nn.BatchNorm3d(planes * 4)
        self.relu = nn.ReLU(inplace=True)
        self.downsample = downsample

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        residual = x if self.downsample is None else self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.relu(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))
        return self.relu(out + residual)


class I3DStage(nn.Module):
    """Bottleneck blocks ``0..n-1`` with non-local blocks after some of them (``nl[str(i)]``)."""

    def __init__(self, blocks: list[nn.Module], nonlocal_after: dict[int, nn.Module]) -> None:
        super().__init__()
        self.n_blocks = len(blocks)
        for i, block in enumerate(blocks):
            self.add_module(str(i), block)
        self.nl = nn.ModuleDict({str(i): m for i, m in nonlocal_after.items()})

    def __getitem__(self, index: int) -> nn.Module:
        return getattr(self, str(index))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for i in range(self.n_blocks):
            x = self[i](x)
            if str(i) in self.nl:
                x = self.nl[str(i)](x)
        return x


class I3DResNet(nn.Module):
    """I3D ResNet; ``B×C_in×T×H×W`` → ``forward_features`` ``B×2048×T/2×H/s×W/s`` → ``B×K``.

    ``s`` (``spatial_stride``) is 16 with ``res5_stride=1`` and 32 with 2; ``temporal_stride`` is
    2 (the temporal pool after res2). ``temporal_pool_kernel`` is 3 (paper's table, padding 1)
    or 2 (the authors' Caffe2 code, padding 0); either gives ``T' = T / 2`` for an even T.
    ``res5_dilation`` 2 keeps res5's receptive field when its stride is 1 (off by default: the
    paper only says stride 1).
    """

    def __init__(
        self,
        model_depth: int = 50,
        n_classes: int = 400,
        n_input_channels: int = 3,
        res5_stride: int = 2,
        res5_dilation: int = 1,
        nonlocal_blocks: bool = False,
        temporal_pool_kernel: int = 3,
        dropout: float = 0.5,
    ) -> None:
        super().__init__()
        if model_depth not in I3D_LAYERS:
            raise ValueError(f"i3d depth must be one of {sorted(I3D_LAYERS)}, got {model_depth}")
        if res5_stride not in (1, 2):
            raise ValueError(f"res5_stride must be 1 or 2, got {res5_stride}")
        if temporal_pool_kernel not in (2, 3):
            raise ValueError(f"temporal_pool_kernel must be 2 or 3, got {temporal_pool_kernel}")
        self.n_input_channels = n_input_channels
        self.conv1 = nn.Conv3d(
            n_input_channels, 64, (5, 7, 7), stride=(1, 2, 2), padding=(2, 3, 3), bias=False
        )
        self.bn1 = nn.BatchNorm3d(64)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool3d((1, 3, 3), stride=(1, 2, 2), padding=(0, 1, 1))
        # Padding (k − 1) // 2 keeps T' = T / 2 (even T) for both kernels: k = 2 with padding 1
        # would give T/2 + 1 steps and break the temporal stride the boxes are sampled at.
        self.pool2 = nn.MaxPool3d(
            (temporal_pool_kernel, 1, 1),
            stride=(2, 1, 1),
            padding=((temporal_pool_kernel - 1) // 2, 0, 0),
        )
        self.in_planes = 64
        pattern = inflate_pattern(model_depth)
        layers = I3D_LAYERS[model_depth]
        strides = [1, 2, 2, res5_stride]
        dilations = [1, 1, 1, res5_dilation]
        positions = NONLOCAL_BLOCKS[model_depth] if nonlocal_blocks else {}
        for s, planes in enumerate((64, 128, 256, 512)):
            blocks = self._make_blocks(planes, layers[s], strides[s], pattern[s], dilations[s])
            nonlocal_after = {i: NonLocalBlock(planes * 4) for i in positions.get(s, ())}
            self.add_module(f"layer{s + 1}", I3DStage(blocks, nonlocal_after))
        self.out_channels = 2048
        self.spatial_stride = 16 * res5_stride
        self.temporal_stride = 2
        self.avgpool = nn.AdaptiveAvgPool3d(1)
        self.dropout = nn.Dropout(dropout)
        self.fc = nn.Linear(2048, n_classes)

        for m in self.modules():
            # Backbone convs have no bias; the non-local convs (with bias) keep their own init.
            if isinstance(m, nn.Conv3d) and m.bias is None:
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")

    def _make_blocks(
        self, planes: int, blocks: int, stride: int, inflate: list[int], dilation: int
    ) -> list[nn.Module]:
        downsample = None
        if stride != 1 or self.in_planes != planes * 4:
            downsample = nn.Sequential(
                nn.Conv3d(self.in_planes, planes * 4, 1, stride=(1, stride, stride), bias=False),
                nn.BatchNorm3d(planes * 4),
            )
        layers = []
        for i in range(blocks):
            layers.append(
                I3DBottleneck(
                    self.in_planes,
                    planes,
                    stride=stride if i == 0 else 1,
                    temporal_kernel=3 if inflate[i] else 1,
                    dilation=dilation,
                    downsample=downsample if i == 0 else None,
                )
            )
            self.in_planes = planes * 4
        return layers

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        """``B×C_in×T×H×W`` → res5 map ``B×2048×T'×H'×W'``."""
        check_clip(x, self.n_input_channels)
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        x = self.pool2(self.layer1(x))
        return self.layer4(self.layer3(self.layer2(x)))

    def head(self, features: torch.Tensor) -> torch.Tensor:
        """``B×2048×T'×H'×W'`` → logits ``B×K``: mean over T', H', W', dropout, fc."""
        return self.fc(self.dropout(self.avgpool(features).flatten(1)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.forward_features(x))


def generate_model(model_depth: int = 50, **kwargs) -> I3DResNet:
    """Build ``i3d`` (ResNet-50 or -101 I3D); see :class:`I3DResNet` for the options."""
    return I3DResNet(model_depth=model_depth, **kwargs)
