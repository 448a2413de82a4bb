"""cuDNN's autotuning on GPUs unless determinism is asked for."""

from __future__ import annotations

import torch

from strg.engine.backends import configure_kernels, cudnn_benchmark


def test_autotuning_on_a_gpu_unless_deterministic() -> None:
    cuda, cpu = torch.device("cuda", 0), torch.device("cpu")
    assert cudnn_benchmark(cuda, deterministic=False)
    assert not cudnn_benchmark(cuda, deterministic=True)
    assert not cudnn_benchmark(cpu, deterministic=False)


def test_deterministic_asks_torch_for_deterministic_kernels() -> None:
    saved = (torch.backends.cudnn.benchmark, torch.backends.cudnn.deterministic)
    try:
        configure_kernels(torch.device("cpu"), deterministic=True)
        assert torch.are_deterministic_algorithms_enabled()
        assert torch.is_deterministic_algorithms_warn_only_enabled()
        assert torch.backends.cudnn.deterministic and not torch.backends.cudnn.benchmark
    finally:
        torch.use_deterministic_algorithms(False)
        torch.backends.cudnn.benchmark, torch.backends.cudnn.deterministic = saved
