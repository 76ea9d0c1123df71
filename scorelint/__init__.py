"""scorelint: finds, explains and fixes numerical scoring bugs in Python ML code."""

__version__ = "0.1.0"
