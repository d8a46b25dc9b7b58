"""Activation layers and Dense activations named by the Keras 3 activation functions
keras2java added for them (celu, hard_tanh, log_sigmoid, sparse_plus, squareplus,
tanh_shrink, hard_shrink, soft_shrink), against Keras: Keras 3 .keras and weights-only
files with their architecture JSON, embedded and resource weights.  (tf-keras has
none of these names.)  Tolerance 1e-5."""
from __future__ import annotations

from dataclasses import replace

import pytest

from support.cases_preprocessing import L, seq
from support.harness import keras_case_tests
from support.keras_cases import Case, prepare

pytestmark = [pytest.mark.keras, pytest.mark.java, pytest.mark.slow]

NAMES = ("celu", "hard_tanh", "log_sigmoid", "sparse_plus", "squareplus", "tanh_shrink", "hard_shrink", "soft_shrink")

BASE = [Case(f"activation_layer/{name}", seq((None, 5), L("Dense", 6), L("Activation", name), head=False),
             steps=(1, 6), input_scale=3.0) for name in NAMES]
BASE += [
    Case("activation_layer/dense_celu", seq((4,), L("Dense", 6, activation="celu")), input_scale=3.0),
    Case("activation_layer/conv2d_squareplus", seq((5, 5, 2), L("Conv2D", 3, 2, activation="squareplus")),
         input_scale=3.0),
    Case("activation_layer/lstm_hard_tanh", seq((None, 3), L("LSTM", 4, activation="hard_tanh")), steps=(1, 6)),
    Case("activation_layer/weights_only", seq((None, 5), L("Dense", 6), L("Activation", "log_sigmoid"),
                                              head=False), steps=(1, 6), input_scale=3.0, weights_only=True),
]
CASES = BASE + [replace(c, id=c.id + "/resource", weights="resource") for c in BASE if not c.weights_only][-3:]

batch, test_matches_keras = keras_case_tests(CASES, prepare, 7900, "k2jtest.actlayer", "core_activation")
