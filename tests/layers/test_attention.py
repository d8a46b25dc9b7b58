"""Attention, AdditiveAttention and MultiHeadAttention against Keras: score modes,
scales, causal masks, attention scores as outputs, key inputs, variable numbers of steps,
and Keras masks on the query, the value and the key, as each Keras version applies them
(Keras 3 .keras / .h5 and tf-keras .h5; samples with a query or a value masked
entirely), plus Keras 3's MultiHeadAttention clearing its inputs' masks for the layers
after it.  The unmasked rows also check keras2java's numpy reference."""
from __future__ import annotations

import pytest

from support.battery import KerasBattery
from support.cases_graph import attention, mha
from support.cases_masked_layers import attention as masked_attention
from support.cases_masked_layers import (forms, mha_clears_masks, mha_clears_masks_of_the_same_tensor,
                                        mha_clears_masks_through_linear_activation)
from support.cases_masked_layers import prepare as prepare_masked
from support.keras_cases import Case, prepare

pytestmark = pytest.mark.keras

CASES = [
    Case("attention/dot", attention("Attention"), "keras"),
    Case("attention/dot_scale_causal", attention("Attention", causal=True, use_scale=True, q_steps=6), "keras"),
    Case("attention/concat_key_scores", attention("Attention", 3, scores=True, score_mode="concat", use_scale=True),
         "keras"),
    Case("attention/variable_steps", attention("Attention", q_steps=None, v_steps=None), "keras", steps=(1, 8)),
    Case("attention/additive", attention("AdditiveAttention"), "keras"),
    Case("attention/additive_no_scale_causal", attention("AdditiveAttention", causal=True, use_scale=False,
                                                         q_steps=6), "keras"),
    Case("attention/tf_h5_dot_key", attention("Attention", 3, use_scale=True), "tf_h5"),
    Case("attention/tf_h5_concat", attention("Attention", score_mode="concat"), "tf_h5"),
    Case("attention/tf_h5_additive_scores", attention("AdditiveAttention", scores=True), "tf_h5"),
    Case("mha/self_2heads", mha((6, 4), (6, 4), num_heads=2, key_dim=4), "keras"),
    Case("mha/cross_value_dim_output_shape", mha((4, 6), (5, 3), num_heads=2, key_dim=3, value_dim=4,
                                                 output_shape=5), "keras"),
    Case("mha/key_causal_scores", mha((5, 4), (5, 3), (5, 2), causal=True, scores=True, num_heads=3, key_dim=2),
         "keras"),
    Case("mha/variable_steps_no_bias", mha((None, 4), (None, 4), lstm=False, num_heads=2, key_dim=3, use_bias=False),
         "keras", steps=(1, 8)),
    # Keras 3 use_gate: the heads' outputs times sigmoid(query @ gate kernel + bias), before the output projection
    Case("mha/gate_cross_value_dim", mha((4, 6), (5, 3), num_heads=2, key_dim=3, value_dim=4, use_gate=True), "keras"),
    Case("mha/gate_key_causal_scores_h5", mha((5, 4), (5, 3), (5, 2), causal=True, scores=True, num_heads=3, key_dim=2,
                                              use_gate=True), "h5"),
    Case("mha/gate_variable_steps_no_bias", mha((None, 4), (None, 4), lstm=False, num_heads=2, key_dim=3,
                                                use_bias=False, use_gate=True), "keras", steps=(1, 8)),
]

