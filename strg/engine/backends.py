"""Kernel choice: cuDNN's autotuning for speed, or deterministic kernels when asked for.

3D-ResNets-PyTorch sets ``cudnn.benchmark`` on GPUs: for the fixed clip shapes of training, cuDNN
times its convolution algorithms once per shape and keeps the fastest, which may differ from run to
run. ``--deterministic`` turns that off and asks cuDNN and torch for deterministic kernels.
"""

from __future__ import annotations

import os

import torch

#: cuBLAS's workspace setting for reproducible matrix products on CUDA >= 10.2 (torch's docs on
#: reproducibility); read when the first cuBLAS handle is made.
CUBLAS_WORKSPACE = ":4096:8"


def cudnn_benchmark(device: torch.device, deterministic: bool) -> bool:
    """Whether cuDNN autotunes its convolutions: on a GPU, unless determinism is asked for."""
    return device.type == "cuda" and not deterministic


def configure_kernels(device: torch.device, deterministic: bool) -> None:
    """Set torch's global kernel switches for a run on ``device`` (see the module docstring).

    With ``deterministic``, an operation without a deterministic kernel warns, naming itself,
    instead of failing the run (torchvision's RoIAlign backward on CUDA is one).
    """
    torch.backends.cudnn.benchmark = cudnn_benchmark(device, deterministic)
    if deterministic:
        torch.backends.cudnn.deterministic = True
        if device.type == "cuda":
            os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", CUBLAS_WORKSPACE)
        torch.use_deterministic_algorithms(True, warn_only=True)
