import sys

from strg.cli import dispatch

sys.exit(dispatch())
