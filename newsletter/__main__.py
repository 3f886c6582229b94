"""`python -m newsletter ...`: the operators' command line."""

import sys

from newsletter.cli import main

sys.exit(main())
