"""scorelint's rules: a package per family (see RULES.md), a module per rule; importing registers them."""

from scorelint.rules import log_space, losses, probabilities, sequences  # noqa: F401
