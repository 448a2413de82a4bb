"""One run per result folder: a lock file that a second run into the same folder is refused by.

Two runs writing one ``--result_path`` interleave their logs and leave checkpoints of one beside
the ``opts.json`` of the other. The lock is an ``flock`` on ``RESULT_PATH/.strg.lock``, held by
the run's rank-0 process for its whole life; the kernel releases it when that process dies, even
by ``kill -9``, so a stale lock can always be taken over. The file holds ``host pid`` of its holder,
for the refusal message and for the note when a killed run's lock is taken over. Only one process
of a run locks (rank 0): the other ranks of a distributed run write nothing of their own.
"""

from __future__ import annotations

import errno
import fcntl
import os
import socket
import sys
from pathlib import Path

from strg.atomic import stale_temporaries
from strg.engine.errors import RunError

#: The lock file's name inside the result folder.
LOCK_NAME = ".strg.lock"


class ResultPathBusyError(RunError):
    """Another live run holds the result folder."""


class ResultPathLock:
    """The lock of ``result_path``; :meth:`acquire` it, :meth:`release` it when the run ends.

    ``taken_over`` is the ``host pid`` of the killed run whose lock this one took over, if any.
    """

    def __init__(self, result_path: Path) -> None:
        self.path = Path(result_path) / LOCK_NAME
        self.taken_over: str | None = None
        self._descriptor: int | None = None

    def acquire(self) -> None:
        """Take the lock, or raise :class:`ResultPathBusyError` naming the folder and its holder."""
        while True:
            descriptor = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
            try:
                fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError as error:
                holder = _read(descriptor)
                os.close(descriptor)
                if error.errno not in (errno.EAGAIN, errno.EACCES):
                    raise
                raise ResultPathBusyError(
                    f"--result_path {self.path.parent} is in use by another run "
                    f"({_describe(holder)}); wait for it to end or choose another folder"
                ) from None
            # The previous holder may have removed the file between our open and our lock:
            # then we hold a lock on a file nobody else will see; open the path again.
            try:
                same_file = os.stat(self.path).st_ino == os.fstat(descriptor).st_ino
            except FileNotFoundError:
                same_file = False
            if same_file:
                break
            os.close(descriptor)
        left = _read(descriptor)
        self.taken_over = left or None
        os.ftruncate(descriptor, 0)
        os.pwrite(descriptor, f"{socket.gethostname()} {os.getpid()}\n".encode(), 0)
        self._descriptor = descriptor

    def release(self) -> None:
        """Remove the lock file and let go of the lock (the file first: see :meth:`acquire`)."""
        if self._descriptor is None:
            return
        self.path.unlink(missing_ok=True)
        os.close(self._descriptor)
        self._descriptor = None


def claim_result_path(result_path: Path) -> ResultPathLock:
    """Create ``result_path``, lock it for this run, and remove what a killed run left there
    (its lock, the temporary files of writes it did not finish), with a note for each.

    A folder that cannot be created or written is a :class:`RunError` naming it.
    """
    result_path = Path(result_path)
    if result_path.exists() and not result_path.is_dir():
        raise RunError(f"--result_path {result_path} is a file, not a folder")
    lock = ResultPathLock(result_path)
    try:
        result_path.mkdir(parents=True, exist_ok=True)
        lock.acquire()
    except OSError as error:
        raise RunError(
            f"cannot write in --result_path {result_path}: {error.strerror or error}"
        ) from None
    if lock.taken_over is not None:
        print(
            f"note: --result_path {result_path} was locked by a run that is gone "
            f"({_describe(lock.taken_over)}, killed?); this run takes it over",
            file=sys.stderr,
        )
    for stale in stale_temporaries(result_path):
        stale.unlink(missing_ok=True)
        print(f"note: removed {stale}, left by a write that a killed run never finished",
              file=sys.stderr)  # fmt: skip
    return lock


def _read(descriptor: int) -> str:
    return os.pread(descriptor, 256, 0).decode(errors="replace").strip()


def _describe(holder: str) -> str:
    host, _, pid = holder.partition(" ")
    if not pid:
        return "its pid is not recorded yet"
    return f"pid {pid}" if host == socket.gethostname() else f"pid {pid} on {host}"
