"""The error a run stops with when an option or an input is wrong (not a bug of ours)."""

from strg.errors import StrgError


class RunError(StrgError, ValueError):
    """An option or input of the run is wrong; the message names it."""
