"""ConvLSTM2D and ConvLSTM1D against Keras (Keras 3 .keras / .h5 and tf-keras .h5):
padding, strides, dilation, activations, go_backwards, return_sequences / return_state,
variable numbers of frames, stacked layers, per-timestep Keras masks (whole padded
frames, as Keras' RNN masks them) and streaming sessions (one frame per step == Keras
on every prefix); a backwards ConvLSTM has no streaming Session."""
from __future__ import annotations

import pytest

from support.battery import KerasBattery
from support.cases_conv2d import TD, L, convlstm_states, frames, img, masked_frames, prepare, stream_model
from support.cases_recurrent import prepare as prepare_sequence
from support.keras_cases import Case

pytestmark = [pytest.mark.keras, pytest.mark.java, pytest.mark.slow]

CONVLSTM = [
    Case("convlstm2d/valid", img((4, 6, 6, 2), L("ConvLSTM2D", 3, 3))),
    Case("convlstm2d/same_sequences", frames((4, 5, 6, 2), L("ConvLSTM2D", 3, 3, padding="same",
                                                             return_sequences=True))),
    Case("convlstm2d/strides_relu_hard_sigmoid", img((3, 7, 8, 2), L("ConvLSTM2D", 4, (3, 2), strides=2,
                                                                     activation="relu",
                                                                     recurrent_activation="hard_sigmoid"))),
    Case("convlstm2d/dilation_nobias", img((3, 7, 7, 2), L("ConvLSTM2D", 3, 2, dilation_rate=2, use_bias=False,
                                                           padding="same"))),
    Case("convlstm2d/go_backwards_sequences", frames((4, 5, 5, 2), L("ConvLSTM2D", 3, 3, go_backwards=True,
                                                                     return_sequences=True))),
    Case("convlstm2d/variable_steps", frames((None, 5, 6, 2), L("ConvLSTM2D", 3, 3, padding="same",
                                                                return_sequences=True), rnn=True),
         steps=(1, 6)),
    Case("convlstm2d/variable_last", img((None, 5, 6, 2), L("ConvLSTM2D", 3, 3, go_backwards=True)), steps=(1, 6)),
    Case("convlstm2d/return_state", convlstm_states("ConvLSTM2D", (4, 5, 6, 2), padding="same")),
    Case("convlstm2d/stacked", frames((3, 6, 6, 2), L("ConvLSTM2D", 4, 3, padding="same", return_sequences=True),
                                      L("BatchNormalization"), L("ConvLSTM2D", 2, 3, return_sequences=True),
                                      rnn=False)),
    Case("convlstm2d/tf_h5", frames((4, 5, 6, 2), L("ConvLSTM2D", 3, 3, padding="same", return_sequences=True)),
         "tf_h5"),
    Case("convlstm2d/tf_h5_backwards_state", convlstm_states("ConvLSTM2D", (4, 5, 6, 2), go_backwards=True),
         "tf_h5"),
    Case("convlstm2d/tf_h5_variable", img((None, 5, 6, 2), L("ConvLSTM2D", 3, 3, strides=2)), "tf_h5",
         steps=(1, 6)),
    Case("convlstm1d/valid", img((4, 8, 3), L("ConvLSTM1D", 3, 3))),
    Case("convlstm1d/same_sequences_s2", img((4, 9, 3), L("ConvLSTM1D", 3, 3, strides=2, padding="same",
                                                          return_sequences=True))),
    Case("convlstm1d/dilated_backwards", img((None, 9, 2), L("ConvLSTM1D", 3, 2, dilation_rate=3, go_backwards=True,
                                                             recurrent_activation="hard_sigmoid")), steps=(1, 6)),
    Case("convlstm1d/return_state", convlstm_states("ConvLSTM1D", (3, 8, 2))),
    Case("convlstm1d/tf_h5", img((4, 8, 3), L("ConvLSTM1D", 3, 3, padding="same", return_sequences=True)), "tf_h5"),
]

