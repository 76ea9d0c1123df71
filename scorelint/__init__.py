"""scorelint: finds, explains and fixes numerical scoring bugs in Python ML code."""

from scorelint.version import __version__  # noqa: F401  (`scorelint.__version__`, as users read it)


def __getattr__(name: str) -> object:
    """`scorelint.check_source` and `scorelint.CheckResult`, imported on first use so that
    `import scorelint` (and `scorelint --version`) stays cheap."""
    if name in ("check_source", "CheckResult"):
        from scorelint import api

        return getattr(api, name)
    raise AttributeError(f"module 'scorelint' has no attribute {name!r}")
