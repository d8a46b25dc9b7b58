"""Builders of Functional graphs (several inputs and outputs, shared layers, nested
models: tests/scenarios/test_graphs.py), merges (tests/layers/test_merge.py) and
attention models (tests/layers/test_attention.py); prepared by
``support.keras_cases.prepare``."""
from __future__ import annotations



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

