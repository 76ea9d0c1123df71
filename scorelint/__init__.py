"""scorelint: finds, explains and fixes numerical scoring bugs in Python ML code."""

__version__ = "0.1.0"


def __getattr__(name: str) -> object:
    """`scorelint.check_source` and `scorelint.CheckResult`, imported on first use so that
    `import scorelint` (and `scorelint --version`) stays cheap."""
    if name in ("check_source", "CheckResult"):
        from scorelint import api

        return getattr(api, name)
    raise AttributeError(f"module 'scorelint' has no attribute {name!r}")
