"""Issue 13 (part): TimeDistributed around a layer or a nested Sequential / Functional
sub-network with its own time axis per step (a per-character LSTM inside a tagger, a
char-CNN, an LSTM or Conv1D per frame): the sub-graph runs once per outer step.  Against
Keras 3 (.keras) and tf-keras (.h5), masks inside the sub-network as Keras applies them."""
from __future__ import annotations

import pytest

from support.cases_td_models import CASES, prepare
from support.harness import keras_case_tests
from support.util import refusal_text

pytestmark = [pytest.mark.keras, pytest.mark.java, pytest.mark.slow]


batch, test_matches_keras = keras_case_tests(CASES, prepare, 1900, "k2jtest.tdm", "td_models")


def test_mask_reaching_a_sub_network_is_refused(tmp_path):
    """An outer Keras mask would be handed to the sub-model's first layer per step: refused, naming it."""
    import keras
    inner = keras.Sequential([keras.Input((4,)), keras.layers.Reshape((4, 1)), keras.layers.LSTM(2)])
    x = keras.Input((None, 4))
    h = keras.layers.TimeDistributed(inner, name="td_masked")(keras.layers.Masking(0.0)(x))
    text = refusal_text(keras.Model(x, h), tmp_path)
    assert "td_masked" in text and "mask" in text


def test_tf_keras_sub_network_with_a_masked_output_is_refused(tmp_path):
    """tf-keras' TimeDistributed passes the sub-network's output mask on per step (2-D): refused."""
    from keras2java import Keras2JavaError, convert
    from support.cases_td_models import char_lstm
    from support.keras_cases import tf_keras

    path = tmp_path / "seq.h5"
    char_lstm("sequences")(tf_keras()).save(str(path))
    with pytest.raises(Keras2JavaError) as err:
        convert(str(path), str(tmp_path / "out"), package="p", class_name="M")
    assert "time_distributed" in str(err.value) and "output carries a Keras mask" in str(err.value)
    assert not (tmp_path / "out").exists()


def test_inspect_lists_the_sub_network_weights(tmp_path):
    import keras

    from keras2java.inspect_model import describe
    from keras2java.pipeline import load
    inner = keras.Sequential([keras.Input((5,)), keras.layers.Embedding(9, 2, mask_zero=True),
                              keras.layers.LSTM(3, name="char_rnn")])
    x = keras.Input((None, 5))
    path = tmp_path / "m.keras"
    keras.Model(x, keras.layers.TimeDistributed(inner)(x)).save(path)
    text = describe(load(str(path)))
    assert "TimeDistributed" in text and "(12,) -> b_o (bias, output gate) [char_rnn]" in text
