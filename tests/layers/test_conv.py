"""Issue 5: convolution, pooling, normalization and shape layers around
recurrent nets, each option against Keras (Keras 3 .keras files and tf-keras
.h5 files), plus the composite models the issue names."""
from __future__ import annotations

import numpy as np
import pytest

from support.cases_sequence import CASES, prepare
from support.harness import keras_case_tests
from support.keras_cases import keras
from support.util import refusal_text

pytestmark = pytest.mark.keras


batch, test_matches_keras = keras_case_tests(CASES, prepare, 5000, "k2jtest.seq", "sequence")
test_matches_keras = pytest.mark.slow(pytest.mark.java(test_matches_keras))


@pytest.mark.java
@pytest.mark.slow
def test_too_few_timesteps_is_refused_in_java(batch):
    """A valid convolution needs at least its kernel's span; Java says so."""
    result = batch.run_one("conv1d/variable_valid_strided", [np.zeros((2, 3), "f4")])
    assert "IllegalArgumentException" in result and "needs at least 3 timesteps, got 2" in result


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


def test_variable_length_reshapes_keras2java_cannot_place_are_refused(tmp_path):
    """Of (T, 4): Reshape((2, -1)) puts the variable size on the second axis, Reshape((8, 2))
    has no -1, Reshape((-1,)) and Flatten give a flat vector of variable length: one error
    naming each layer and why."""
    k = keras()
    x = k.Input((None, 4))
    outs = [k.layers.Reshape((2, -1), name="r_second")(x), k.layers.Reshape((8, 2), name="r_fixed")(x),
            k.layers.Reshape((-1,), name="r_flat")(x), k.layers.Flatten(name="flat_var")(x)]
    text = refusal_text(k.Model(x, outs), tmp_path)
    assert "r_second" in text and "on another axis than the first" in text
    assert "r_fixed" in text and "on no axis (no -1)" in text
    assert "r_flat" in text and "flat vector of variable length" in text
    assert "flat_var" in text and "Flatten would give a flat vector of variable length" in text


def test_unsupported_options_are_refused_together(tmp_path):
    """channels_first data, a non-trailing LayerNormalization axis, a Permute
    of a variable time axis and a Lambda in the graph: one error naming each
    layer, nothing written."""
    k = keras()
    x1, x2, x3 = k.Input((4, 6)), k.Input((5, 4)), k.Input((None, 4))
    h = k.layers.Conv1D(3, 2, data_format="channels_first", name="conv_cf")(x1)
    a = k.layers.LayerNormalization(axis=1, name="ln_time")(k.layers.Dense(4)(x2))
    p = k.layers.Permute((2, 1), name="perm_var")(x3)
    lam = k.layers.Lambda(lambda t: t * 2.0, name="doubler")(k.layers.Dense(3)(x2))
    text = refusal_text(k.Model([x1, x2, x3], [h, a, p, lam]), tmp_path)
    assert "conv_cf" in text and "channels_first" in text
    assert "ln_time" in text and "trailing" in text
    assert "perm_var" in text and "fixed input shape" in text
    assert "doubler" in text and "Lambda layers hold Python code" in text   # never run, never unpickled
