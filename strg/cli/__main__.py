import sys

from strg.cli import main

sys.exit(main())
