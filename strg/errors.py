"""The root of every error a user can cause: a wrong option, a missing file, a malformed input.

Each command turns a :class:`StrgError` into one line on stderr and exit status 2
(:func:`strg.cli.exit.report`); anything else is a bug of ours and keeps its traceback. The
subclasses keep the builtin base they had (``ValueError``, ``RuntimeError``) so that code catching
those still works.
"""


class StrgError(Exception):
    """A user-facing error; the message names the flag, file, video or box at fault."""
