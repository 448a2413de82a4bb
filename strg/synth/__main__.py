import sys

from strg.cli.synth import main

sys.exit(main())
