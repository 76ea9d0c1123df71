"""scorelint's rules, one module per family (see RULES.md); importing registers them."""

from scorelint.rules import log_space, losses, probabilities  # noqa: F401
