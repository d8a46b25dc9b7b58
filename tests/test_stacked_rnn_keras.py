"""Issue 13 (part): RNN(StackedRNNCells([...])) of LSTM/GRU/SimpleRNN cells, alone and
inside Bidirectional, with return_sequences / return_state / go_backwards / masks /
initial states, and TimeDistributed around a nested Sequential model of per-step
layers, against Keras 3 (.keras) and tf-keras (.h5)."""
from __future__ import annotations

import pytest

from support.cases_ops import prepare
from support.cases_stacked import CASES
from support.harness import JavaBatch

pytestmark = [pytest.mark.keras, pytest.mark.java, pytest.mark.slow]


@pytest.fixture(scope="module")
def batch(tmp_path_factory):
    return JavaBatch.of_cases(tmp_path_factory.mktemp("stacked"), CASES, prepare, 1700, "k2jtest.stacked")


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_matches_keras(case, batch):
    err = batch.cases[case.id].check(case.tol)
    print(f"{case.id}: max error {err:.3g}")


def test_time_distributed_sub_network_with_its_own_time_axis_is_refused(tmp_path):
    """A per-character LSTM inside TimeDistributed needs a time axis per step: refused, naming it."""
    import keras

    from keras2java import Keras2JavaError, convert
    inner = keras.Sequential([keras.Input((7,)), keras.layers.Embedding(30, 4), keras.layers.LSTM(3)])
    x = keras.Input((None, 7))
    path = tmp_path / "chars.keras"
    keras.Model(x, keras.layers.TimeDistributed(inner)(x)).save(path)
    with pytest.raises(Keras2JavaError) as err:
        convert(str(path), str(tmp_path / "out"), package="p", class_name="M")
    assert "TimeDistributed" in str(err.value) and "(LSTM)" in str(err.value)
