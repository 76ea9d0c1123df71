"""SL4: sequence scoring."""

from scorelint.rules.sequences import (  # noqa: F401  (importing registers the rules)
    sl401_unshifted_causal_targets,
)
