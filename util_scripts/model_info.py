"""Print a model's parameters, FLOPs per view and the feature shape after each stage.

Usage: ``python -m util_scripts.model_info --model i3d --model_depth 50 [--strg]
[--sample_duration 32] [--sample_size 224]`` (also ``python util_scripts/model_info.py ...``).
"""

import sys
from pathlib import Path

if __package__ in (None, ""):  # run as `python util_scripts/model_info.py`
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from strg.cli.model_info import main

if __name__ == "__main__":
    sys.exit(main())
