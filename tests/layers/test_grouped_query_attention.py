"""Keras 3 GroupQueryAttention (GroupedQueryAttention) against Keras: query and
key/value head counts (grouped, one key/value head, as many as query heads), with and
without bias, an optional key input, causal masks, attention scores as an output, the sigmoid gate (`use_gate`),
dropout (an identity at inference) and Keras masks on the query, the value and the
key (samples with a query or a value masked entirely), which, unlike MultiHeadAttention's, stay
on the tensors after the layer runs.  The unmasked rows also check keras2java's numpy reference."""
from __future__ import annotations

import pytest

from support.battery import KerasBattery
from support.cases_masked_layers import forms
from support.cases_masked_layers import prepare as prepare_masked
from support.keras_cases import Case, prepare

pytestmark = pytest.mark.keras


#: the Python class behind keras.layers.GroupQueryAttention: .h5 configs record it as the class
#: name (.keras configs the exported "GroupQueryAttention"), so the h5 rows convert it under that name
H5_CLASS = "GroupedQueryAttention"


def gqa_layer(k, **kw):
    layer = k.layers.GroupQueryAttention(**kw)
    if type(layer).__name__ != H5_CLASS:
        raise TypeError(f"keras.layers.GroupQueryAttention is {type(layer).__name__}, not {H5_CLASS}")
    return layer


def gqa(q_shape, v_shape, k_shape=None, causal=False, scores=False, **kw):
    """GroupQueryAttention on an LSTM query sequence (self- or cross-attention)."""
    def build(k):
        q_in, v_in = k.Input(q_shape), k.Input(v_shape)
        q = k.layers.LSTM(q_shape[-1], return_sequences=True)(q_in)
        args = [q, v_in] + ([k.layers.Dense(k_shape[-1])(v_in)] if k_shape else [])
        out = gqa_layer(k, **kw)(*args, use_causal_mask=causal, return_attention_scores=scores)
        outs = list(out) if scores else [out]
        return k.Model([q_in, v_in], [k.layers.GlobalAveragePooling1D()(outs[0])] + outs[1:])
    return build


def masked(k_mask=False, causal=False, scores=False, steps=(5, 6), **kw):
    """Masked query and value (and key) sequences projected by Dense, so masked steps carry values."""
    def build(k):
        tq, tv = steps
        q_in, v_in = k.Input((tq, 4), name="query"), k.Input((tv, 3), name="value")
        q = k.layers.Dense(4)(k.layers.Masking(0.0)(q_in))
        v = k.layers.Dense(4)(k.layers.Masking(0.0)(v_in))
        ins, args = [q_in, v_in], [q, v]
        if k_mask:
            k_in = k.Input((tv, 2), name="key")
            args.append(k.layers.Dense(3)(k.layers.Masking(0.0)(k_in)))
            ins.append(k_in)
        layer = gqa_layer(k, head_dim=3, num_query_heads=4, num_key_value_heads=2, **kw)
        out = layer(*args, use_causal_mask=causal, return_attention_scores=scores)
        outs = list(out) if scores else [out]
        outs.append(k.layers.LSTM(3)(outs[0]))
        return k.Model(ins, outs)
    return build


def keeps_masks(k):
    """Keras 3's GroupedQueryAttention.call, unlike MultiHeadAttention's, leaves the Keras masks of
    its query, value and key tensors alone, so the layers that run after it (a second attention
    with the same query, an LSTM) still see them, up to a MultiHeadAttention that clears them."""
    L = k.layers
    q_in = k.Input((6, 3), name="query")
    q = L.Dense(4)(L.Masking(0.0)(q_in))
    first = gqa_layer(k, head_dim=2, num_query_heads=2, num_key_value_heads=1)(q, q)   # deepest: runs first
    second = gqa_layer(k, head_dim=2, num_query_heads=4, num_key_value_heads=2)(q, first)
    mha = L.MultiHeadAttention(1, 2)(q, L.Dense(4)(second))       # after the GQAs: sees q's mask, clears it
    return k.Model(q_in, [second, L.LSTM(3)(q), mha])


