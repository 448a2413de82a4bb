"""``python main.py`` / ``strg train``: parse the options, build the run's configuration, run it,
in this process or in one process per GPU (:mod:`strg.engine.launch`)."""

from __future__ import annotations

import sys

from strg.cli.errors import USER_ERROR, user_error
from strg.cli.options import parse_options
from strg.engine.launched import follow_launcher, report_to_launcher
from strg.errors import StrgError

#: The module each started process runs: this one, as torchrun would start it.
PROCESS_MODULE = "strg.cli.main"


def main(argv: list[str] | None = None) -> int:
    """Run main.py; bad options are usage errors, bad inputs an error line naming the problem."""
    follow_launcher()  # first: a started process takes its launcher's Ctrl-C quietly
    argv = sys.argv[1:] if argv is None else list(argv)
    args = parse_options(argv)
    # Imported here so that `main.py -h` and usage errors answer without loading torch.
    from strg.config import build_config
    from strg.engine.launch import processes_to_start, start_processes

    try:
        config = build_config(vars(args))
        processes = processes_to_start(config.distribution, config.control.no_cuda)
        if processes > 1:
            return start_processes(["-m", PROCESS_MODULE, *argv, "--distributed"], processes)
        from strg.engine.run import run  # the launcher alone does not need the models

        return run(config)
    except (StrgError, FileNotFoundError) as error:
        if report_to_launcher(str(error)):  # the launcher prints one line for all processes
            return USER_ERROR
        return user_error(error)


if __name__ == "__main__":
    sys.exit(main())
