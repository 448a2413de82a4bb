"""How the running command was invoked, for the ``usage:`` line of its help and errors.

One command is reachable three ways: ``strg NAME``, ``python -m util_scripts.NAME`` (the
3D-ResNets-PyTorch form) and ``python -m strg.cli.MODULE``. Its ``-h`` shows the form the user
typed, so that a line copied from the help runs.
"""

from __future__ import annotations

import sys
from pathlib import Path

#: The ``strg`` sub-command being run, set by the dispatcher (:func:`strg.cli.main`).
_dispatched: str | None = None


def set_dispatched(command: str) -> None:
    """Record that ``strg COMMAND`` is running (called by the dispatcher only)."""
    global _dispatched
    _dispatched = command


def prog(name: str, shim: str | None = None) -> str:
    """The ``prog`` of command ``name``: ``strg NAME`` under the dispatcher, ``python -m
    strg.cli.MODULE`` when run so, else ``shim`` (default ``python -m util_scripts.NAME``)."""
    if _dispatched is not None:
        return f"strg {_dispatched}"
    script = Path(sys.argv[0]) if sys.argv and sys.argv[0] else Path()
    if script.parent.name == "cli" and script.parent.parent.name == "strg":
        return f"python -m strg.cli.{script.stem}"
    return shim or f"python -m util_scripts.{name}"
