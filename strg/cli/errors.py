"""The one exit path of a user error: a line ``error: <message>`` on stderr, exit status 2."""

from __future__ import annotations

import sys

#: The exit status of every command whose input or options are wrong.
USER_ERROR = 2


def user_error(error: BaseException) -> int:
    """Print ``error`` as one line on stderr and return :data:`USER_ERROR`."""
    print(f"error: {error}", file=sys.stderr)
    return USER_ERROR
