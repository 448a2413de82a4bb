"""``python main.py`` / ``strg train``: parse the options, build the run's configuration, run it."""

from __future__ import annotations

from typing import Any

from strg.cli.errors import user_error
from strg.cli.options import build_parser, check_options, given_flags
from strg.errors import StrgError


def _with_recorded_architecture(options: dict[str, Any], argv: list[str] | None) -> dict[str, Any]:
    """``options`` with the architecture flags a resumed checkpoint records filled in
    (:mod:`strg.config_recorded`); a note names the flags taken from it."""
    from strg.config import option_defaults, resolve_paths

    path = resolve_paths(options).resume_path
    if path is None:
        return options
    from strg.config_recorded import adopt_recorded_architecture, recorded_architecture
    from strg.models.state_dict import read_checkpoint

    recorded = recorded_architecture(read_checkpoint(path))
    options, implied = adopt_recorded_architecture(
        options, given_flags(argv), recorded, path, option_defaults()
    )
    if implied:
        print(f"[resume] architecture of {path}: {' '.join(implied)}")
    return options


def main(argv: list[str] | None = None) -> int:
    """Run main.py; bad options are usage errors, bad inputs an error line naming the problem."""
    parser = build_parser()
    options = vars(parser.parse_args(argv))
    try:
        # Before the checks: whether --strg is on, say, may come from the checkpoint.
        options = _with_recorded_architecture(options, argv)
    except (StrgError, FileNotFoundError) as error:
        return user_error(error)
    errors = check_options(options)
    if errors:
        parser.error("; ".join(errors))
    # Imported here so that `main.py -h` and usage errors answer without loading torch.
    from strg.config import build_config
    from strg.engine.run import run

    try:
        return run(build_config(options))
    except (StrgError, FileNotFoundError) as error:
        return user_error(error)


if __name__ == "__main__":  # python -m strg.cli.MODULE
    raise SystemExit(main())
