"""SL1: from scores to probabilities."""

from scorelint.rules.probabilities import (  # noqa: F401  (importing registers the rules)
    sl101_logits_divided_by_sum,
    sl102_softmax_without_max_subtraction,
    sl103_softmax_axis_unspecified,
    sl104_temperature_after_softmax,
    sl105_softmax_over_wrong_axis,
)
