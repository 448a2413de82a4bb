"""Train, validate and run inference: ``python main.py --root_path ... --dataset ... --model ...``.

A thin shim: parse the options (strg.cli.options), then hand them to strg.engine.run.
"""

import sys

from strg.cli.main import main

if __name__ == "__main__":
    sys.exit(main())
