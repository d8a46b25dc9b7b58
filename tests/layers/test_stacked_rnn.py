"""RNN(StackedRNNCells([...])) of LSTM/GRU/SimpleRNN cells, alone and inside
Bidirectional, with return_sequences / return_state / go_backwards / masks / initial
states, and TimeDistributed around a nested Sequential model of per-step layers, against
Keras 3 (.keras) and tf-keras (.h5).  (TimeDistributed around sub-networks with their own
time axis: test_time_distributed_models.py.)"""
from __future__ import annotations

import pytest

from support.battery import KerasBattery
from support.cases_ops import prepare
from support.cases_stacked import bidirectional, bidirectional_states, stacked, stacked_initial_state, td_sequential
from support.keras_cases import Case

pytestmark = [pytest.mark.keras, pytest.mark.java, pytest.mark.slow]

CASES = []
for fmt in ("keras", "tf_h5"):
    CASES += [
        Case(f"stacked_last/{fmt}", stacked(), fmt=fmt),
        Case(f"stacked_two_lstm_cells/{fmt}", stacked("llg", return_sequences=True), fmt=fmt),
        Case(f"stacked_seq_state/{fmt}", stacked(return_sequences=True, return_state=True), fmt=fmt),
        Case(f"stacked_backwards/{fmt}", stacked(return_sequences=True, go_backwards=True, return_state=True),
             fmt=fmt),
        Case(f"stacked_backwards_fixed/{fmt}", stacked("gls", steps=7, return_sequences=True, go_backwards=True),
             fmt=fmt),
        Case(f"stacked_masked/{fmt}", stacked(masked=True, return_sequences=True), fmt=fmt, data="padded"),
        Case(f"stacked_masked_zero/{fmt}", stacked(masked=True, return_sequences=True, zero_output_for_mask=True),
             fmt=fmt, data="padded"),
        Case(f"stacked_masked_backwards/{fmt}", stacked("lgs", masked=True, return_sequences=True,
                                                        go_backwards=True, return_state=True), fmt=fmt, data="padded"),
        Case(f"stacked_initial_state/{fmt}", stacked_initial_state, fmt=fmt),
        Case(f"td_sequential/{fmt}", td_sequential, fmt=fmt, data="padded"),
        Case(f"stacked_masked_backwards/{fmt}/resource", stacked("lgs", masked=True, return_sequences=True,
                                                                 go_backwards=True), fmt=fmt, data="padded",
             weights="resource"),
        Case(f"bidi_stacked_concat/{fmt}", bidirectional(return_sequences=True), fmt=fmt),
        Case(f"bidi_stacked_masked/{fmt}", bidirectional(masked=True, return_sequences=True), fmt=fmt,
             data="padded"),
        Case(f"bidi_stacked_sum_last/{fmt}", bidirectional(masked=True, merge_mode="sum"), fmt=fmt, data="padded"),
        Case(f"bidi_stacked_none/{fmt}", bidirectional(merge_mode=None, return_sequences=True), fmt=fmt),
        Case(f"bidi_stacked_ave_mul/{fmt}", bidirectional(merge_mode="ave"), fmt=fmt),
        Case(f"bidi_stacked_mul_seq/{fmt}", bidirectional(merge_mode="mul", return_sequences=True), fmt=fmt),
        Case(f"bidi_stacked_initial_return_state/{fmt}", bidirectional_states(return_sequences=True), fmt=fmt),
        Case(f"bidi_stacked_initial_state_sum_last/{fmt}", bidirectional_states(merge_mode="sum"), fmt=fmt),
        Case(f"bidi_stacked_return_state_none_masked/{fmt}",
             bidirectional_states(initial=False, masked=True, merge_mode=None, return_sequences=True), fmt=fmt,
             data="padded"),
        Case(f"bidi_stacked_return_state_last/{fmt}", bidirectional_states(initial=False, merge_mode="ave"),
             fmt=fmt),
    ]


battery = KerasBattery([(prepare, CASES)], seed=1700, package="k2jtest.stacked", workdir="stacked")
prepared, batch, test_matches_keras = battery.tests()
