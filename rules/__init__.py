"""scorelint's rules, one module per family (see RULES.md); importing registers them."""

from scorelint.rules import log_space, probabilities  # noqa: F401
