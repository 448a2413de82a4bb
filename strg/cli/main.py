"""``python main.py`` / ``strg train``: parse the options, build the run's configuration, run it."""

from __future__ import annotations

from strg.cli.errors import user_error
from strg.cli.options import parse_options
from strg.errors import StrgError


def main(argv: list[str] | None = None) -> int:
    """Run main.py; bad options are usage errors, bad inputs an error line naming the problem."""
    args = parse_options(argv)
    # Imported here so that `main.py -h` and usage errors answer without loading torch.
    from strg.config import build_config
    from strg.engine.run import run

    try:
        return run(build_config(vars(args)))
    except (StrgError, FileNotFoundError) as error:
        return user_error(error)


if __name__ == "__main__":  # python -m strg.cli.MODULE
    raise SystemExit(main())
