"""Issue 13 (part): RNN(StackedRNNCells([...])) of LSTM/GRU/SimpleRNN cells, alone and
inside Bidirectional, with return_sequences / return_state / go_backwards / masks /
initial states, and TimeDistributed around a nested Sequential model of per-step
layers (sub-networks with their own time axis: test_td_models_keras), against Keras 3 (.keras) and tf-keras (.h5)."""
from __future__ import annotations

import pytest

from support.cases_ops import prepare
from support.cases_stacked import CASES
from support.harness import keras_case_tests

pytestmark = [pytest.mark.keras, pytest.mark.java, pytest.mark.slow]


batch, test_matches_keras = keras_case_tests(CASES, prepare, 1700, "k2jtest.stacked", "stacked")

