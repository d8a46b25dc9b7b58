"""Builders of the LSTM / Dense / activation models of tests/layers/test_core.py."""
from __future__ import annotations


ACTIVATIONS = ["linear", "relu", "relu6", "leaky_relu", "sigmoid", "tanh", "softmax", "log_softmax",
               "hard_sigmoid", "elu", "selu", "softplus", "softsign", "exponential", "swish", "silu",
               "gelu", "hard_silu", "hard_swish", "mish"]


def classifier(k, units=15, t=7, f=11, classes=3):
    return k.Sequential([k.Input((t, f)), k.layers.LSTM(units, return_sequences=True),
                         k.layers.LSTM(units), k.layers.Dense(classes, activation="softmax")])


def lstm_dense(units=5, t=6, f=4, **lstm_kw):
    def build(k):
        return k.Sequential([k.Input((t, f)), k.layers.LSTM(units, **lstm_kw), k.layers.Dense(3)])
    return build


def dense_act(act):
    def build(k):
        return k.Sequential([k.Input((6,)), k.layers.Dense(8, activation=act), k.layers.Dense(5, activation=act)])
    return build


def with_layer(make):
    def build(k):
        return k.Sequential([k.Input((5, 4)), k.layers.Dense(6), make(k), k.layers.LSTM(3)])
    return build

