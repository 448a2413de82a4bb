"""One process per device, launched by torchrun, mpirun or :mod:`strg.engine.launch`: ranks,
devices, reductions, gathers.

torchrun (and torch's elastic launcher behind it) sets ``RANK``, ``LOCAL_RANK`` and ``WORLD_SIZE``
(and the rendezvous address), which the ``env://`` init method reads; Open MPI's
``OMPI_COMM_WORLD_*`` variables are read as a fallback, so the original's mpirun launch keeps
working. Gloo is used on the CPU, NCCL on GPUs, both with an explicit timeout for a collective
(NCCL's own default of 10 minutes is shorter than rank 0's longer waits). Only rank 0 prints,
logs and saves.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import torch
import torch.distributed as dist

from strg.engine.errors import RunError

DEFAULT_TCP_URL = "tcp://127.0.0.1:23456"
#: The variables of a launcher's rank: torchrun's, then Open MPI's.
RANK_VARIABLES = ("RANK", "OMPI_COMM_WORLD_RANK")
#: The number of processes on this node, likewise.
LOCAL_WORLD_VARIABLES = ("LOCAL_WORLD_SIZE", "OMPI_COMM_WORLD_LOCAL_SIZE")


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


def under_launcher() -> bool:
    """Whether this process was started by a launcher (torchrun, mpirun) as one rank of many."""
    return _environment_int(*RANK_VARIABLES) is not None


def launcher_local_processes() -> int | None:
    """The launcher's number of processes on this node, or None outside a launcher."""
    return _environment_int(*LOCAL_WORLD_VARIABLES)


def choose_device(no_cuda: bool, local_rank: int = 0) -> torch.device:
    """The GPU of this process when one is available and allowed, else the CPU."""
    if not no_cuda and torch.cuda.is_available():
        return torch.device("cuda", local_rank % torch.cuda.device_count())
    return torch.device("cpu")


def setup_process(
    distributed: bool,
    no_cuda: bool,
    dist_url: str | None = None,
    nodes: int = -1,
    *,
    timeout_minutes: float,
) -> Process:
    """Join the process group when ``distributed``; a plain single process otherwise.

    ``nodes`` (the original's ``--world_size``, a count of machines) is checked against the
    launcher's when given; a collective that waits longer than ``timeout_minutes`` fails.
    """
    if not distributed:
        return Process(device=choose_device(no_cuda))
    rank = _environment_int(*RANK_VARIABLES)
    world_size = _environment_int("WORLD_SIZE", "OMPI_COMM_WORLD_SIZE")
    local_rank = _environment_int("LOCAL_RANK", "OMPI_COMM_WORLD_LOCAL_RANK") or 0
    if rank is None or world_size is None:
        raise RunError(
            "--distributed without a launcher needs more than one process: give "
            "--nproc_per_node K (or launch with torchrun --nproc_per_node=K, or mpirun)"
        )
    local_world = launcher_local_processes()
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
        timeout=timedelta(minutes=timeout_minutes),
    )
    return Process(rank=rank, local_rank=local_rank, world_size=world_size, device=device)


def all_reduce_sums(values: list[float], process: Process) -> list[float]:
    """Element-wise sums of ``values`` over all processes (the values themselves alone)."""
    if not process.distributed:
        return list(values)
    tensor = torch.tensor(values, dtype=torch.float64, device=process.device)
    dist.all_reduce(tensor, op=dist.ReduceOp.SUM)
    return tensor.tolist()


def gather_to_main(value: Any, process: Process) -> list[Any] | None:
    """Every process's ``value`` (picklable), by rank, on rank 0; None on the other ranks."""
    if not process.distributed:
        return [value]
    gathered: list[Any] | None = [None] * process.world_size if process.is_main else None
    dist.gather_object(value, gathered, dst=0)
    return gathered


def barrier(process: Process) -> None:
    """Wait for every process."""
    if process.distributed:
        dist.barrier()


def teardown(process: Process) -> None:
    """Leave the process group."""
    if process.distributed and dist.is_initialized():
        dist.destroy_process_group()
