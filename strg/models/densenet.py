"""3D DenseNet-BC (kenshohara ``densenet.py``), keys under ``features.*`` and ``classifier.*``.

The original does not build from model.py (it passes ``n_classes`` to a ``num_classes``
argument); here the constructor takes ``n_classes`` like the rest of the family.
"""

from __future__ import annotations

from collections import OrderedDict

import torch
import torch.nn.functional as F  # noqa: N812
from torch import nn

from strg.models.resnet import check_clip

DENSENET_CONFIGS: dict[int, tuple[int, int, tuple[int, ...]]] = {
    # depth: (num_init_features, growth_rate, block_config)
    121: (64, 32, (6, 12, 24, 16)),
    169: (64, 32, (6, 12, 32, 32)),
    201: (64, 32, (6, 12, 48, 32)),
    264: (64, 32, (6, 12, 64, 48)),
}


class _DenseLayer(nn.Sequential):
    def __init__(self, n_in: int, growth_rate: int, bn_size: int, drop_rate: float) -> None:
        super().__init__()
        self.add_module("norm1", nn.BatchNorm3d(n_in))
        self.add_module("relu1", nn.ReLU(inplace=True))
        self.add_module("conv1", nn.Conv3d(n_in, bn_size * growth_rate, 1, bias=False))
        self.add_module("norm2", nn.BatchNorm3d(bn_size * growth_rate))
        self.add_module("relu2", nn.ReLU(inplace=True))
        self.add_module(
            "conv2", nn.Conv3d(bn_size * growth_rate, growth_rate, 3, padding=1, bias=False)
        )
        self.drop_rate = drop_rate

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        new = super().forward(x)
        if self.drop_rate > 0:
            new = F.dropout(new, p=self.drop_rate, training=self.training)
        return torch.cat([x, new], 1)


class _DenseBlock(nn.Sequential):
    def __init__(self, n_layers: int, n_in: int, bn_size: int, growth: int, drop: float) -> None:
        super().__init__()
        for i in range(n_layers):
            self.add_module(
                f"denselayer{i + 1}", _DenseLayer(n_in + i * growth, growth, bn_size, drop)
            )


class _Transition(nn.Sequential):
    def __init__(self, n_in: int, n_out: int) -> None:
        super().__init__()
        self.add_module("norm", nn.BatchNorm3d(n_in))
        self.add_module("relu", nn.ReLU(inplace=True))
        self.add_module("conv", nn.Conv3d(n_in, n_out, kernel_size=1, bias=False))
        self.add_module("pool", nn.AvgPool3d(kernel_size=2, stride=2))


class DenseNet(nn.Module):
    """``B×C_in×T×H×W`` → ``features`` ``B×out_channels×T'×H'×W'`` → logits ``B×K``."""

    def __init__(
        self,
        n_input_channels: int = 3,
        conv1_t_size: int = 7,
        conv1_t_stride: int = 1,
        no_max_pool: bool = False,
        growth_rate: int = 32,
        block_config: tuple[int, ...] = (6, 12, 24, 16),
        num_init_features: int = 64,
        bn_size: int = 4,
        drop_rate: float = 0.0,
        n_classes: int = 1000,
    ) -> None:
        super().__init__()
        self.n_input_channels = n_input_channels
        stem = [
            (
                "conv1",
                nn.Conv3d(
                    n_input_channels,
                    num_init_features,
                    kernel_size=(conv1_t_size, 7, 7),
                    stride=(conv1_t_stride, 2, 2),
                    padding=(conv1_t_size // 2, 3, 3),
                    bias=False,
                ),
            ),
            ("norm1", nn.BatchNorm3d(num_init_features)),
            ("relu1", nn.ReLU(inplace=True)),
        ]
        if not no_max_pool:
            stem.append(("pool1", nn.MaxPool3d(kernel_size=3, stride=2, padding=1)))
        self.features = nn.Sequential(OrderedDict(stem))
        n = num_init_features
        for i, n_layers in enumerate(block_config):
            block = _DenseBlock(n_layers, n, bn_size, growth_rate, drop_rate)
            self.features.add_module(f"denseblock{i + 1}", block)
            n += n_layers * growth_rate
            if i != len(block_config) - 1:
                self.features.add_module(f"transition{i + 1}", _Transition(n, n // 2))
                n //= 2
        self.features.add_module("norm5", nn.BatchNorm3d(n))
        self.out_channels = n
        pool = 1 if no_max_pool else 2
        n_transitions = len(block_config) - 1
        self.spatial_stride = 2 * pool * 2**n_transitions
        self.temporal_stride = conv1_t_stride * pool * 2**n_transitions

        for m in self.modules():
            if isinstance(m, nn.Conv3d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out")
            elif isinstance(m, nn.BatchNorm3d):
                nn.init.constant_(m.weight, 1)
                nn.init.constant_(m.bias, 0)
        self.classifier = nn.Linear(n, n_classes)

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        """``B×C_in×T×H×W`` → ``B×out_channels×T'×H'×W'`` (after the final ReLU)."""
        check_clip(x, self.n_input_channels)
        return F.relu(self.features(x))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = F.adaptive_avg_pool3d(self.forward_features(x), (1, 1, 1))
        return self.classifier(out.flatten(1))


def generate_model(model_depth: int, **kwargs) -> DenseNet:
    """Build ``densenet`` at ``model_depth`` (121, 169, 201, 264)."""
    if model_depth not in DENSENET_CONFIGS:
        raise ValueError(
            f"densenet depth must be one of {sorted(DENSENET_CONFIGS)}, got {model_depth}"
        )
    init, growth, config = DENSENET_CONFIGS[model_depth]
    return DenseNet(num_init_features=init, growth_rate=growth, block_config=config, **kwargs)
