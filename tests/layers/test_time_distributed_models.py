"""TimeDistributed around a layer or a nested Sequential / Functional
sub-network with its own time axis per step (a per-character LSTM inside a tagger, a
char-CNN, an LSTM or Conv1D per frame): the sub-graph runs once per outer step.  Against
Keras 3 (.keras) and tf-keras (.h5), masks inside the sub-network as Keras applies them."""
from __future__ import annotations

import pytest

from support.battery import KerasBattery
from support.cases_td_models import (char_cnn_functional, char_lstm, functional_cnn_frames, masked_frames, nested_loops,
                                     per_frame_conv, per_frame_lstm, prepare, tagger)
from support.keras_cases import Case
from support.util import refusal_text

pytestmark = [pytest.mark.keras, pytest.mark.java, pytest.mark.slow]

CASES = [Case("td_char_lstm_sequences/keras", char_lstm("sequences"), data="chars", family="TimeDistributed")]
for fmt in ("keras", "tf_h5"):
    CASES += [
        Case(f"td_char_lstm/{fmt}", char_lstm(), fmt=fmt, data="chars", family="TimeDistributed"),
        Case(f"td_char_gru_backwards/{fmt}", char_lstm("gru"), fmt=fmt, data="chars", family="TimeDistributed"),
        Case(f"td_char_bidirectional/{fmt}", char_lstm("bidi"), fmt=fmt, data="chars", family="TimeDistributed"),
        Case(f"td_char_lstm_unmasked/{fmt}", char_lstm(mask_zero=False), fmt=fmt, data="chars",
             family="TimeDistributed"),
        Case(f"td_tagger/{fmt}", tagger, fmt=fmt, data="chars", family="TimeDistributed"),
        Case(f"td_tagger/{fmt}/resource", tagger, fmt=fmt, data="chars", weights="resource",
             family="TimeDistributed"),
        Case(f"td_char_cnn_functional/{fmt}", char_cnn_functional, fmt=fmt, data="chars", family="TimeDistributed"),
        Case(f"td_frame_lstm/{fmt}", per_frame_lstm, fmt=fmt, family="TimeDistributed"),
        Case(f"td_frame_conv/{fmt}", per_frame_conv, fmt=fmt, family="TimeDistributed"),
        Case(f"td_functional_cnn/{fmt}", functional_cnn_frames, fmt=fmt, family="TimeDistributed"),
        Case(f"td_masked_frames/{fmt}", masked_frames, fmt=fmt, data="frames_padded", family="TimeDistributed"),
        Case(f"td_nested_loops/{fmt}", nested_loops, fmt=fmt, family="TimeDistributed"),
    ]


battery = KerasBattery([(prepare, CASES)], seed=1900, package="k2jtest.tdm", workdir="td_models")
prepared, batch, test_matches_keras = battery.tests()


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
