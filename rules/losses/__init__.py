"""SL3: losses fed the wrong thing."""

from scorelint.rules.losses import (  # noqa: F401  (importing registers the rules)
    sl301_softmax_into_cross_entropy,
    sl302_nll_on_probabilities,
    sl303_bce_on_sigmoid,
)
