"""Flatten, Reshape, Permute, RepeatVector, UpSampling1D, ZeroPadding1D and Cropping1D
on sequences (fixed and variable numbers of timesteps; Reshape((-1, ...)) of a variable
count) and on images (Flatten / Reshape / Permute of 4-D tensors, CRNN spectrogram
models), against Keras (Keras 3 .keras / .h5 and tf-keras .h5); the sequence rows also
check keras2java's numpy reference.  A Reshape may move the variable size to another axis
(``(T, 4)`` -> ``(2, 2T)``).  Reshapes keras2java cannot place are refused, and Java
refuses a timestep count the Reshape cannot divide."""
from __future__ import annotations

import numpy as np
import pytest

from support.battery import KerasBattery
from support.cases_conv2d import crnn, crnn_permute, crnn_variable, img
from support.cases_conv2d import prepare as prepare_image
from support.cases_sequence import L, prepare, reshape_merge, seq
from support.keras_cases import Case, keras
from support.util import refusal_text

pytestmark = pytest.mark.keras

SHAPE = [
    Case("flatten", seq((6, 4), L("Flatten"), L("Dense", 3))),
    Case("reshape", seq((24,), L("Reshape", (6, 4)), L("LSTM", 3))),
    Case("reshape/minus1", seq((4, 6), L("Reshape", (-1, 3)), L("LSTM", 3))),
    Case("permute", seq((5, 3), L("Permute", (2, 1)), L("LSTM", 3))),
    Case("repeat_vector", seq((4,), L("Dense", 3), L("RepeatVector", 5), L("LSTM", 3, return_sequences=True),
                              head=False)),
    Case("upsampling", seq((None, 3), L("UpSampling1D", 3)), steps=(1, 6)),
    Case("zeropadding", seq((None, 3), L("ZeroPadding1D", (1, 2))), steps=(1, 6)),
    Case("cropping", seq((None, 3), L("Cropping1D", (1, 2))), steps=(4, 9)),
    Case("shape/tf_h5", seq((5, 3), L("ZeroPadding1D", 2), L("Cropping1D", (1, 0)), L("UpSampling1D", 2),
                            L("Permute", (2, 1)), L("Reshape", (6, 8))), "tf_h5"),
    # Reshape((-1, ...)) of a variable number of timesteps T: the output has its own count
    Case("reshape/variable_double", seq((None, 4), L("Reshape", (-1, 2)), L("LSTM", 3)), steps=(1, 8)),  # 2T
    Case("reshape/variable_rank3", seq((None, 2, 3), L("Reshape", (-1, 3)), L("Conv1D", 4, 2, padding="same")),
         steps=(1, 8)),                                                                                    # 2T
    Case("reshape/variable_same_width", seq((None, 6), L("Reshape", (-1, 3, 2)), L("Reshape", (-1, 2)),
                                            L("GRU", 3)), steps=(1, 8)),                                   # T, 3T
    Case("reshape/variable_masked", seq((None, 4), L("Masking"), L("Reshape", (-1, 2)), L("LSTM", 3)),
         steps=(1, 8)),                                                                 # the mask is dropped
    Case("reshape/variable_double/tf_h5", seq((None, 4), L("Reshape", (-1, 2)), L("LSTM", 3)), "tf_h5",
         steps=(1, 8)),
    Case("reshape/variable_of_the_input_as_output", seq((None, 4), L("Reshape", (-1, 2)), head=False),
         steps=(1, 8)),
    Case("reshape/variable_merge", reshape_merge, steps=(1, 8)),
    Case("reshape/variable_merge/h5", reshape_merge, "h5", steps=(1, 8)),
    # ... and where T must be even (prepare keeps even lengths; an odd one is refused in Java)
    Case("reshape/variable_even_halve", seq((None, 6), L("Reshape", (-1, 12)), L("GRU", 3)), steps=(2, 12)),  # T/2
    Case("reshape/variable_even_3_2", seq((None, 6), L("Reshape", (-1, 4)), L("Conv1D", 3, 2, padding="causal")),
         steps=(2, 12)),                                                                                 # 3T/2
    Case("reshape/variable_even_output", seq((None, 6), L("Dense", 4), L("Reshape", (-1, 8)), head=False),
         steps=(2, 12)),
    Case("reshape/variable_even_halve/tf_h5", seq((None, 6), L("Reshape", (-1, 12)), L("GRU", 3)), "tf_h5",
         steps=(2, 12)),
]

