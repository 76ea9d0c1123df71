"""scorelint's version, in a module of its own: the modules that print or key on it
need not import the package's public face (`scorelint.check_source`), which sits
above them."""

__version__ = "0.2.0"
