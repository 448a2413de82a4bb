"""Shim for `python -m util_scripts.extract_proposals`
and `python util_scripts/extract_proposals.py` (the command is strg.cli.extract_proposals).
"""

import sys
from pathlib import Path

if __package__ in (None, ""):  # run as a file: make the repository importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from strg.cli.extract_proposals import main

if __name__ == "__main__":
    sys.exit(main())
