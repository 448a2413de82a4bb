"""A resumed run takes the architecture its checkpoint records, so no flag has to be retyped.

``main.py --resume_path save_N.pth`` (training on, or ``--no_train --inference``) builds the model
the checkpoint was trained as: every architecture flag the command line leaves out is taken from
the checkpoint's stored configuration (or, for a published 3D-ResNets checkpoint that has only
``arch``, ``--model`` and ``--model_depth`` from it); a flag that is given and says otherwise is an
error naming the flag, both values and the file. This module decides that from plain dicts; the
command line reads the checkpoint and says which flags were given.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import fields
from pathlib import Path
from typing import Any

from strg.config import ConfigError, ModelSpec
from strg.models.names import MODELS

#: Flags that fix the network's shape or behaviour: every ModelSpec field, and the input channels.
ARCHITECTURE_FLAGS: tuple[str, ...] = (*(f.name for f in fields(ModelSpec)), "input_type")


def recorded_architecture(checkpoint: Mapping[str, Any]) -> dict[str, Any]:
    """The architecture flags ``checkpoint`` records: from its ``config`` (main.py's options),
    else ``--model``/``--model_depth`` from its ``arch`` (``"resnet-50"``); empty for a bare
    state dict."""
    stored = checkpoint.get("config")
    if isinstance(stored, Mapping) and "model" in stored:
        return {flag: stored[flag] for flag in ARCHITECTURE_FLAGS if flag in stored}
    model, _, depth = str(checkpoint.get("arch", "")).rpartition("-")
    if model in MODELS and depth.isdigit():
        return {"model": model, "model_depth": int(depth)}
    return {}


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, list | tuple) and isinstance(b, list | tuple):
        return list(a) == list(b)
    return a == b


def _words(flag: str, value: Any) -> str:
    if value is True:
        return f"--{flag}"
    if value is False:
        return f"without --{flag}"
    if isinstance(value, list | tuple):
        return f"--{flag} {' '.join(map(str, value))}"
    return f"--{flag} {value}"


def adopt_recorded_architecture(
    options: Mapping[str, Any],
    given: Iterable[str],
    recorded: Mapping[str, Any],
    source: Path,
    defaults: Mapping[str, Any],
) -> tuple[dict[str, Any], list[str]]:
    """``options`` (flag → value) with each architecture flag not in ``given`` set to its
    ``recorded`` value. Returns the options and the adopted flags that differ from ``defaults``,
    as command-line words (for a note). A given flag whose value differs from the recorded one
    raises :class:`ConfigError` naming both and ``source``.

    ``--strg`` is compared as "is the head on" (``--model i3d_strg`` records ``strg`` true).
    """
    given = set(given)
    adopted = dict(options)
    contradictions, implied = [], []
    for flag, value in recorded.items():
        if flag in given:
            mine = options[flag]
            if flag == "strg":
                mine = mine or MODELS.get(str(options.get("model")), ("", False))[1]
            if not _same(mine, value):
                contradictions.append(
                    f"{_words(flag, mine)} contradicts {source}, trained with {_words(flag, value)}"
                )
            continue
        adopted[flag] = list(value) if isinstance(value, tuple) else value
        if not _same(value, defaults.get(flag)):
            implied.append(_words(flag, value))
    if contradictions:
        raise ConfigError(
            "; ".join(contradictions) + " (leave the flag out to use the checkpoint's value)"
        )
    return adopted, implied
