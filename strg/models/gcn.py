"""Graph convolution over region nodes: ``Z = ReLU(LayerNorm(Σ_g G_g X W_g))`` (+ X).

Shapes: nodes ``X`` ``B×M×D``, graphs ``G_g`` ``B×M×M``, ``valid`` ``B×M`` bool → ``B×M×D``.
Padded nodes are reset to zero after every layer: their columns in the graphs are zero already,
but LayerNorm's bias would otherwise give them a value.

``init_std`` draws the graph weights W_g from N(0, init_std²) as the authors' group does
(std 0.001); ``None`` keeps ``nn.Linear``'s default. LayerNorm follows each sum, so this scale
sets how fast the weights move, not how large the layer's output is.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F  # noqa: N812
from torch import nn


class GraphConvolution(nn.Module):
    """One layer with one weight matrix per graph it sums over."""

    def __init__(
        self, dim: int, n_graphs: int, residual: bool = False, init_std: float | None = None
    ) -> None:
        super().__init__()
        self.weights = nn.ModuleList(nn.Linear(dim, dim, bias=False) for _ in range(n_graphs))
        if init_std is not None:
            for w in self.weights:
                nn.init.normal_(w.weight, std=init_std)
        self.norm = nn.LayerNorm(dim)
        self.residual = residual

    def forward(
        self, x: torch.Tensor, graphs: list[torch.Tensor], valid: torch.Tensor
    ) -> torch.Tensor:
        if len(graphs) != len(self.weights):
            raise ValueError(f"layer expects {len(self.weights)} graphs, got {len(graphs)}")
        z = sum(torch.bmm(g.to(x.dtype), w(x)) for g, w in zip(graphs, self.weights, strict=True))
        z = F.relu(self.norm(z))
        if self.residual:
            z = z + x
        return z * valid[:, :, None].to(z.dtype)


class GraphConvolutionStack(nn.Module):
    """``layers`` graph convolutions of width ``dim`` over the same ``n_graphs`` graphs."""

    def __init__(
        self,
        dim: int,
        n_graphs: int,
        layers: int = 3,
        residual: bool = False,
        init_std: float | None = None,
    ) -> None:
        super().__init__()
        if layers < 1:
            raise ValueError(f"a GCN needs at least one layer, got {layers}")
        self.layers = nn.ModuleList(
            GraphConvolution(dim, n_graphs, residual, init_std) for _ in range(layers)
        )

    def forward(
        self, x: torch.Tensor, graphs: list[torch.Tensor], valid: torch.Tensor
    ) -> torch.Tensor:
        """``x`` ``B×M×D``, graphs each ``B×M×M``, ``valid`` ``B×M`` → ``B×M×D``."""
        b, m, _ = x.shape
        for g in graphs:
            if g.shape != (b, m, m):
                raise ValueError(
                    f"graphs must be B×M×M = {(b, m, m)} for x {tuple(x.shape)}, "
                    f"got {tuple(g.shape)}"
                )
        for layer in self.layers:
            x = layer(x, graphs, valid)
        return x
