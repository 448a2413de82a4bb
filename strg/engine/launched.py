"""The started process's side of :mod:`strg.engine.launch`: report a user error to the launcher,
follow the launcher's end.

This module imports nothing heavy, so that a started process follows its launcher (and takes
Ctrl-C quietly) before it spends seconds importing torch.
"""

from __future__ import annotations

import ctypes
import os
import signal
import sys
from pathlib import Path

from strg.atomic import write_text_atomic

#: Where a started process leaves its user error (a directory of this launch).
ERRORS_VARIABLE = "STRG_LAUNCH_ERRORS"
#: The process id of the launching process, for a started process to follow it.
PARENT_VARIABLE = "STRG_LAUNCH_PARENT"
#: Linux prctl(2): the signal a process gets when its parent ends.
_PR_SET_PDEATHSIG = 1


def report_to_launcher(message: str) -> bool:
    """In a process started by :func:`~strg.engine.launch.start_processes`: leave ``message``
    for the launcher to print and return True. Elsewhere False (the caller prints it)."""
    directory = os.environ.get(ERRORS_VARIABLE)
    if directory is None:
        return False
    rank = int(os.environ.get("RANK", "0"))
    write_text_atomic(Path(directory) / f"rank-{rank:05d}.txt", message)
    return True


def follow_launcher() -> None:
    """In a process started by :func:`~strg.engine.launch.start_processes`: end without a
    traceback when the launcher passes on its Ctrl-C, and end when the launcher ends, even when
    it is killed outright (SIGKILL leaves it no time to stop us). Elsewhere nothing."""
    parent = os.environ.get(PARENT_VARIABLE)
    if parent is None:
        return
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    if not sys.platform.startswith("linux"):
        return
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(_PR_SET_PDEATHSIG, int(signal.SIGTERM), 0, 0, 0)
    if os.getppid() != int(parent):  # the launcher ended before the signal was set
        os._exit(128 + int(signal.SIGTERM))
