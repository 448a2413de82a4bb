"""Starting a run's processes from a plain ``python main.py``: one per visible GPU by default.

As 3D-ResNets-PyTorch's README says, every GPU is used, and ``CUDA_VISIBLE_DEVICES`` chooses
them. Under a launcher (torchrun, mpirun) this process is already one rank and runs as it is.
Otherwise, with K > 1 processes to start, this process becomes torch's elastic agent
(:class:`torch.distributed.launcher.api.elastic_launch`, what ``torchrun --standalone`` runs): it
starts K copies of the command, each a rank exactly as torchrun makes one, watches them, and stops
all of them when one fails or when it is itself interrupted (Ctrl-C) or terminated.

A user error in a started process reaches this process as its message: the started process
leaves it in a file of this launch (:func:`strg.engine.launched.report_to_launcher`) instead of
printing it, so K processes that meet the same bad input give one line. A started process also
ends when this process is killed outright (:func:`strg.engine.launched.follow_launcher`).
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import sys
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import torch

from strg.config import Distribution
from strg.engine.distributed import launcher_local_processes, under_launcher
from strg.engine.launched import ERRORS_VARIABLE, PARENT_VARIABLE
from strg.errors import StrgError

#: The signals the elastic agent turns into stopping its processes (torchrun's set).
STOP_SIGNALS = ("SIGTERM", "SIGINT", "SIGHUP", "SIGQUIT")


class LaunchError(StrgError):
    """The processes to start contradict the flags or the launcher."""


class StartedProcessError(StrgError):
    """A started process stopped on a user error; the message is that process's own."""


def count_processes(nproc_per_node: int, gpus: int) -> int:
    """Processes to run: ``nproc_per_node`` when > 0, else one per GPU (``gpus``), at least 1."""
    return nproc_per_node if nproc_per_node > 0 else max(gpus, 1)


def processes_to_start(distribution: Distribution, no_cuda: bool) -> int:
    """How many processes ``main.py`` starts; 1: it runs in this process.

    Under a launcher always 1 (``nproc_per_node``, when given, must be the launcher's count).
    Otherwise :func:`count_processes` of ``nproc_per_node`` and the visible GPUs (none with
    ``no_cuda``). More than one node (``world_size``) needs a launcher on every node.
    """
    nproc_per_node, nodes = distribution.nproc_per_node, distribution.world_size
    if under_launcher():
        local = launcher_local_processes()
        if nproc_per_node > 0 and local is not None and local != nproc_per_node:
            raise LaunchError(
                f"--nproc_per_node {nproc_per_node}, but the launcher started {local} "
                "process(es) on this node"
            )
        return 1
    gpus = 0 if no_cuda else torch.cuda.device_count()
    count = count_processes(nproc_per_node, gpus)
    if count > 1 and nodes not in (-1, 1):
        raise LaunchError(
            f"--world_size {nodes}: main.py starts processes on this machine only; for several "
            f"nodes run torchrun --nnodes {nodes} --nproc_per_node K main.py --distributed ... "
            "on each"
        )
    return count


def start_processes(command: list[str], processes: int) -> int:
    """Run ``python *command`` as ``processes`` ranks of one group on this machine; returns
    the exit status: 0, the failed process's status (its traceback is above), or 128 + the
    signal that stopped this process. A user error of a started process raises
    :class:`StartedProcessError` with its message."""
    from torch.distributed.elastic.multiprocessing import DefaultLogsSpecs, SignalException
    from torch.distributed.elastic.multiprocessing.errors import ChildFailedError
    from torch.distributed.launcher.api import LaunchConfig, elastic_launch

    with tempfile.TemporaryDirectory(prefix="strg-launch-") as directory:
        errors = Path(directory) / "errors"
        errors.mkdir()
        config = LaunchConfig(
            min_nodes=1,
            max_nodes=1,
            nproc_per_node=processes,
            run_id=str(uuid.uuid4()),
            # torchrun --standalone: a rendezvous store of this machine on a free port
            rdzv_backend="c10d",
            rdzv_endpoint="localhost:0",
            max_restarts=0,
            logs_specs=DefaultLogsSpecs(log_dir=str(Path(directory) / "elastic")),
            signals_to_handle=",".join(STOP_SIGNALS),
        )
        with _quiet_agent(), _started_environment(errors, processes):
            try:
                elastic_launch(config, sys.executable)(*command)
            except ChildFailedError as failure:
                messages = sorted(errors.glob("rank-*.txt"))
                if messages:  # the lowest rank's: all ranks usually meet the same bad input
                    raise StartedProcessError(messages[0].read_text()) from None
                rank, first = failure.get_first_failure()
                return _failed(rank, first.exitcode, processes)
            except (SignalException, KeyboardInterrupt) as stop:
                number = stop.sigval if isinstance(stop, SignalException) else signal.SIGINT
                print(
                    f"stopped by {signal.Signals(number).name}: ended the {processes} processes",
                    file=sys.stderr,
                )
                return 128 + int(number)
    return 0


def _failed(rank: int, status: int, processes: int) -> int:
    """Say which process failed first (its own output, a traceback, is above); its status."""
    how = f"status {status}" if status >= 0 else f"signal {-status}"
    print(f"error: process {rank} of {processes} stopped with {how}", file=sys.stderr)
    return status if status > 0 else 1


@contextlib.contextmanager
def _quiet_agent() -> Iterator[None]:
    """Without the agent's log lines (its dump of a failure, its notices of stopping processes):
    this module says what happened in one line. The signal handlers it installs are undone."""
    loggers = [logging.getLogger(name) for name in ("torch.distributed.elastic",
                                                    "torch.distributed.launcher")]  # fmt: skip
    saved = [(logger.handlers[:], logger.propagate) for logger in loggers]
    handlers = {name: signal.getsignal(getattr(signal, name)) for name in STOP_SIGNALS}
    for logger in loggers:
        logger.handlers, logger.propagate = [logging.NullHandler()], False
    try:
        yield
    finally:
        for logger, (kept, propagate) in zip(loggers, saved, strict=True):
            logger.handlers, logger.propagate = kept, propagate
        for name, handler in handlers.items():
            signal.signal(getattr(signal, name), handler)


@contextlib.contextmanager
def _started_environment(errors: Path, processes: int) -> Iterator[None]:
    """The environment the started processes inherit, for the time of the launch: where to leave
    a user error, whom to follow, this strg on the path, and a share of the CPU threads."""
    before = dict(os.environ)
    package_root = str(Path(__file__).resolve().parents[2])
    os.environ[ERRORS_VARIABLE] = str(errors)
    os.environ[PARENT_VARIABLE] = str(os.getpid())
    os.environ["PYTHONPATH"] = os.pathsep.join(
        filter(None, [package_root, os.environ.get("PYTHONPATH")])
    )
    # torchrun sets 1; a share of the cores keeps a CPU run of few processes fast
    os.environ.setdefault("OMP_NUM_THREADS", str(max((os.cpu_count() or 1) // processes, 1)))
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(before)
