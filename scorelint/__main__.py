"""`python -m scorelint` runs the command line."""

import sys

from scorelint.cli import main

sys.exit(main())
