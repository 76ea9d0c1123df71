"""SL4: sequence scoring."""

from scorelint.rules.sequences import (  # noqa: F401  (importing registers the rules)
    sl401_unshifted_causal_targets,
    sl402_unmasked_padding_in_sum,
    sl403_length_biased_comparison,
    sl404_logits_as_log_probs,
    sl405_mismatched_sequence_length,
)
