"""Embedded-Gaussian non-local block (Wang et al. 2018), as in video-nonlocal-net.

``B×C×T×H×W`` → same shape. Inner width C/2, 1×2×2 max pool on φ and g, dot products scaled by
(C/2)^-½ (the authors' ``USE_SCALE``), output conv then BN with γ = 0 so a new block starts as
the identity and a pretrained backbone keeps its function.
"""

from __future__ import annotations

import torch
from torch import nn


class NonLocalBlock(nn.Module):
    def __init__(self, channels: int, inner: int | None = None, pool: bool = True) -> None:
        super().__init__()
        inner = inner or channels // 2
        self.inner = inner
        self.theta = nn.Conv3d(channels, inner, 1)
        self.phi = nn.Conv3d(channels, inner, 1)
        self.g = nn.Conv3d(channels, inner, 1)
        self.pool = nn.MaxPool3d((1, 2, 2), (1, 2, 2)) if pool else nn.Identity()
        self.out = nn.Conv3d(inner, channels, 1)
        self.bn = nn.BatchNorm3d(channels)
        for conv in (self.theta, self.phi, self.g, self.out):
            nn.init.normal_(conv.weight, std=0.01)  # the authors' Gaussian init
            nn.init.zeros_(conv.bias)
        nn.init.zeros_(self.bn.weight)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, _, t, h, w = x.shape
        theta = self.theta(x).flatten(2)  # B×C'×THW
        pooled = self.pool(x)
        phi = self.phi(pooled).flatten(2)  # B×C'×THW/4
        g = self.g(pooled).flatten(2)  # B×C'×THW/4
        affinity = torch.einsum("bci,bcj->bij", theta, phi) * self.inner**-0.5
        attention = affinity.softmax(dim=-1)
        y = torch.einsum("bij,bcj->bci", attention, g).reshape(b, self.inner, t, h, w)
        return x + self.bn(self.out(y))