CASES = [
    Case("self_grouped", gqa((6, 4), (6, 4), head_dim=3, num_query_heads=4, num_key_value_heads=2), "keras"),
    Case("self_one_kv_head", gqa((6, 4), (6, 4), head_dim=2, num_query_heads=3, num_key_value_heads=1), "keras"),
    Case("self_as_many_kv_heads", gqa((5, 4), (5, 4), head_dim=2, num_query_heads=2, num_key_value_heads=2), "keras"),
    Case("cross_key_causal", gqa((5, 4), (5, 4), (5, 3), causal=True, head_dim=3, num_query_heads=4,
                                 num_key_value_heads=2), "keras"),
    Case("cross_no_bias", gqa((4, 6), (7, 6), head_dim=2, num_query_heads=6, num_key_value_heads=3, use_bias=False),
         "keras"),
    Case("scores", gqa((5, 4), (6, 4), scores=True, head_dim=3, num_query_heads=4, num_key_value_heads=2), "keras"),
    Case("dropout", gqa((5, 4), (6, 4), head_dim=3, num_query_heads=4, num_key_value_heads=2, dropout=0.3), "keras"),
    Case("h5", gqa((6, 4), (6, 4), causal=True, head_dim=3, num_query_heads=4, num_key_value_heads=2), "h5"),
    # use_gate: the heads' outputs times sigmoid(query @ gate kernel + bias), before the output projection
    Case("gate", gqa((6, 4), (6, 4), head_dim=3, num_query_heads=4, num_key_value_heads=2, use_gate=True), "keras"),
    Case("gate_cross_key_causal_scores", gqa((5, 4), (7, 4), (7, 3), causal=True, scores=True, head_dim=2,
                                             num_query_heads=2, num_key_value_heads=1, use_gate=True), "keras"),
    Case("gate_no_bias", gqa((4, 6), (5, 6), head_dim=2, num_query_heads=6, num_key_value_heads=3, use_bias=False,
                             use_gate=True), "keras"),
    Case("gate_h5", gqa((6, 4), (6, 4), head_dim=3, num_query_heads=4, num_key_value_heads=2, use_gate=True), "h5"),
]

MASKED = (
    forms("masked_both", masked(), formats=("keras", "h5"))
    + forms("masked_key_causal", masked(k_mask=True, causal=True, steps=(6, 6)), formats=("keras",))
    + forms("masked_scores", masked(scores=True), formats=("keras",))
    + forms("masked_dropout", masked(dropout=0.25), formats=("keras",))
    + forms("masked_gate", masked(use_gate=True), formats=("keras", "h5"))
    + forms("keeps_input_masks", keeps_masks, formats=("keras", "h5"))
)

# the scores (heads, Tq, Tv) over variable numbers of query and value timesteps
VARIABLE_SCORES = [
    Case("variable_steps_scores", gqa((None, 4), (None, 4), scores=True, head_dim=3, num_query_heads=4,
                                      num_key_value_heads=2), "keras", steps=(1, 8), samples=4),
    Case("variable_steps_causal_scores/resource", gqa((None, 4), (None, 4), causal=True, scores=True, head_dim=2,
                                                      num_query_heads=2, num_key_value_heads=1),
         "keras", steps=(1, 8), samples=4, weights="resource"),
]

battery = KerasBattery([(prepare, CASES, True), (prepare_masked, MASKED), (prepare, VARIABLE_SCORES, True)], seed=8900,
                       package="k2jtest.grouped_query_attention", workdir="grouped_query_attention")
prepared, batch, test_matches_keras = battery.tests()
test_reference_matches_keras = battery.test_reference_matches_keras()


@pytest.mark.parametrize("options,why", [({"sliding_window": 2}, "sliding_window")])
def test_sliding_window_attention_is_refused(tmp_path, options, why):
    """Options the MultiHeadAttention kernel has no counterpart for are refused by layer name, nothing written."""
    from keras2java import UnsupportedModelError, convert
    from support.keras_cases import keras

    k = keras()
    q = k.Input((5, 4))
    layer = k.layers.GroupQueryAttention(head_dim=2, num_query_heads=2, num_key_value_heads=1, name="gqa", **options)
    k.Model(q, layer(q, q)).save(tmp_path / "m.keras")
    with pytest.raises(UnsupportedModelError) as err:
        convert(str(tmp_path / "m.keras"), str(tmp_path / "out"), package="p", class_name="M")
    assert "'gqa'" in str(err.value) and why in str(err.value)
    assert not (tmp_path / "out").exists()
