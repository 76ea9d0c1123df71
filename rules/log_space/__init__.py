"""SL2: log space."""

from scorelint.rules.log_space import (  # noqa: F401  (importing registers the rules)
    sl201_log_of_product,
    sl202_probability_space_sequence_score,
    sl203_log_of_softmax,
    sl204_logsumexp_by_hand,
    sl205_log_of_sigmoid,
    sl206_softplus_by_hand,
    sl207_log_of_one_minus,
    sl208_log_of_floored_softmax,
)
