"""Writing files so that a crash or an error never leaves a half-written file behind.

Every writer puts its bytes into a temporary file in the destination's directory, then renames it
over the destination (``os.replace`` is atomic on POSIX within one file system).
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

# mkstemp creates files readable by the owner only; finished files get the usual umask instead.
_UMASK = os.umask(0)
os.umask(_UMASK)


@contextmanager
def atomic_path(destination: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temporary path beside ``destination``; rename it over ``destination`` on success.

    On an exception the temporary file is removed and ``destination`` is left untouched.
    """
    destination = Path(destination)
    handle, temporary_name = tempfile.mkstemp(
        dir=destination.parent, prefix=f".{destination.name}.", suffix=".tmp"
    )
    os.close(handle)
    temporary = Path(temporary_name)
    os.chmod(temporary, 0o666 & ~_UMASK)
    try:
        yield temporary
        os.replace(temporary, destination)
    finally:
        temporary.unlink(missing_ok=True)


def write_text_atomic(destination: str | os.PathLike[str], text: str) -> None:
    """Write ``text`` (UTF-8) to ``destination`` atomically."""
    with atomic_path(destination) as temporary:
        temporary.write_text(text, encoding="utf-8")


def write_json_atomic(
    destination: str | os.PathLike[str], data: Any, indent: int | None = None
) -> None:
    """Write ``data`` as JSON to ``destination`` atomically."""
    write_text_atomic(destination, json.dumps(data, indent=indent, ensure_ascii=False) + "\n")
