"""RNN(StackedRNNCells([...])) alone and inside Bidirectional, and TimeDistributed
around nested Sequential models: builders of the rows of tests/layers/test_stacked_rnn.py
(prepared by support.cases_ops.prepare)."""
from __future__ import annotations

def cells(k, kinds="lgs"):
    make = {"l": lambda u: k.layers.LSTMCell(u), "g": lambda u: k.layers.GRUCell(u),
            "s": lambda u: k.layers.SimpleRNNCell(u)}
    return k.layers.StackedRNNCells([make[c](u) for c, u in zip(kinds, (4, 3, 5, 2))])


def stacked(kinds="lgs", masked=False, steps=None, **flags):
    def build(k):
        x = k.Input((steps, 3), name="frames")
        h = k.layers.Masking(0.0)(x) if masked else x
        out = k.layers.RNN(cells(k, kinds), **flags)(h)
        outs = out if isinstance(out, (list, tuple)) else [out]
        if flags.get("return_sequences") and masked:
            outs = list(outs) + [k.layers.LSTM(2)(outs[0])]    # the mask passes on
        return k.Model(x, list(outs))
    return build


def stacked_initial_state(k):
    x = k.Input((None, 3), name="frames")
    states = [k.Input((4,), name="h0"), k.Input((4,), name="c0"), k.Input((3,), name="g0")]
    out = k.layers.RNN(cells(k, "lg"), return_sequences=True, return_state=True)(x, initial_state=[states[:2], states[2]])
    return k.Model([x] + states, list(out))


def bidirectional(masked=False, merge_mode="concat", **flags):
    def build(k):
        x = k.Input((None, 3), name="frames")
        h = k.layers.Masking(0.0)(x) if masked else x
        out = k.layers.Bidirectional(k.layers.RNN(cells(k, "lgl"), **flags), merge_mode=merge_mode)(h)
        outs = out if isinstance(out, (list, tuple)) else [out]
        if flags.get("return_sequences") and masked and merge_mode is not None:
            outs = list(outs) + [k.layers.GRU(2)(outs[0])]
        return k.Model(x, list(outs))
    return build


def bidirectional_states(initial=True, masked=False, merge_mode="concat", **flags):
    """Bidirectional(RNN(StackedRNNCells([LSTMCell(4), GRUCell(3)]))) with initial states
    (forward cells' then backward cells', per cell as Keras halves the list) and
    return_state (the forward then the backward final states after the output)."""
    def build(k):
        x = k.Input((None, 3), name="frames")
        h = k.layers.Masking(0.0)(x) if masked else x
        layer = k.layers.Bidirectional(k.layers.RNN(cells(k, "lg"), return_state=True, **flags),
                                       merge_mode=merge_mode)
        states = []
        if initial:
            states = [k.Input((u,), name=f"{side}_{n}") for side in ("fwd", "bwd")
                      for n, u in (("h", 4), ("c", 4), ("g", 3))]
            out = layer(h, initial_state=[states[:2], states[2], states[3:5], states[5]])
        else:
            out = layer(h)
        return k.Model([x] + states if states else x, list(out))
    return build


def td_sequential(k):
    """A per-step sub-network (nested Sequential) inside a tagger, masks passing through."""
    first = [k.Input((6,))] if k.__name__ == "keras" else []
    dense0 = k.layers.Dense(5, activation="relu") if first else k.layers.Dense(5, activation="relu", input_shape=(6,))
    inner = k.Sequential(first + [dense0, k.layers.Dropout(0.2), k.layers.Dense(4), k.layers.Activation("tanh"),
                                  k.layers.Dense(3)], name="per_word")
    x = k.Input((None, 6), name="words")
    h = k.layers.TimeDistributed(inner)(k.layers.Masking(0.0)(x))
    return k.Model(x, [h, k.layers.LSTM(2)(h)])

