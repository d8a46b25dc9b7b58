"""tf-keras models built with legacy semantics (hard_sigmoid, GRU
reset_after=False) and named as Keras 1 / 2.0 named their layers; written
into old layouts by ``support.legacy_fixtures`` (tests/scenarios/test_legacy_keras.py and
tests/fixtures/legacy/make_legacy_fixtures.py)."""
from __future__ import annotations

from support.keras_cases import randomize, tf_keras


def rnn_stack(k, rec="hard_sigmoid", reset_after=False):
    """LSTM -> GRU -> Dropout -> Dense, named as Keras 1/2.0 named layers."""
    return k.Sequential([
        k.Input((None, 11)),
        k.layers.LSTM(15, return_sequences=True, recurrent_activation=rec, name="lstm_1"),
        k.layers.GRU(6, reset_after=reset_after, recurrent_activation=rec, name="gru_1"),
        k.layers.Dropout(0.3, name="dropout_1"),
        k.layers.Dense(4, activation="softmax", name="dense_1"),
    ])


def keras0_stack(k):
    """Keras 0.x Dense is 2D only: LSTM sequences -> GRU -> Dense -> Activation."""
    return k.Sequential([
        k.Input((None, 11)),
        k.layers.LSTM(15, return_sequences=True, recurrent_activation="hard_sigmoid", name="lstm_1"),
        k.layers.GRU(6, reset_after=False, recurrent_activation="hard_sigmoid", name="gru_1"),
        k.layers.Dropout(0.25, name="dropout_1"),
        k.layers.Dense(3, name="dense_1"),
        k.layers.Activation("softmax", name="activation_1"),
    ])


def embedding_stack(k):
    return k.Sequential([
        k.Input((None,)),
        k.layers.Embedding(20, 8, name="embedding_1"),
        k.layers.SimpleRNN(7, name="simplernn_1"),
        k.layers.Dense(5, use_bias=False, name="dense_1"),
        k.layers.Activation("tanh", name="activation_1"),
    ])


def time_distributed_stack(k):
    return k.Sequential([
        k.Input((None, 5)),
        k.layers.SimpleRNN(8, return_sequences=True, activation="relu", name="simplernn_1"),
        k.layers.Dense(4, activation="sigmoid", name="timedistributeddense_1"),
        k.layers.LSTM(3, recurrent_activation="hard_sigmoid", go_backwards=True, name="lstm_1"),
    ])


def bidirectional_stack(k, rec="hard_sigmoid", reset_after=False):
    return k.Sequential([
        k.Input((None, 6)),
        k.layers.Bidirectional(k.layers.LSTM(5, return_sequences=True, recurrent_activation=rec, name="lstm_1"),
                               name="bidirectional_1"),
        k.layers.Bidirectional(k.layers.GRU(4, reset_after=reset_after, recurrent_activation=rec, name="gru_1"),
                               merge_mode="sum", name="bidirectional_2"),
        k.layers.Dense(3, name="dense_1"),
    ])


def functional_merge(k):
    """Keras 1 functional API with ``merge(mode=...)`` layers."""
    inp = k.Input((None, 7), name="input_1")
    a = k.layers.LSTM(6, recurrent_activation="hard_sigmoid", name="lstm_1")(inp)
    b = k.layers.GRU(6, reset_after=False, recurrent_activation="hard_sigmoid", name="gru_1")(inp)
    c = k.layers.Concatenate(name="merge_1")([a, b])
    d = k.layers.Dense(4, activation="tanh", name="dense_1")(c)
    e = k.layers.Dense(4, name="dense_2")(a)
    out = k.layers.Add(name="merge_2")([d, e])
    out = k.layers.Multiply(name="merge_3")([out, k.layers.Dense(4, name="dense_3")(b)])
    return k.Model(inp, out)


def nested_stack(k):
    inner = k.Sequential([k.Input((None, 6)), k.layers.LSTM(5, return_sequences=True, name="lstm_1")],
                         name="sequential_1")
    return k.Sequential([k.Input((None, 6)), inner, k.layers.GRU(4, reset_after=False, name="gru_1")])


def build(make, seed, scale=0.6):
    k = tf_keras()
    k.utils.set_random_seed(seed)
    m = make(k)
    randomize(m, seed, scale)
    return m
