"""Functional graphs: several inputs and outputs, merges, shared layers, nested
models, attention (test_graph_keras, test_reference): the case table and its
builders."""
from __future__ import annotations

from support.keras_cases import Case


def two_input_two_output(k):
    seq = k.Input((7, 11), name="frames")
    side = k.Input((4,), name="side")
    h = k.layers.LSTM(8, name="encoder")(seq)
    s = k.layers.Dense(6, activation="relu", name="side_dense")(side)
    z = k.layers.Concatenate(name="merged")([h, s])
    probs = k.layers.Dense(3, activation="softmax", name="activity")(z)
    score = k.layers.Dense(1, activation="sigmoid", name="score")(h)
    return k.Model([seq, side], [probs, score])


def shared_layer(k):
    a = k.Input((5, 3), name="left")
    b = k.Input((5, 3), name="right")
    enc = k.layers.LSTM(4, name="shared_lstm")
    d = k.layers.Subtract()([enc(a), enc(b)])
    return k.Model([a, b], k.layers.Dense(2)(d))


def merge(mode):
    def build(k):
        a = k.Input((6,))
        b = k.Input((6,))
        c = k.Input((6,))
        layer = getattr(k.layers, mode)()
        ins = [a, b] if mode == "Subtract" else [a, b, c]
        x = layer([k.layers.Dense(5)(i) for i in ins])
        return k.Model(ins, k.layers.Dense(2)(x))
    return build


def concat_axis(axis):
    def build(k):
        a = k.Input((4, 3))
        b = k.Input((4, 3) if axis == 1 else (4, 2))
        if axis == 1:
            b = k.Input((2, 3))
        x = k.layers.Concatenate(axis=axis)([k.layers.Dense(3)(a), k.layers.Dense(3)(b) if axis == 1 else b])
        return k.Model([a, b], k.layers.LSTM(3)(x))
    return build


def branches_variable_time(k):
    x = k.Input((None, 3))
    h = k.layers.LSTM(5, return_sequences=True)(x)
    g = k.layers.Dense(5, activation="tanh")(x)
    y = k.layers.Add()([h, g])
    side = k.Input((2,))
    z = k.layers.Concatenate()([k.layers.LSTM(4)(y), side])
    return k.Model([x, side], k.layers.Dense(3)(z))


def dot(shape_a, shape_b, axes, normalize=False):
    def build(k):
        a, b = k.Input(shape_a), k.Input(shape_b)
        d = k.layers.Dot(axes=axes, normalize=normalize)([k.layers.Dense(shape_a[-1])(a), b])
        if len(d.shape) > 2:
            d = k.layers.Flatten()(d)
        return k.Model([a, b], k.layers.Dense(2)(d))
    return build


def nested_sequential(k):
    inner = k.Sequential([k.Input((6, 3)), k.layers.LSTM(5, return_sequences=True), k.layers.Dense(4, activation="tanh")],
                         name="inner_seq")
    x = k.Input((6, 3), name="frames")
    return k.Model(x, k.layers.Dense(2, activation="softmax")(k.layers.LSTM(3)(inner(x))))


def nested_functional_twice(k):
    a = k.Input((5, 3))
    b = k.Input((4,))
    h = k.layers.Concatenate()([k.layers.GRU(4)(a), k.layers.Dense(3)(b)])
    encoder = k.Model([a, b], k.layers.Dense(4, activation="relu")(h), name="encoder")
    x1, x2, s = k.Input((5, 3)), k.Input((5, 3)), k.Input((4,))
    d = k.layers.Subtract()([encoder([x1, s]), encoder([x2, s])])
    return k.Model([x1, x2, s], [k.layers.Dense(2)(d), encoder([x2, s])])


def nested_two_levels(k):
    innermost = k.Sequential([k.Input((4,)), k.layers.Dense(3, activation="relu")], name="innermost")
    mid_in = k.Input((4,))
    mid = k.Model(mid_in, k.layers.Dense(2)(innermost(mid_in)), name="mid")
    outer = k.Sequential([k.Input((5,)), k.layers.Dense(4), mid, k.layers.Activation("sigmoid")])
    return outer


def nested_sequential_in_sequential(k):
    """Keras 3 .h5 names these weights ``<outer>/<nested>/<layer>/...``: the outer
    Sequential's own name first (found by the model fuzzer)."""
    innermost = k.Sequential([k.layers.Dense(4, activation="tanh")], name="innermost")
    mid = k.Sequential([innermost, k.layers.Dense(3)], name="mid")
    return k.Sequential([k.Input((5,)), mid, k.layers.Dense(2)], name="outer")


