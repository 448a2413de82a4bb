"""``python main.py`` / ``strg train``: parse the options and run them."""

from __future__ import annotations

import sys

from strg.cli.options import build_parser, parse_options


def main(argv: list[str] | None = None) -> int:
    """Run main.py; bad options are usage errors, bad inputs an error line naming the problem."""
    args = parse_options(argv)
    defaults = build_parser().parse_args([])
    # Imported here so that `main.py -h` and usage errors answer without loading torch.
    from strg.data.proposal_store import ProposalStoreError
    from strg.data.records import DataError
    from strg.engine.errors import RunError
    from strg.engine.run import run

    try:
        return run(args, defaults)
    except (RunError, DataError, ProposalStoreError, FileNotFoundError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
