"""Masking and Embedding (mask_zero) against Keras (Keras 3 .keras / .h5 and tf-keras
.h5): padding at the end, at the start and in the middle of a sequence reaching LSTM,
GRU and SimpleRNN layers (zero_output_for_mask, go_backwards, unroll),
through the layers that pass a mask on, and a mask value other than zero; Embedding
with and without mask_zero before recurrent and Dense layers.  Unmasked rows also check
keras2java's numpy reference (masked models must be refused by it).  (Masks through
graphs, nested models, attention and merges: tests/scenarios/test_masks.py and the
attention and merge files; masked Bidirectional layers: test_bidirectional.py.)"""
from __future__ import annotations

import pytest

from support.battery import KerasBattery
from support.cases_recurrent import RNNS, L, T, fn, prepare, seq
from support.keras_cases import Case

pytestmark = pytest.mark.keras

CASES: list[Case] = []


def add(*cases: Case) -> None:
    CASES.extend(cases)


# 4. Embedding
for fmt in ("keras", "h5", "tf_h5"):
    add(Case(f"embedding/lstm/{fmt}", seq(lambda k: [L(k).Embedding(30, 6), L(k).LSTM(7), L(k).Dense(3)], shape=(8,), dtype="int32"),
              fmt, data="tokens", family="Embedding"),
        Case(f"embedding/chain/{fmt}",
              seq(lambda k: [L(k).Embedding(30, 6, mask_zero=True), L(k).Bidirectional(L(k).GRU(7, return_sequences=True)),
                             L(k).TimeDistributed(L(k).Dense(4, activation="softmax"))], shape=(T,), dtype="int32"),
              fmt, data="tokens_padded", family="Embedding"))
add(Case("embedding/dense_only", seq(lambda k: [L(k).Embedding(30, 4), L(k).Dense(2)], shape=(5,), dtype="int32"),
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
    Case("masking/nan_value", seq(lambda k: [L(k).Masking(0.5), L(k).GRU(4, return_sequences=True)], shape=(T, 3)),
          data="padded", mask_value=0.5, family="Masking"))


# unroll=True with masks
for rnn, cls in RNNS.items():
    add(Case(f"masking/{rnn}/unroll", seq(lambda k, cls=cls: [L(k).Masking(), cls(k)(5, unroll=True, return_sequences=True),
                                                             cls(k)(4, unroll=True, zero_output_for_mask=True, return_sequences=True)],
                                           shape=(T, 3)), data="padded", family="Masking"))


battery = KerasBattery([(prepare, CASES, lambda c: c.mode == "predict")], seed=3600, package="k2jtest.mask", workdir="mask")
prepared, batch, test_matches_keras = battery.tests()
test_reference_matches_keras = battery.test_reference_matches_keras()
