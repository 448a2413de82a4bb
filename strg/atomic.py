"""Writing files so that a crash or an error never leaves a half-written file behind.

Every writer puts its bytes into a temporary file in the destination's directory, then renames it
over the destination (``os.replace`` is atomic on POSIX within one file system).
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from strg.errors import StrgError

#: The name of a temporary file of :func:`atomic_path`: ``.<destination name>.<mkstemp's 8>.tmp``.
_TEMPORARY = re.compile(r"\..+\.[a-z0-9_]{8}\.tmp")


class WriteError(StrgError, OSError):
    """A file could not be written (disk full, no permission); the message names it."""


# mkstemp creates files readable by the owner only; finished files get the usual umask instead.
_UMASK = os.umask(0)
os.umask(_UMASK)


@contextmanager
def atomic_path(destination: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temporary path beside ``destination``; rename it over ``destination`` on success.

    On an exception the temporary file is removed and ``destination`` is left untouched.
    """
    destination = Path(destination)
    try:
        handle, temporary_name = tempfile.mkstemp(
            dir=destination.parent, prefix=f".{destination.name}.", suffix=".tmp"
        )
    except OSError as error:
        raise WriteError(f"cannot write {destination}: {error.strerror or error}") from error
    os.close(handle)
    temporary = Path(temporary_name)
    os.chmod(temporary, 0o666 & ~_UMASK)
    try:
        yield temporary
        os.replace(temporary, destination)
    except OSError as error:
        if isinstance(error, StrgError):
            raise
        # a full disk, a quota, a folder made read-only under us: the old file is untouched
        raise WriteError(
            f"could not write {destination}: {error.strerror or error} (nothing was replaced)"
        ) from error
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


def stale_temporaries(directory: str | os.PathLike[str]) -> list[Path]:
    """The temporary files :func:`atomic_path` left in ``directory`` when its process was killed
    mid-write (``kill -9``, power loss), sorted; only safe to delete while no writer is alive."""
    return sorted(
        path
        for path in Path(directory).iterdir()
        if _TEMPORARY.fullmatch(path.name) and path.is_file()
    )