def attention(layer, n_inputs=2, causal=False, scores=False, q_steps=4, v_steps=6, **kw):
    """LSTM encoder/decoder sequences into an attention layer, as used on top of LSTMs."""
    def build(k):
        q_in, v_in = k.Input((q_steps, 3)), k.Input((v_steps, 5))
        q = k.layers.LSTM(6, return_sequences=True)(q_in)
        v = k.layers.LSTM(6 if layer == "AdditiveAttention" or n_inputs == 2 else 7, return_sequences=True)(v_in)
        ins = [q, v] + ([k.layers.Dense(6)(v_in)] if n_inputs == 3 else [])
        call = {}
        if causal:
            call["use_causal_mask"] = True
        if scores:
            call["return_attention_scores"] = True
        out = getattr(k.layers, layer)(**kw)(ins, **call)
        outs = list(out) if scores else [out]
        return k.Model([q_in, v_in], [k.layers.GlobalAveragePooling1D()(outs[0])] + outs[1:])
    return build


def mha(q_shape, v_shape, k_shape=None, causal=False, scores=False, lstm=True, **kw):
    """MultiHeadAttention on LSTM sequences (self- or cross-attention), Keras 3."""
    def build(k):
        q_in, v_in = k.Input(q_shape), k.Input(v_shape)
        q = k.layers.LSTM(q_shape[-1], return_sequences=True)(q_in) if lstm else q_in
        args = [q, v_in] + ([k.layers.Dense(k_shape[-1])(v_in)] if k_shape else [])
        call = {"use_causal_mask": causal, "return_attention_scores": scores}
        out = k.layers.MultiHeadAttention(**kw)(*args, **call)
        outs = list(out) if scores else [out]
        return k.Model([q_in, v_in], [k.layers.GlobalAveragePooling1D()(outs[0])] + outs[1:])
    return build


CASES = [
    Case("two_inputs_two_outputs/keras", two_input_two_output, "keras"),
    Case("two_inputs_two_outputs/tf_h5", two_input_two_output, "tf_h5"),
    Case("shared_layer/keras", shared_layer, "keras"),
    Case("shared_layer/tf_h5", shared_layer, "tf_h5"),
    *[Case(f"merge/{m}", merge(m), "keras") for m in ("Add", "Subtract", "Multiply", "Average", "Maximum", "Minimum")],
    Case("merge/Average/tf_h5", merge("Average"), "tf_h5"),
    Case("concatenate/axis-1", concat_axis(-1), "keras"),
    Case("concatenate/axis1_time", concat_axis(1), "keras"),
    Case("branches_variable_time", branches_variable_time, "keras", steps=(1, 9)),
    Case("dot/vectors", dot((5,), (5,), 1), "keras"),
    Case("dot/vectors_normalize", dot((5,), (5,), -1, True), "keras"),
    Case("dot/matrices_axes22", dot((4, 3), (5, 3), 2), "keras"),
    Case("dot/matrices_axes11_normalize", dot((4, 3), (4, 6), (1, 1), True), "keras"),
    Case("dot/matrices_axes21", dot((4, 3), (3, 2), (2, 1)), "keras"),
    Case("dot/tf_h5_normalize", dot((4, 3), (5, 3), (2, 2), True), "tf_h5"),
    Case("dot/tf_h5_vectors", dot((6,), (6,), 1), "tf_h5"),
    Case("nested/sequential_in_functional", nested_sequential, "keras"),
    Case("nested/sequential_in_functional/tf_h5", nested_sequential, "tf_h5"),
    Case("nested/functional_called_twice", nested_functional_twice, "keras"),
    Case("nested/functional_called_twice/tf_h5", nested_functional_twice, "tf_h5"),
    Case("nested/two_levels_in_sequential", nested_two_levels, "keras"),
    Case("nested/two_levels_in_sequential/tf_h5", nested_two_levels, "tf_h5"),
    # Keras 3 .h5 names nested weights by path (<outer>/<layer>/...): issue 18 bug 3
    Case("nested/sequential_in_functional/h5", nested_sequential, "h5"),
    Case("nested/functional_called_twice/h5", nested_functional_twice, "h5"),
    Case("nested/two_levels_in_sequential/h5", nested_two_levels, "h5"),
    Case("nested/sequential_in_sequential", nested_sequential_in_sequential, "keras"),
    Case("nested/sequential_in_sequential/tf_h5", nested_sequential_in_sequential, "tf_h5"),
    Case("nested/sequential_in_sequential/h5", nested_sequential_in_sequential, "h5"),
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
    Case("two_variable_inputs", lambda k: (lambda a, b: k.Model([a, b], k.layers.LSTM(3)(k.layers.Concatenate()([a, b]))))(
        k.Input((None, 2)), k.Input((None, 3))), "keras", steps=(4, 4)),
]
