"""`python -m scorelint` runs the command line.

The working directory that `-m` puts first on sys.path is taken off again by
the package (`scorelint/__init__.py`) before anything else is imported, so a
checkout's own numpy.py, difflib.py or argparse.py is never imported. What
Python itself imports before the package (runpy, and a `scorelint.py` or
`scorelint/` in the working directory, which would be the package) cannot be
guarded from here: in a checkout you do not trust, run the `scorelint` console
script, or `python -P -m scorelint` (PYTHONSAFEPATH=1) on Python 3.11+.
"""

import sys

from scorelint.frontends.cli import main

sys.exit(main())
