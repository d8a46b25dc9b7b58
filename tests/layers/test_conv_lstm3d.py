"""ConvLSTM3D against Keras (Keras 3 .keras files and tf-keras .h5, both weight modes):
valid / same padding, strides, dilation, no bias, activations, go_backwards,
return_sequences and return_state, fixed and variable timesteps (also checking
keras2java's numpy reference); and, in a batch of their own, masked timesteps (whole
padded volumes) and streaming sessions (one volume per Session step == Keras on every
prefix)."""
from __future__ import annotations

from dataclasses import replace

import pytest

from support.battery import KerasBattery
from support.cases_conv2d import TD, L, frames, img, masked_frames, prepare, stream_model
from support.harness import JavaBatch
from support.keras_cases import Case

pytestmark = [pytest.mark.keras, pytest.mark.java, pytest.mark.slow]


def vol(shape, *layers):
    """Input(shape) -> layers: the volume itself is the output, compared value by value (a
    Dense head over hundreds of values would add float32 summation noise near the tolerance)."""
    return img(shape, *layers, head=False)


def convlstm3d_states(shape, **kw):
    """A ConvLSTM3D with return_state: the output and both states are model outputs."""
    def build(k):
        x = k.Input(shape)
        out, h, c = k.layers.ConvLSTM3D(2, 3, return_state=True, **kw)(x)
        return k.Model(x, [out, h, c])
    return build


CONVLSTM = [
    Case("convlstm3d/valid", vol((3, 4, 5, 5, 2), L("ConvLSTM3D", 3, 3)), samples=8),
    Case("convlstm3d/same_sequences", frames((3, 4, 4, 5, 2), L("ConvLSTM3D", 2, 3, padding="same",
                                                                return_sequences=True)), samples=8),
    Case("convlstm3d/strides_relu_hard_sigmoid", vol((3, 5, 5, 6, 2), L("ConvLSTM3D", 2, (3, 2, 3), strides=2,
                                                                        activation="relu",
                                                                        recurrent_activation="hard_sigmoid")),
         samples=8),
    Case("convlstm3d/dilation_nobias", vol((3, 4, 5, 5, 2), L("ConvLSTM3D", 2, 2, dilation_rate=(1, 2, 2),
                                                              use_bias=False, padding="same")), samples=8),
    Case("convlstm3d/go_backwards_sequences", frames((3, 4, 4, 4, 2), L("ConvLSTM3D", 2, 3, go_backwards=True,
                                                                        return_sequences=True)), samples=8),
    Case("convlstm3d/variable_steps", frames((None, 3, 4, 4, 2), L("ConvLSTM3D", 2, 3, padding="same",
                                                                   return_sequences=True)), steps=(1, 4), samples=8),
    Case("convlstm3d/return_state", convlstm3d_states((3, 4, 4, 5, 2), padding="same"), samples=8),
    Case("convlstm3d/tf_h5", frames((3, 4, 4, 5, 2), L("ConvLSTM3D", 2, 3, padding="same", return_sequences=True)),
         "tf_h5", samples=8),
    Case("convlstm3d/tf_h5_backwards_state", convlstm3d_states((3, 4, 4, 5, 2), go_backwards=True), "tf_h5",
         samples=8),
]

#: both weight modes: weights in the generated class, and in a resource file next to it
WEIGHT_MODES = [replace(CONVLSTM[1], id=f"{CONVLSTM[1].id}/{mode}", weights=mode) for mode in ("embedded", "resource")]

CASES = CONVLSTM + WEIGHT_MODES

battery = KerasBattery([(prepare, CASES, True)], seed=8400, package="k2jtest.convlstm3d", workdir="conv_lstm3d")
prepared, batch, test_matches_keras = battery.tests()
test_reference_matches_keras = battery.test_reference_matches_keras()


@pytest.fixture(scope="module")
def seq_batch(tmp_path_factory):
    from support.cases_recurrent import harness_mode
    from support.cases_recurrent import prepare as prepare_sequence
    work = tmp_path_factory.mktemp("convlstm3d_seq")
    b = JavaBatch(work)
    for n, case in enumerate(CONVLSTM_SEQUENCE):
        path, samples, expected = prepare_sequence(case, work, seed=8600 + n)
        b.add(case.id, path, samples, expected, package=f"k2jtest.vseq.c{n}", class_name="M",
              mode=harness_mode(case, samples))
    b.run()
    return b


#: masked (whole padded timesteps) and streaming (one volume per Session step == Keras on
#: every prefix) ConvLSTM3D, prepared by cases_recurrent.prepare
CONVLSTM_SEQUENCE = [
    Case("convlstm3d/masked_sequences", masked_frames(6, (3, 4, 4, 2), L("ConvLSTM3D", 2, 3, padding="same",
                                                                          return_sequences=True),
                                                       TD("Flatten"), L("LSTM", 3)),
         data="padded", family="ConvLSTM3D", samples=8),
    Case("convlstm3d/stream_frames", stream_model((None, 3, 4, 4, 2), TD("Conv3D", 2, 3, padding="same",
                                                                          activation="relu"),
                                                    L("ConvLSTM3D", 2, 3, padding="same", return_sequences=True),
                                                    TD("GlobalAveragePooling3D"), L("Dense", 2)),
         mode="stream", samples=3, steps=(1, 4), family="ConvLSTM3D streaming"),
]


@pytest.mark.parametrize("case", CONVLSTM_SEQUENCE, ids=[c.id for c in CONVLSTM_SEQUENCE])
def test_convlstm3d_masks_and_streaming_match_keras(case, seq_batch):
    err = seq_batch.cases[case.id].check(case.tol)
    print(f"{case.id}: max error {err:.3g}")
