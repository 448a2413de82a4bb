"""One process per device, launched by torchrun (or mpirun): ranks, devices, reductions.

torchrun sets ``RANK``, ``LOCAL_RANK`` and ``WORLD_SIZE`` (and the rendezvous address), which the
``env://`` init method reads; Open MPI's ``OMPI_COMM_WORLD_*`` variables are read as a fallback,
so the original's mpirun launch keeps working. Gloo is used on the CPU, NCCL on GPUs. Only rank 0
prints, logs and saves.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

import torch
import torch.distributed as dist

from strg.engine.errors import RunError

DEFAULT_TCP_URL = "tcp://127.0.0.1:23456"


@dataclass(frozen=True)
class Process:
    """This process's place in the run and its device."""

    rank: int = 0
    local_rank: int = 0
    world_size: int = 1
    device: torch.device = field(default_factory=lambda: torch.device("cpu"))

    @property
    def distributed(self) -> bool:
        """Whether a process group is in use."""
        return self.world_size > 1 or dist.is_initialized()

    @property
    def is_main(self) -> bool:
        """Rank 0: the process that prints, logs and saves."""
        return self.rank == 0


def _environment_int(*names: str) -> int | None:
    for name in names:
        if name in os.environ:
            return int(os.environ[name])
    return None


def choose_device(no_cuda: bool, local_rank: int = 0) -> torch.device:
    """The GPU of this process when one is available and allowed, else the CPU."""
    if not no_cuda and torch.cuda.is_available():
        return torch.device("cuda", local_rank % torch.cuda.device_count())
    return torch.device("cpu")


def setup_process(
    distributed: bool, no_cuda: bool, dist_url: str | None = None, nodes: int = -1
) -> Process:
    """Join the process group when ``distributed``; a plain single process otherwise.

    ``nodes`` (the original's ``--world_size``, a count of machines) is checked against the
    launcher's when given.
    """
    if not distributed:
        return Process(device=choose_device(no_cuda))
    rank = _environment_int("RANK", "OMPI_COMM_WORLD_RANK")
    world_size = _environment_int("WORLD_SIZE", "OMPI_COMM_WORLD_SIZE")
    local_rank = _environment_int("LOCAL_RANK", "OMPI_COMM_WORLD_LOCAL_RANK") or 0
    if rank is None or world_size is None:
        raise RunError(
            "--distributed needs a launcher that sets RANK and WORLD_SIZE: "
            "torchrun --nproc_per_node=K main.py --distributed ... (or mpirun)"
        )
    local_world = _environment_int("LOCAL_WORLD_SIZE", "OMPI_COMM_WORLD_LOCAL_SIZE")
    if nodes != -1 and local_world and world_size // local_world != nodes:
        raise RunError(
            f"--world_size {nodes} (nodes) but the launcher started {world_size // local_world} "
            f"node(s) of {local_world} process(es)"
        )
    device = choose_device(no_cuda, local_rank)
    if device.type == "cuda":
        torch.cuda.set_device(device)
    init_method = dist_url or ("env://" if "MASTER_ADDR" in os.environ else DEFAULT_TCP_URL)
    dist.init_process_group(
        backend="nccl" if device.type == "cuda" else "gloo",
        init_method=init_method,
        rank=rank,
        world_size=world_size,
    )
    return Process(rank=rank, local_rank=local_rank, world_size=world_size, device=device)


def all_reduce_sums(values: list[float], process: Process) -> list[float]:
    """Element-wise sums of ``values`` over all processes (the values themselves alone)."""
    if not process.distributed:
        return list(values)
    tensor = torch.tensor(values, dtype=torch.float64, device=process.device)
    dist.all_reduce(tensor, op=dist.ReduceOp.SUM)
    return tensor.tolist()


def barrier(process: Process) -> None:
    """Wait for every process."""
    if process.distributed:
        dist.barrier()


def teardown(process: Process) -> None:
    """Leave the process group."""
    if process.distributed and dist.is_initialized():
        dist.destroy_process_group()
