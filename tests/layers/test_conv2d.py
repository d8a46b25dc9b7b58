"""Issue 14: image layers and TimeDistributed over frames against Keras
(Keras 3 .keras and tf-keras .h5 files), compiled and run in Java."""
from __future__ import annotations

import numpy as np
import pytest

from support.cases_conv2d import CASES, CONVLSTM_SEQUENCE, prepare
from support.harness import JavaBatch, keras_case_tests

pytestmark = [pytest.mark.keras, pytest.mark.java, pytest.mark.slow]


batch, test_matches_keras = keras_case_tests(CASES, prepare, 7000, "k2jtest.img", "conv2d")


def test_too_small_image_is_refused_in_java(batch):
    """A valid convolution along a variable height needs at least the kernel's span; Java says so."""
    result = batch.run_one("conv2d/variable_height_valid", [np.zeros((2, 6, 2), "f4")])
    assert "IllegalArgumentException" in result and "needs at least 3 rows, got 2" in result


def test_unsupported_image_options_are_refused_together(tmp_path):
    """bicubic upsampling and a ConvLSTM2D on channels_first frames: one error naming each
    layer, nothing written.  (TimeDistributed around a Functional model converts: test_td_models_keras.)"""
    from keras2java import UnsupportedModelError, convert
    from support.keras_cases import keras
    k = keras()
    x1, x2 = k.Input((4, 5, 2)), k.Input((3, 2, 5, 5))
    a = k.layers.UpSampling2D(2, interpolation="bicubic", name="up_bicubic")(x1)
    b = k.layers.ConvLSTM2D(2, 3, data_format="channels_first", name="convlstm_cf")(x2)
    model = k.Model([x1, x2], [a, b])
    path = tmp_path / "bad.keras"
    model.save(path)
    with pytest.raises(UnsupportedModelError) as err:
        convert(str(path), str(tmp_path / "out"), package="p", class_name="M")
    text = str(err.value)
    assert "up_bicubic" in text and "bicubic" in text
    assert "convlstm_cf" in text and "channels_first" in text
    assert not (tmp_path / "out").exists()


@pytest.fixture(scope="module")
def seq_batch(tmp_path_factory):
    from support.cases_recurrent import harness_mode
    from support.cases_recurrent import prepare as prepare_sequence
    work = tmp_path_factory.mktemp("convlstm_seq")
    b = JavaBatch(work)
    for n, case in enumerate(CONVLSTM_SEQUENCE):
        path, samples, expected = prepare_sequence(case, work, seed=7600 + n)
        b.add(case.id, path, samples, expected, package=f"k2jtest.cls.c{n}", class_name="M",
              mode=harness_mode(case, samples))
    b.run()
    return b


@pytest.mark.parametrize("case", CONVLSTM_SEQUENCE, ids=[c.id for c in CONVLSTM_SEQUENCE])
def test_convlstm_masks_and_streaming_match_keras(case, seq_batch):
    """Masked ConvLSTM (whole padded timesteps, as Keras' RNN masks them) and streaming
    sessions (one frame per step == Keras on every prefix)."""
    err = seq_batch.cases[case.id].check(case.tol)
    print(f"{case.id}: max error {err:.3g}")


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
