"""scorelint: finds, explains and fixes numerical scoring bugs in Python ML code."""

import os
import sys

# `python -m scorelint` puts the working directory first on sys.path, and linting is
# done inside checkouts: a project's own numpy.py or difflib.py would be imported in
# place of the real one and run. The package is imported before `__main__`, while
# sys.argv[0] is still "-m" (runpy's documented placeholder), so the entry goes here,
# before anything is imported (os and sys are loaded at interpreter start).
if sys.argv[:1] == ["-m"] and sys.path and not getattr(sys.flags, "safe_path", False):
    try:
        if sys.path[0] in ("", os.getcwd()):
            del sys.path[0]
    except OSError:  # the working directory is gone: nothing can be imported from it
        pass

from scorelint.version import __version__  # noqa: F401  (`scorelint.__version__`, as users read it)


def __getattr__(name: str) -> object:
    """`scorelint.check_source` and `scorelint.CheckResult`, imported on first use so that
    `import scorelint` (and `scorelint --version`) stays cheap."""
    if name in ("check_source", "CheckResult"):
        from scorelint.frontends import api

        return getattr(api, name)
    raise AttributeError(f"module 'scorelint' has no attribute {name!r}")
