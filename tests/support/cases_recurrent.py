"""The recurrent family (test_recurrent_keras, test_vector_kernels,
test_reference): GRU, SimpleRNN, Bidirectional, TimeDistributed, Embedding,
Masking, states, streaming and stateful cases, how their inputs are made
(padding patterns, token ids) and how Keras' references are computed for
each ``Case.mode``."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from support.keras_cases import Case, keras, randomize, tf_keras

T = 9  # timesteps of padded batches
RECURRENT_SAMPLES = 12  # samples per case when Case.samples is None


# -- inputs ------------------------------------------------------------------
PATTERNS = ("end", "start", "middle", "none", "end+middle", "start+middle")


def _keep_mask(rng, n: int, pattern: str) -> np.ndarray:
    keep = np.ones(n, bool)
    pad = int(rng.integers(1, max(2, n // 2)))
    if "end" in pattern:
        keep[n - pad:] = False
    if "start" in pattern:
        keep[:pad] = False
    if "middle" in pattern:
        keep[n // 2] = False
        keep[n // 2 - 1 if n > 4 else n // 2] = False
    if not keep.any():
        keep[n // 2 + 1 if n > 2 else 0] = True
    return keep


def make_samples(case: Case, model, seed: int) -> list:
    rng = np.random.default_rng(seed)
    samples = []
    for s in range(case.n_samples(RECURRENT_SAMPLES)):
        sample = []
        for idx, inp in enumerate(model.inputs):
            shape = list(inp.shape[1:])
            fixed = shape and shape[0] is not None
            if idx > 0:  # initial states
                sample.append(rng.uniform(-1, 1, shape).astype(np.float32))
                continue
            if case.data in ("padded", "tokens_padded"):
                n = shape[0] if fixed else T
            elif fixed:
                n = shape[0]
            else:
                n = int(rng.integers(case.steps[0], case.steps[1] + 1))
            if case.data.startswith("tokens"):
                x = rng.integers(1 if case.data == "tokens_padded" else 0, case.vocab, [n] + shape[1:]).astype(np.float32)
                if case.data == "tokens_padded":
                    x[~_keep_mask(rng, n, PATTERNS[s % len(PATTERNS)])] = 0
            else:
                x = rng.uniform(-case.input_scale, case.input_scale, [n] + shape[1:]).astype(np.float32)
                if case.data == "padded":
                    x[~_keep_mask(rng, n, PATTERNS[s % len(PATTERNS)])] = case.mask_value
            sample.append(x)
        samples.append(sample)
    return samples


def _as_keras(model, arrays):
    out = [np.asarray(a).astype(getattr(inp.dtype, "name", inp.dtype)) for a, inp in zip(arrays, model.inputs)]
    return out if len(out) > 1 else out[0]


def _listify(out) -> list:
    return [np.asarray(o) for o in (out if isinstance(out, (list, tuple)) else [out])]


def keras_reference(case: Case, model, samples: list) -> list:
    if case.mode == "stateful":
        # one stateful instance fed the chunks in order, as the Java instance is
        return [[o[0] for o in _listify(model(_as_keras(model, [a[None] for a in s]), training=False))] for s in samples]
    if case.mode == "stream":
        expected = []
        for s in samples:
            seq = s[0]
            per_out = None
            for t in range(1, seq.shape[0] + 1):
                outs = _listify(model(_as_keras(model, [seq[None, :t]]), training=False))
                in_steps = model.inputs[0].shape[1]
                timed = [len(o.shape) >= 3 and o.shape[1] in (None, in_steps) for o in model.outputs]
                rows = [o[0][-1] if timed[i] else o[0] for i, o in enumerate(outs)]
                per_out = [[r] for r in rows] if per_out is None else [p + [r] for p, r in zip(per_out, rows)]
            expected.append([np.concatenate([np.ravel(r) for r in p]) for p in per_out])
        return expected
    shapes = {tuple(a.shape for a in s) for s in samples}
    if len(shapes) == 1:
        batch = [np.stack([s[i] for s in samples]) for i in range(len(samples[0]))]
        outs = _listify(model.predict(_as_keras(model, batch), verbose=0))
        return [[o[k] for o in outs] for k in range(len(samples))]
    # Different lengths: one eager call per sample.  (Keras 3.15's predict() returns
    # wrong values for TimeDistributed after a retrace for a new length; the eager
    # call of the same model is right and agrees with the equivalent Dense model.)
    return [[o[0] for o in _listify(model(_as_keras(model, [a[None] for a in s]), training=False))] for s in samples]


# -- models --------------------------------------------------------------------
def seq(layers_fn, shape=(None, 5), dtype="float32", batch_size=None):
    def build(k):
        inp = k.Input(shape, dtype=dtype, batch_size=batch_size)
        return k.Sequential([inp] + layers_fn(k))
    return build


def fn(body, *shapes):
    """Functional model: body(k, *inputs) returns the output(s)."""
    def build(k):
        ins = [k.Input(s) for s in shapes]
        outs = body(k, *ins)
        return k.Model(ins if len(ins) > 1 else ins[0], outs)
    return build


L = lambda k: k.layers  # noqa: E731

CASES: list[Case] = []
RNNS = {"LSTM": lambda k: L(k).LSTM, "GRU": lambda k: L(k).GRU, "SimpleRNN": lambda k: L(k).SimpleRNN}


def add(*cases: Case) -> None:
    CASES.extend(cases)


# 1. GRU and SimpleRNN
for u in (1, 7, 32):
    add(Case(f"gru/units{u}", seq(lambda k, u=u: [L(k).GRU(u), L(k).Dense(3)]), family="GRU"),
        Case(f"gru/reset_before/units{u}", seq(lambda k, u=u: [L(k).GRU(u, reset_after=False, return_sequences=True)]), family="GRU"),
        Case(f"simple_rnn/units{u}", seq(lambda k, u=u: [L(k).SimpleRNN(u), L(k).Dense(3)]), family="SimpleRNN"))
for fmt in ("keras", "h5", "tf_h5"):
    add(Case(f"gru/stacked/{fmt}", seq(lambda k: [L(k).GRU(7, return_sequences=True), L(k).GRU(6, return_sequences=True, reset_after=False),
                                                   L(k).GRU(5)], shape=(8, 5)), fmt, family="GRU"),
        Case(f"simple_rnn/stacked/{fmt}", seq(lambda k: [L(k).SimpleRNN(7, return_sequences=True), L(k).SimpleRNN(5)], shape=(8, 5)),
              fmt, family="SimpleRNN"))
for name, kw in [("no_bias", dict(use_bias=False)), ("no_bias_reset_before", dict(use_bias=False, reset_after=False)),
                 ("go_backwards", dict(go_backwards=True)), ("go_backwards_seq", dict(go_backwards=True, return_sequences=True)),
                 ("go_backwards_reset_before", dict(go_backwards=True, reset_after=False, return_sequences=True)),
                 ("relu_tanh", dict(activation="relu", recurrent_activation="tanh")),
                 ("hard_sigmoid", dict(recurrent_activation="hard_sigmoid"))]:
    add(Case(f"gru/{name}", seq(lambda k, kw=kw: [L(k).GRU(7, **kw)]), family="GRU"))
for name, kw in [("no_bias", dict(use_bias=False)), ("go_backwards", dict(go_backwards=True)),
                 ("go_backwards_seq", dict(go_backwards=True, return_sequences=True)),
                 ("relu", dict(activation="relu")), ("hard_sigmoid", dict(activation="hard_sigmoid"))]:
    add(Case(f"simple_rnn/{name}", seq(lambda k, kw=kw: [L(k).SimpleRNN(7, **kw)]), family="SimpleRNN",
              weight_scale=0.3 if name == "relu" else 0.5))

# 8. Recurrent activations per Keras version: hard_sigmoid is clip(0.2x+0.5) in tf-keras files, relu6(x+3)/6 in Keras 3.
for fmt in ("keras", "h5", "tf_h5"):
    add(Case(f"activations/gru_hard_sigmoid/{fmt}", seq(lambda k: [L(k).GRU(7, recurrent_activation="hard_sigmoid", return_sequences=True)]),
              fmt, weight_scale=1.5, input_scale=2.0, family="activations"),
        Case(f"activations/gru_reset_before_hard_sigmoid/{fmt}",
              seq(lambda k: [L(k).GRU(7, recurrent_activation="hard_sigmoid", reset_after=False)]), fmt,
              weight_scale=1.5, input_scale=2.0, family="activations"),
        Case(f"activations/lstm_hard_sigmoid/{fmt}", seq(lambda k: [L(k).LSTM(7, recurrent_activation="hard_sigmoid")]),
              fmt, weight_scale=1.5, input_scale=2.0, family="activations"),
        Case(f"activations/simple_rnn_hard_sigmoid/{fmt}", seq(lambda k: [L(k).SimpleRNN(7, activation="hard_sigmoid")]),
              fmt, weight_scale=1.5, input_scale=2.0, family="activations"),
        Case(f"activations/bidi_gru_hard_sigmoid/{fmt}",
              seq(lambda k: [L(k).Bidirectional(L(k).GRU(5, recurrent_activation="hard_sigmoid"))]),
              fmt, weight_scale=1.5, input_scale=2.0, family="activations"))



def _drop_reset_after(cfg, version):
    """A Keras 2.0-2.2 style config: no reset_after key (the bias shape tells)."""
    for layer in cfg["config"]["layers"]:
        inner = layer["config"].get("layer", {}).get("config", layer["config"])
        inner.pop("reset_after", None)
    return cfg, "2.1.6"


for ra in (False, True):
    add(Case(f"gru/config_without_reset_after/{ra}", seq(lambda k, ra=ra: [L(k).GRU(6, reset_after=ra, return_sequences=True),
                                                                          L(k).Bidirectional(L(k).GRU(4, reset_after=ra))],
                                                        shape=(7, 3)), "tf_h5", edit_h5=_drop_reset_after, family="GRU"))

# keras.layers.RNN around the built-in cells, and unroll=True (with masks)
for fmt in ("keras", "tf_h5"):
    add(Case(f"rnn_cell/{fmt}", seq(lambda k: [L(k).RNN(L(k).GRUCell(6, reset_after=False), return_sequences=True),
                                                L(k).RNN(L(k).LSTMCell(5), go_backwards=True, return_sequences=True),
                                                L(k).Bidirectional(L(k).RNN(L(k).SimpleRNNCell(4)))], shape=(7, 3)),
              fmt, family="RNN(cell)"),
        Case(f"rnn_cell/masked/{fmt}", seq(lambda k: [L(k).Masking(), L(k).RNN(L(k).LSTMCell(5), return_sequences=True),
                                                       L(k).RNN(L(k).GRUCell(4))], shape=(T, 3)),
              fmt, data="padded", family="RNN(cell)"))
for rnn, cls in RNNS.items():
    add(Case(f"masking/{rnn}/unroll", seq(lambda k, cls=cls: [L(k).Masking(), cls(k)(5, unroll=True, return_sequences=True),
                                                             cls(k)(4, unroll=True, zero_output_for_mask=True, return_sequences=True)],
                                           shape=(T, 3)), data="padded", family="Masking"))

# 2. Bidirectional
for rnn, cls in RNNS.items():
    for merge in ("concat", "sum", "mul", "ave"):
        add(Case(f"bidirectional/{rnn}/{merge}/seq",
                  seq(lambda k, cls=cls, merge=merge: [L(k).Bidirectional(cls(k)(7, return_sequences=True), merge_mode=merge),
                                                       L(k).Dense(3)]), family="Bidirectional"))
    add(Case(f"bidirectional/{rnn}/concat/last", seq(lambda k, cls=cls: [L(k).Bidirectional(cls(k)(6))]), family="Bidirectional"),
        Case(f"bidirectional/{rnn}/ave/last/tf_h5", seq(lambda k, cls=cls: [L(k).Bidirectional(cls(k)(6), merge_mode="ave")], shape=(7, 5)),
              "tf_h5", family="Bidirectional"),
        Case(f"bidirectional/{rnn}/none", fn(lambda k, x, cls=cls: L(k).Bidirectional(cls(k)(5, return_sequences=True), merge_mode=None)(x),
                                              (None, 4)), family="Bidirectional"),
        Case(f"bidirectional/{rnn}/none/last/tf_h5",
              fn(lambda k, x, cls=cls: L(k).Bidirectional(cls(k)(5), merge_mode=None)(x), (6, 4)), "tf_h5", family="Bidirectional"))
for u in (1, 32):
    add(Case(f"bidirectional/LSTM/units{u}", seq(lambda k, u=u: [L(k).Bidirectional(L(k).LSTM(u, return_sequences=True))]),
              weight_scale=0.3, family="Bidirectional"),
        Case(f"stream/units{u}", seq(lambda k, u=u: [L(k).GRU(u, return_sequences=True), L(k).LSTM(u), L(k).Dense(2)], shape=(None, 3)),
              mode="stream", samples=3, steps=(4, 9), weight_scale=0.3, family="streaming"))
for fmt in ("keras", "tf_h5"):
    add(Case(f"bidirectional/backward_layer/{fmt}",
              seq(lambda k: [L(k).Bidirectional(L(k).LSTM(5, return_sequences=True),
                                                backward_layer=L(k).GRU(5, go_backwards=True, return_sequences=True,
                                                                        activation="relu"), merge_mode="sum")], shape=(7, 4)),
              fmt, weight_scale=0.3, family="Bidirectional"),
        Case(f"bidirectional/backward_layer_concat/{fmt}",
              seq(lambda k: [L(k).Bidirectional(L(k).SimpleRNN(3), backward_layer=L(k).LSTM(6, go_backwards=True))], shape=(7, 4)),
              fmt, family="Bidirectional"),
        Case(f"bidirectional/stacked/{fmt}",
              seq(lambda k: [L(k).Bidirectional(L(k).LSTM(7, return_sequences=True)), L(k).Bidirectional(L(k).GRU(32)),
                             L(k).Dense(3, activation="softmax")], shape=(8, 5)), fmt, weight_scale=0.3, family="Bidirectional"))
add(Case("bidirectional/go_backwards_forward_layer",
          seq(lambda k: [L(k).Bidirectional(L(k).GRU(4, go_backwards=True, return_sequences=True),
                                            backward_layer=L(k).GRU(4, return_sequences=True), merge_mode="concat")]),
          family="Bidirectional"))

# 3. TimeDistributed
for fmt in ("keras", "h5", "tf_h5"):
    add(Case(f"time_distributed/dense/{fmt}", seq(lambda k: [L(k).LSTM(7, return_sequences=True),
                                                             L(k).TimeDistributed(L(k).Dense(4, activation="softmax"))], shape=(6, 5)),
              fmt, family="TimeDistributed"),
        Case(f"time_distributed/per_step/{fmt}", seq(lambda k: [L(k).TimeDistributed(L(k).Dense(6, activation="tanh")),
                                                                L(k).TimeDistributed(L(k).Dropout(0.5)),
                                                                L(k).TimeDistributed(L(k).Activation("relu")),
                                                                L(k).GRU(5, return_sequences=True),
                                                                L(k).TimeDistributed(L(k).Dense(2))], shape=(6, 5)),
              fmt, family="TimeDistributed"))
add(Case("time_distributed/rank3", seq(lambda k: [L(k).TimeDistributed(L(k).Dense(3))], shape=(4, 3, 5)), family="TimeDistributed"),
    Case("time_distributed/variable", seq(lambda k: [L(k).TimeDistributed(L(k).Dense(3)), L(k).SimpleRNN(4)]), family="TimeDistributed"))

# 4. Embedding
for fmt in ("keras", "h5", "tf_h5"):
    add(Case(f"embedding/lstm/{fmt}", seq(lambda k: [L(k).Embedding(30, 6), L(k).LSTM(7), L(k).Dense(3)], shape=(8,), dtype="int32"),
              fmt, data="tokens", family="Embedding"),
        Case(f"embedding/chain/{fmt}",
              seq(lambda k: [L(k).Embedding(30, 6, mask_zero=True), L(k).Bidirectional(L(k).GRU(7, return_sequences=True)),
                             L(k).TimeDistributed(L(k).Dense(4, activation="softmax"))], shape=(T,), dtype="int32"),
              fmt, data="tokens_padded", family="Embedding"))
add(Case("embedding/variable", seq(lambda k: [L(k).Embedding(30, 4), L(k).GRU(5)], shape=(None,), dtype="int32"),
          data="tokens", family="Embedding"),
    Case("embedding/dense_only", seq(lambda k: [L(k).Embedding(30, 4), L(k).Dense(2)], shape=(5,), dtype="int32"),
          data="tokens", family="Embedding"),
    Case("embedding/functional_chain",
          fn(lambda k, x: L(k).TimeDistributed(L(k).Dense(4, activation="softmax"))(
              L(k).Bidirectional(L(k).GRU(7, return_sequences=True))(L(k).Embedding(30, 6, mask_zero=True)(x))), (None,)),
          data="tokens_padded", family="Embedding"))

# 5. Masking
for u in (1, 7, 32):
    add(Case(f"masking/lstm/units{u}", seq(lambda k, u=u: [L(k).Masking(), L(k).LSTM(u)], shape=(T, 4)), data="padded",
              family="Masking"))
for fmt in ("keras", "h5", "tf_h5"):
    add(Case(f"masking/lstm_gru/{fmt}", seq(lambda k: [L(k).Masking(), L(k).LSTM(7, return_sequences=True), L(k).GRU(5)], shape=(T, 4)),
              fmt, data="padded", family="Masking"),
        Case(f"masking/propagation/{fmt}",
              seq(lambda k: [L(k).Masking(-1.0), L(k).Dense(6, activation="tanh"), L(k).Dropout(0.3), L(k).Activation("relu"),
                             L(k).SimpleRNN(5, return_sequences=True), L(k).TimeDistributed(L(k).Dense(4)),
                             L(k).GaussianNoise(0.1), L(k).LSTM(3, return_sequences=True)], shape=(T, 4)),
              fmt, data="padded", mask_value=-1.0, family="Masking"),
        Case(f"masking/bidirectional/{fmt}",
              seq(lambda k: [L(k).Masking(), L(k).Bidirectional(L(k).LSTM(6, return_sequences=True)),
                             L(k).Bidirectional(L(k).GRU(5), merge_mode="sum")], shape=(T, 4)),
              fmt, data="padded", family="Masking"))
for name, kw in [("zero_output_seq", dict(zero_output_for_mask=True, return_sequences=True)),
                 ("zero_output_last", dict(zero_output_for_mask=True)),
                 ("repeat_output_seq", dict(return_sequences=True)),
                 ("go_backwards_seq", dict(go_backwards=True, return_sequences=True)),
                 ("go_backwards_zero_seq", dict(go_backwards=True, return_sequences=True, zero_output_for_mask=True))]:
    for rnn, cls in RNNS.items():
        add(Case(f"masking/{rnn}/{name}", seq(lambda k, cls=cls, kw=kw: [L(k).Masking(), cls(k)(6, **kw)], shape=(T, 4)),
                  data="padded", family="Masking"))
add(Case("masking/functional", fn(lambda k, x: L(k).GRU(4)(L(k).LSTM(5, return_sequences=True)(L(k).Dense(6)(L(k).Masking()(x)))),
                                   (None, 4)), data="padded", family="Masking"),
    Case("masking/functional/tf_h5", fn(lambda k, x: L(k).GRU(4)(L(k).LSTM(5, return_sequences=True)(L(k).Dense(6)(L(k).Masking()(x)))),
                                         (T, 4)), "tf_h5", data="padded", family="Masking"),
    Case("masking/bidirectional_none", fn(lambda k, x: L(k).Bidirectional(L(k).SimpleRNN(4, return_sequences=True), merge_mode=None)(
        L(k).Masking()(x)), (T, 3)), data="padded", family="Masking"),
    Case("masking/nan_value", seq(lambda k: [L(k).Masking(0.5), L(k).GRU(4, return_sequences=True)], shape=(T, 3)),
          data="padded", mask_value=0.5, family="Masking"))


# 6. return_state and initial states as model inputs
def enc_dec(k, x, y):
    _, h, c = L(k).LSTM(6, return_state=True)(x)
    return L(k).Dense(3)(L(k).LSTM(6, return_sequences=True)(y, initial_state=[h, c]))


for fmt in ("keras", "h5", "tf_h5"):
    add(Case(f"state/lstm_return_state/{fmt}", fn(lambda k, x: list(L(k).LSTM(7, return_state=True)(x)), (6, 4)), fmt, family="states"),
        Case(f"state/gru_return_state_seq/{fmt}", fn(lambda k, x: list(L(k).GRU(7, return_state=True, return_sequences=True)(x)), (6, 4)),
              fmt, family="states"),
        Case(f"state/simple_rnn_return_state/{fmt}", fn(lambda k, x: list(L(k).SimpleRNN(7, return_state=True, go_backwards=True)(x)),
                                                         (6, 4)), fmt, family="states"),
        Case(f"state/lstm_initial_state/{fmt}", fn(lambda k, x, h, c: L(k).LSTM(5)(x, initial_state=[h, c]), (6, 4), (5,), (5,)),
              fmt, family="states"),
        Case(f"state/gru_initial_state/{fmt}", fn(lambda k, x, h: L(k).GRU(5, return_sequences=True)(x, initial_state=[h]), (6, 4), (5,)),
              fmt, family="states"),
        Case(f"state/encoder_decoder/{fmt}", fn(enc_dec, (5, 4), (6, 3)), fmt, family="states"),
        Case(f"state/bidirectional_return_state/{fmt}",
              fn(lambda k, x: list(L(k).Bidirectional(L(k).LSTM(4, return_state=True))(x)), (6, 3)), fmt, family="states"))
add(Case("state/bidirectional_initial_state",
          fn(lambda k, x, a, b: L(k).Bidirectional(L(k).GRU(4))(x, initial_state=[a, b]), (6, 3), (4,), (4,)), family="states"),
    Case("state/bidirectional_none_return_state",
          fn(lambda k, x: list(L(k).Bidirectional(L(k).SimpleRNN(4, return_state=True, return_sequences=True), merge_mode=None)(x)),
             (6, 3)), family="states"),
    Case("state/masked_return_state", fn(lambda k, x: list(L(k).LSTM(5, return_state=True)(L(k).Masking()(x))), (T, 3)),
          data="padded", family="states"),
    Case("state/masked_initial_state/tf_h5", fn(lambda k, x, h: L(k).GRU(5, return_sequences=True)(L(k).Masking()(x), initial_state=[h]),
                                                 (T, 3), (5,)), "tf_h5", data="padded", family="states"),
    Case("state/masked_initial_state", fn(lambda k, x, h: L(k).GRU(5, return_sequences=True)(L(k).Masking()(x), initial_state=[h]),
                                           (T, 3), (5,)), data="padded", family="states"))

# 7. Streaming sessions and stateful layers
add(Case("stream/lstm_gru_dense", seq(lambda k: [L(k).LSTM(7, return_sequences=True), L(k).GRU(6), L(k).Dense(3, activation="softmax")]),
          mode="stream", samples=5, steps=(1, 10), family="streaming"),
    Case("stream/fixed_length", seq(lambda k: [L(k).LSTM(15, return_sequences=True), L(k).LSTM(15),
                                                L(k).Dense(3, activation="softmax")], shape=(7, 11)),
          mode="stream", samples=4, family="streaming"),
    Case("stream/fixed_length_masked_tokens", seq(lambda k: [L(k).Embedding(30, 4, mask_zero=True), L(k).SimpleRNN(5, return_sequences=True),
                                                              L(k).TimeDistributed(L(k).Dense(2))], shape=(T,), dtype="int32"),
          data="tokens_padded", mode="stream", samples=6, family="streaming"),
    Case("stream/sequence_output", seq(lambda k: [L(k).SimpleRNN(5, return_sequences=True), L(k).TimeDistributed(L(k).Dense(2))]),
          mode="stream", samples=5, steps=(3, 10), family="streaming"),
    Case("stream/embedding_masked", seq(lambda k: [L(k).Embedding(30, 6, mask_zero=True), L(k).GRU(5, return_sequences=True),
                                                    L(k).Dense(3)], shape=(None,), dtype="int32"),
          data="tokens_padded", mode="stream", samples=6, family="streaming"),
    Case("stream/masking", seq(lambda k: [L(k).Masking(), L(k).LSTM(5), L(k).Dense(2)], shape=(None, 3)),
          data="padded", mode="stream", samples=6, family="streaming"),
    Case("stream/tf_h5", seq(lambda k: [L(k).GRU(5, return_sequences=True, reset_after=False), L(k).LSTM(4)], shape=(None, 3)),
          "tf_h5", mode="stream", samples=4, family="streaming"),
    Case("stateful/lstm", seq(lambda k: [L(k).LSTM(6, stateful=True), L(k).Dense(3)], shape=(None, 4), batch_size=1),
          mode="stateful", samples=5, steps=(2, 6), family="stateful"),
    Case("stateful/gru_seq", seq(lambda k: [L(k).GRU(6, stateful=True, return_sequences=True), L(k).SimpleRNN(3, stateful=True)],
                                  shape=(None, 4), batch_size=1), mode="stateful", samples=5, steps=(2, 6), family="stateful"),
    Case("stateful/bidirectional", seq(lambda k: [L(k).Bidirectional(L(k).GRU(4, stateful=True, return_sequences=True)),
                                                   L(k).LSTM(3, stateful=True)], shape=(5, 4), batch_size=1),
          mode="stateful", samples=4, family="stateful"),
    Case("stateful/tf_h5", seq(lambda k: [L(k).LSTM(6, stateful=True, return_sequences=True), L(k).GRU(4)], shape=(5, 4), batch_size=1),
          "tf_h5", mode="stateful", samples=4, family="stateful"))


def prepare(case: Case, directory: Path, seed: int):
    k = tf_keras() if case.fmt == "tf_h5" else keras()
    k.utils.set_random_seed(seed)
    model = case.build(k)
    randomize(model, seed, case.weight_scale)
    path = directory / (case.id.replace("/", "_") + (".keras" if case.fmt == "keras" else ".h5"))
    model.save(str(path))
    if case.edit_h5 is not None:
        import json

        import h5py
        with h5py.File(path, "r+") as h5:
            cfg, version = case.edit_h5(json.loads(h5.attrs["model_config"]), h5.attrs["keras_version"])
            h5.attrs["model_config"] = json.dumps(cfg)
            h5.attrs["keras_version"] = version
    samples = make_samples(case, model, seed + 1)
    expected = keras_reference(case, model, samples)
    if case.mode == "stateful":
        model.reset_states() if hasattr(model, "reset_states") else None
    return str(path), samples, expected


def harness_mode(case: Case, samples) -> str:
    """JavaBatch's run mode: Session steps for streaming cases, else predictAll."""
    if case.mode != "stream":
        return ""
    first = samples[0][0]
    return f"stream:{int(np.prod(first.shape[1:]))}"
