"""Shim for `python -m util_scripts.generate_video_hdf5`
and `python util_scripts/generate_video_hdf5.py` (the command is strg.cli.generate_video_hdf5).
"""

import sys
from pathlib import Path

if __package__ in (None, ""):  # run as a file: make the repository importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from strg.cli.generate_video_hdf5 import main

if __name__ == "__main__":
    sys.exit(main())
