"""``python main.py`` / ``strg train``: parse the options, build the run's configuration, run it,
in this process or in one process per GPU (:mod:`strg.engine.launch`)."""

from __future__ import annotations

import sys
from typing import Any

from strg.cli.errors import USER_ERROR, user_error
from strg.cli.options import build_parser, check_options, given_flags
from strg.engine.launched import follow_launcher, report_to_launcher
from strg.errors import StrgError

#: The module each started process runs: this one, as torchrun would start it.
PROCESS_MODULE = "strg.cli.main"


def _with_recorded_architecture(options: dict[str, Any], argv: list[str]) -> dict[str, Any]:
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


def _error(error: Exception) -> int:
    if report_to_launcher(str(error)):  # the launcher prints one line for all processes
        return USER_ERROR
    return user_error(error)


def main(argv: list[str] | None = None) -> int:
    """Run main.py; bad options are usage errors, bad inputs an error line naming the problem."""
    follow_launcher()  # first: a started process takes its launcher's Ctrl-C quietly
    argv = sys.argv[1:] if argv is None else list(argv)
    parser = build_parser()
    options = vars(parser.parse_args(argv))
    try:
        # Before the checks: whether --strg is on, say, may come from the checkpoint.
        options = _with_recorded_architecture(options, argv)
    except (StrgError, FileNotFoundError) as error:
        return _error(error)
    errors = check_options(options)
    if errors:
        parser.error("; ".join(errors))
    # Imported here so that `main.py -h` and usage errors answer without loading torch.
    from strg.config import build_config
    from strg.engine.launch import processes_to_start, start_processes

    try:
        config = build_config(options)
        processes = processes_to_start(config.distribution, config.control.no_cuda)
        if processes > 1:
            return start_processes(["-m", PROCESS_MODULE, *argv, "--distributed"], processes)
        from strg.engine.run import run  # the launcher alone does not need the models

        return run(config)
    except (StrgError, FileNotFoundError) as error:
        return _error(error)


if __name__ == "__main__":  # python -m strg.cli.MODULE
    raise SystemExit(main())
