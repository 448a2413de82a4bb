"""The speed switches of a run: the channels_last_3d memory format and torch.compile.

Neither changes what the network computes (up to float rounding) nor what a checkpoint holds:

- ``channels_last`` reorders the strides of the model's 5-D parameters and buffers in place
  (names, shapes and values stay; ``load_state_dict`` copies them into any layout), and each
  clip ``B×C×T×H×W`` is given the same order before the forward pass, so that the convolutions
  take their channels-innermost kernels without converting at every layer.
- ``compile`` wraps the model in torch.compile's ``OptimizedModule``, whose ``state_dict`` keys
  carry an ``_orig_mod.`` prefix; the run keeps the unwrapped model and saves that, so the
  checkpoints of a compiled run load into a plain model. The wrapper sits inside DDP, so that
  ``network.module`` (what inference runs) is the compiled model too.
"""

from __future__ import annotations

import torch
from torch import nn

#: The memory format of ``--channels_last``: the clips are 5-D, B×C×T×H×W.
MEMORY_FORMAT = torch.channels_last_3d


def to_channels_last(model: nn.Module) -> nn.Module:
    """``model`` with its 5-D parameters and buffers in channels_last_3d (in place)."""
    return model.to(memory_format=MEMORY_FORMAT)


def clip_in_format(frames: torch.Tensor, channels_last: bool) -> torch.Tensor:
    """Clips ``B×C×T×H×W`` in the run's memory format (a no-op when already so or when off)."""
    if not channels_last:
        return frames
    if frames.dim() != 5:
        raise ValueError(f"channels_last needs B×C×T×H×W clips, got {tuple(frames.shape)}")
    return frames.contiguous(memory_format=MEMORY_FORMAT)


def compiled(model: nn.Module, mode: str = "default") -> nn.Module:
    """``torch.compile(model, mode=mode)``; compilation itself happens at the first call of
    each input shape and of training and evaluation mode."""
    return torch.compile(model, mode=mode)