#: ConvLSTM with masks and in streaming sessions, prepared by cases_recurrent.prepare
#: (data="padded": whole timesteps set to the mask value; mode="stream": every prefix
#: through Keras against one Session step per frame).  tf-keras cannot put a per-timestep
#: mask on frames (its TimeDistributed(Reshape) refuses a mask), so the masked rows are
#: Keras 3 files (.keras and legacy .h5).
CONVLSTM_SEQUENCE = [
    Case("convlstm2d/masked_sequences", masked_frames(9, (5, 6, 2), L("ConvLSTM2D", 3, 3, padding="same",
                                                                        return_sequences=True),
                                                      TD("Flatten"), L("LSTM", 4)), data="padded", family="ConvLSTM"),
    Case("convlstm2d/masked_last_strides", masked_frames(9, (7, 8, 2), L("ConvLSTM2D", 4, 3, strides=2),
                                                         L("Flatten"), L("Dense", 3)), data="padded", family="ConvLSTM"),
    Case("convlstm2d/masked_backwards_state", masked_frames(9, (5, 5, 2), L("ConvLSTM2D", 3, 3, go_backwards=True,
                                                                            return_sequences=True, return_state=True),
                                                            outputs=True), data="padded", family="ConvLSTM"),
    Case("convlstm2d/masked_zero_output", masked_frames(9, (5, 6, 2), L("ConvLSTM2D", 3, (3, 2), padding="same",
                                                                        return_sequences=True,
                                                                        zero_output_for_mask=True)),
         data="padded", family="ConvLSTM"),
    Case("convlstm2d/masked_h5", masked_frames(9, (5, 6, 2), L("ConvLSTM2D", 3, 3, return_sequences=True),
                                                  TD("Flatten"), L("GRU", 3)), "h5", data="padded",
         family="ConvLSTM"),
    Case("convlstm1d/masked_sequences", masked_frames(9, (8, 3), L("ConvLSTM1D", 3, 3, dilation_rate=2,
                                                                   return_sequences=True),
                                                      TD("Flatten"), L("SimpleRNN", 4)), data="padded",
         family="ConvLSTM"),
    Case("convlstm1d/masked_h5_state", masked_frames(9, (8, 3), L("ConvLSTM1D", 3, 3, padding="same",
                                                                  return_state=True), outputs=True),
         "h5", data="padded", family="ConvLSTM"),
    Case("convlstm2d/stream_frames", stream_model((None, 6, 6, 2), TD("Conv2D", 3, 3, padding="same",
                                                                      activation="relu"),
                                                  TD("MaxPooling2D", 2),
                                                  L("ConvLSTM2D", 4, 3, padding="same", return_sequences=True),
                                                  TD("GlobalAveragePooling2D"), L("Dense", 3)),
         mode="stream", samples=4, steps=(1, 6), family="ConvLSTM streaming"),
    Case("convlstm2d/stream_stacked_last", stream_model((None, 5, 5, 2), L("ConvLSTM2D", 3, 3,
                                                                           return_sequences=True),
                                                        L("ConvLSTM2D", 2, 3, padding="same"), L("Flatten"),
                                                        L("Dense", 2)),
         mode="stream", samples=4, steps=(1, 6), family="ConvLSTM streaming"),
    Case("convlstm1d/stream_tf_h5", stream_model((None, 8, 3), L("ConvLSTM1D", 3, 3, strides=2), L("Flatten"),
                                                 L("Dense", 2)),
         "tf_h5", mode="stream", samples=4, steps=(1, 6), family="ConvLSTM streaming"),
]


battery = KerasBattery([(prepare, CONVLSTM), (prepare_sequence, CONVLSTM_SEQUENCE)], seed=7600, package="k2jtest.convlstm", workdir="conv_recurrent")
prepared, batch, test_matches_keras = battery.tests()


def test_backwards_convlstm_has_no_session(tmp_path):
    """go_backwards needs the whole sequence: the generated class has no streaming Session."""
    from keras2java import convert
    from support.keras_cases import keras
    k = keras()
    x = k.Input((None, 5, 5, 2))
    forward = k.layers.ConvLSTM2D(2, 3, return_sequences=True)(x)
    path = tmp_path / "m.keras"
    k.Model(x, k.layers.ConvLSTM2D(2, 3, go_backwards=True)(forward)).save(path)
    convert(str(path), str(tmp_path / "out"), package="p", class_name="M")
    text = (tmp_path / "out" / "p" / "M.java").read_text()
    assert "class Session" not in text and "public void resetStates()" in text
    path2 = tmp_path / "m2.keras"
    k.Model(x, forward).save(path2)
    convert(str(path2), str(tmp_path / "out2"), package="p", class_name="M")
    assert "public final class Session" in (tmp_path / "out2" / "p" / "M.java").read_text()
