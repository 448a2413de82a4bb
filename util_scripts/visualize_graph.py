"""Shim for `python -m util_scripts.visualize_graph` and `python util_scripts/visualize_graph.py`
(the command lives in strg.cli.visualize_graph)."""

import sys
from pathlib import Path

if __package__ in (None, ""):  # run as a file: make the repository importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from strg.cli.visualize_graph import main

if __name__ == "__main__":
    sys.exit(main())