MASKED = (
    forms("attention_query_mask", masked_attention("Attention", v_mask=False))
    + forms("attention_value_mask", masked_attention("Attention", q_mask=False))
    + forms("attention_both", masked_attention("Attention"), formats=("keras", "h5", "tf_h5"))
    + forms("attention_both_causal_scores", masked_attention("Attention", causal=True, scores=True, steps=(6, 6),
                                                      use_scale=True))
    + forms("attention_concat_key", masked_attention("Attention", k_mask=True, score_mode="concat"))
    + forms("attention_tokens", masked_attention("Attention", tokens=True), data="tokens_padded")
    + forms("attention_variable", masked_attention("Attention", steps=(None, None)), steps=(1, 8))
    + forms("additive_query_mask", masked_attention("AdditiveAttention", v_mask=False))
    + forms("additive_value_mask", masked_attention("AdditiveAttention", q_mask=False))
    + forms("additive_both_causal_scores", masked_attention("AdditiveAttention", causal=True, scores=True, steps=(6, 6)))
    + forms("mha_query_mask", masked_attention("MultiHeadAttention", v_mask=False))
    + forms("mha_value_mask", masked_attention("MultiHeadAttention", q_mask=False))
    + forms("mha_both", masked_attention("MultiHeadAttention"))
    + forms("mha_key_mask", masked_attention("MultiHeadAttention", q_mask=False, v_mask=False, k_mask=True))
    + forms("mha_all_masks_causal", masked_attention("MultiHeadAttention", k_mask=True, causal=True, steps=(6, 6)))
    + forms("mha_both_scores", masked_attention("MultiHeadAttention", scores=True))
    + forms("mha_variable", masked_attention("MultiHeadAttention", steps=(None, None)), steps=(1, 8))
    + forms("mha_dropout", masked_attention("MultiHeadAttention", dropout=0.25), formats=("keras",))
    + forms("mha_gate", masked_attention("MultiHeadAttention", use_gate=True), formats=("keras", "h5"))
    + forms("mha_robust_masking", masked_attention("MultiHeadAttention", softmax_robust_masking=True),
             formats=("tf_h5",))
    + forms("mha_clears_masks", mha_clears_masks(True), data="tokens_padded")
    + forms("mha_clears_masks_values", mha_clears_masks(False), formats=("keras", "h5"), data="tokens_padded")
    + forms("mha_clears_masks_of_the_same_tensor", mha_clears_masks_of_the_same_tensor, formats=("keras", "h5"),
            data="tokens_padded")
    + forms("mha_clears_masks_through_linear_activation", mha_clears_masks_through_linear_activation,
            formats=("keras", "h5"), data="tokens_padded")
)


# attention scores over variable numbers of query and value timesteps: (Tq, Tv), (heads, Tq, Tv)
VARIABLE_SCORES = [
    Case("attention/variable_steps_scores", attention("Attention", scores=True, q_steps=None, v_steps=None),
         "keras", steps=(1, 8), samples=4),
    Case("attention/variable_value_steps_scores", attention("AdditiveAttention", scores=True, v_steps=None),
         "keras", steps=(1, 8), samples=4),
    Case("attention/variable_steps_scores/resource", attention("Attention", scores=True, q_steps=None, v_steps=None,
                                                               use_scale=True), "keras", steps=(1, 8), samples=4,
         weights="resource"),
    Case("attention/tf_h5_variable_steps_scores", attention("AdditiveAttention", scores=True, q_steps=None,
                                                            v_steps=None), "tf_h5", steps=(1, 8), samples=4),
    Case("mha/variable_steps_scores", mha((None, 4), (None, 5), scores=True, lstm=False, num_heads=2, key_dim=3),
         "keras", steps=(1, 8), samples=4),
    Case("mha/variable_value_steps_causal_scores", mha((4, 4), (None, 4), causal=True, scores=True, num_heads=2,
                                                       key_dim=2), "keras", steps=(4, 8), samples=4),
    Case("mha/tf_h5_variable_steps_scores", mha((None, 4), (None, 5), scores=True, lstm=False, num_heads=2,
                                                key_dim=3), "tf_h5", steps=(1, 8), samples=4),
]

battery = KerasBattery([(prepare, CASES, True), (prepare_masked, MASKED), (prepare, VARIABLE_SCORES, True)],
                       seed=3100, package="k2jtest.attention", workdir="attention")
prepared, batch, test_matches_keras = battery.tests()
test_reference_matches_keras = battery.test_reference_matches_keras()
