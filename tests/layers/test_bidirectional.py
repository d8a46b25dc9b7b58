"""Bidirectional around LSTM, GRU and SimpleRNN against Keras (Keras 3 .keras / .h5 and
tf-keras .h5): every merge mode (concat, sum, mul, ave, None) on sequences and last
outputs, explicit backward layers, a go_backwards forward layer, stacked layers,
return_state and initial states as model inputs, a masked input (merge_mode=None) and a
stateful layer.  Rows in predict mode also check keras2java's numpy reference."""
from __future__ import annotations

import pytest

from support.battery import KerasBattery
from support.cases_recurrent import RNNS, L, T, fn, prepare, seq
from support.keras_cases import Case

pytestmark = pytest.mark.keras

CASES: list[Case] = []


def add(*cases: Case) -> None:
    CASES.extend(cases)


# merge modes, units, explicit backward layers, stacking
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
              weight_scale=0.3, family="Bidirectional"))
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


# return_state and initial states as model inputs
for fmt in ("keras", "h5", "tf_h5"):
    add(Case(f"state/bidirectional_return_state/{fmt}",
              fn(lambda k, x: list(L(k).Bidirectional(L(k).LSTM(4, return_state=True))(x)), (6, 3)), fmt, family="states"))
add(Case("state/bidirectional_initial_state",
          fn(lambda k, x, a, b: L(k).Bidirectional(L(k).GRU(4))(x, initial_state=[a, b]), (6, 3), (4,), (4,)), family="states"),
    Case("state/bidirectional_none_return_state",
          fn(lambda k, x: list(L(k).Bidirectional(L(k).SimpleRNN(4, return_state=True, return_sequences=True), merge_mode=None)(x)),
             (6, 3)), family="states"))


# masks and stateful layers
add(Case("masking/bidirectional_none", fn(lambda k, x: L(k).Bidirectional(L(k).SimpleRNN(4, return_sequences=True), merge_mode=None)(
        L(k).Masking()(x)), (T, 3)), data="padded", family="Masking"),
    Case("stateful/bidirectional", seq(lambda k: [L(k).Bidirectional(L(k).GRU(4, stateful=True, return_sequences=True)),
                                                   L(k).LSTM(3, stateful=True)], shape=(5, 4), batch_size=1),
          mode="stateful", samples=4, family="stateful"))


battery = KerasBattery([(prepare, CASES, lambda c: c.mode == "predict")], seed=3700, package="k2jtest.bidi",
                       workdir="bidirectional")
prepared, batch, test_matches_keras = battery.tests()
test_reference_matches_keras = battery.test_reference_matches_keras()