# the variable size moved to another axis: (T, 4) -> Reshape((2, -1)) -> (2, 2T)
VARIABLE_AXIS = [
    Case("reshape/variable_to_second_axis", seq((None, 4), L("Reshape", (2, -1)), head=False), steps=(1, 9),
         samples=4),
    Case("reshape/variable_to_second_axis/tf_h5", seq((None, 4), L("Reshape", (2, -1)), head=False), "tf_h5",
         steps=(1, 9), samples=4),
    # (T, 3) -> (2, 3T/2): T must be even; then Dense per row and back to the time axis
    Case("reshape/variable_even_to_middle_axis", seq((None, 3), L("Reshape", (2, -1, 3)), L("Dense", 2),
                                                L("Reshape", (-1, 4)), L("LSTM", 3)), steps=(2, 10), samples=4),
    Case("reshape/variable_even_to_middle_axis/tf_h5", seq((None, 3), L("Reshape", (2, -1, 3)), L("Dense", 2),
                                                      L("Reshape", (-1, 4)), L("GRU", 3)), "tf_h5",
         steps=(2, 10), samples=4),
    Case("reshape/variable_even_to_last_axis", seq((None, 3), L("Reshape", (2, -1)), head=False), steps=(2, 10),
         samples=4),
]

IMAGE_SHAPE = [
    Case("flatten4d", img((4, 5, 3), L("Flatten"), L("Dense", 3))),
    Case("flatten4d/channels_first", img((3, 4, 5), L("Conv2D", 2, 2, data_format="channels_first"),
                                         L("Flatten", data_format="channels_first"), L("Dense", 3))),
    Case("flatten4d/tf_h5_channels_first", img((3, 4, 5), L("Flatten", data_format="channels_first"),
                                               L("Dense", 3)), "tf_h5"),
    Case("reshape4d_to_seq", img((4, 5, 3), L("Reshape", (4, 15)), L("LSTM", 3))),
    Case("permute4d", img((4, 5, 3), L("Permute", (3, 1, 2)), L("Reshape", (3, 20)), L("LSTM", 3))),
    Case("permute4d/tf_h5", img((4, 5, 3), L("Permute", (2, 3, 1)), L("Reshape", (5, 12)), L("GRU", 3)), "tf_h5"),
    Case("crnn", crnn),
    Case("crnn/tf_h5", crnn, "tf_h5"),
    Case("crnn_permute", crnn_permute),
    Case("crnn_permute/tf_h5", crnn_permute, "tf_h5"),
    Case("crnn_variable", crnn_variable, steps=(1, 9)),
    Case("crnn_variable/tf_h5", crnn_variable, "tf_h5", steps=(1, 9)),
]


battery = KerasBattery([(prepare, SHAPE, True), (prepare_image, IMAGE_SHAPE), (prepare, VARIABLE_AXIS, True)],
                       seed=5200, package="k2jtest.shape", workdir="shape")
prepared, batch, test_matches_keras = battery.tests()
test_reference_matches_keras = battery.test_reference_matches_keras()


@pytest.mark.java
@pytest.mark.slow
def test_reshape_of_an_odd_number_of_timesteps_is_refused_in_java(batch):
    """Reshape((-1, 12)) of (T, 6) needs an even T (Keras fails at run time too); Java says
    what the count must be a multiple of, and the even lengths around it still run."""
    result = batch.run_one("reshape/variable_even_halve", [np.zeros((5, 6), "f4")])
    assert "IllegalArgumentException" in result
    assert "reshape" in result and "[timesteps, 6] to [timesteps, 12]" in result
    assert "multiple of 2, got 5" in result
    result = batch.run_one("reshape/variable_even_3_2", [np.zeros((3, 6), "f4")])
    assert "IllegalArgumentException" in result and "multiple of 2, got 3" in result
    ok = batch.run_one("reshape/variable_even_3_2", [np.zeros((4, 6), "f4")])
    assert not isinstance(ok, str) and np.isfinite(ok[0]).all()


@pytest.mark.java
@pytest.mark.slow
def test_reshape_to_another_axis_that_does_not_divide_is_refused_in_java(batch):
    """Reshape((2, -1)) of (T, 3) needs an even T (3T floats in two rows): Java names both
    shapes and the multiple."""
    result = batch.run_one("reshape/variable_even_to_last_axis", [np.zeros((5, 3), "f4")])
    assert "IllegalArgumentException" in result
    assert "[timesteps, 3] to [2, ?]" in result and "multiple of 2, got 5" in result


def test_variable_length_reshapes_keras2java_cannot_place_are_refused(tmp_path):
    """Of (T, 4): Reshape((8, 2)) has no -1, Reshape((-1,)) and Flatten give a flat vector
    of variable length: one error naming each layer and why (Reshape((2, -1)) converts)."""
    k = keras()
    x = k.Input((None, 4))
    outs = [k.layers.Reshape((2, -1), name="r_second")(x), k.layers.Reshape((8, 2), name="r_fixed")(x),
            k.layers.Reshape((-1,), name="r_flat")(x), k.layers.Flatten(name="flat_var")(x)]
    text = refusal_text(k.Model(x, outs), tmp_path)
    assert "r_second" not in text
    assert "r_fixed" in text and "on no axis (no -1)" in text
    assert "r_flat" in text and "flat vector of variable length" in text
    assert "flat_var" in text and "Flatten would give a flat vector of variable length" in text
