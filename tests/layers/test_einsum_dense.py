"""EinsumDense (Keras 3 and tf-keras): equations that contract one group of axes,
lowered to permutes around a Dense, with bias_axes on kernel axes (folded into the
Dense), on input axes, chained and permuted, and activations.  Each row is built with
Keras at test time, saved, converted, compiled and compared with ``model.predict``
within 1e-5; the same rows check keras2java's numpy reference."""
from __future__ import annotations

import pytest

from support.battery import KerasBattery
from support.cases_masked_layers import forms
from support.cases_masked_layers import prepare as prepare_masked
from support.keras_cases import Case, prepare

pytestmark = pytest.mark.keras


def einsum(shape, equation, output_shape, **kw):
    def build(k):
        return k.Sequential([k.Input(shape), k.layers.EinsumDense(equation, output_shape=output_shape, **kw)])
    return build


ROWS = [
    ("dense", (5,), "ab,bc->ac", 4, {"bias_axes": "c"}),
    ("dense_tanh", (5,), "ab,bc->ac", 3, {"bias_axes": "c", "activation": "tanh"}),
    ("no_bias", (5,), "ab,bc->ac", 3, {}),
    ("seq", (4, 5), "abc,cd->abd", (4, 3), {"bias_axes": "d"}),
    ("seq_bias_time", (4, 5), "abc,cd->abd", (4, 3), {"bias_axes": "bd", "activation": "relu"}),
    ("seq_bias_time_only", (4, 5), "abc,cd->abd", (4, 3), {"bias_axes": "b"}),
    ("heads", (4, 6), "abc,cde->abde", (4, 2, 3), {"bias_axes": "de"}),
    ("heads_bias_e", (4, 6), "abc,cde->abde", (4, 2, 3), {"bias_axes": "e"}),
    ("heads_bias_d", (4, 6), "abc,cde->abde", (4, 2, 3), {"bias_axes": "d", "activation": "sigmoid"}),
    ("merge_heads", (4, 2, 3), "abcd,cde->abe", (4, 5), {"bias_axes": "e"}),
    ("rank4", (3, 4, 5), "abcd,de->abce", (3, 4, 2), {"bias_axes": "ce"}),
    ("permuted_out", (4, 5), "abc,cd->adb", (3, 4), {"bias_axes": "db"}),
    ("permuted_in", (5, 4), "acb,cd->abd", (4, 3), {"bias_axes": "d"}),
    ("kernel_permuted", (4, 6), "abc,dce->abed", (4, 3, 2), {"bias_axes": "ed"}),
    ("ellipsis", (4, 5), "...b,bc->...c", 3, {"bias_axes": "c"}),
]

CASES = [Case(f"{name}/{fmt}", einsum(shape, eq, out, **kw), fmt)
         for name, shape, eq, out, kw in ROWS for fmt in ("keras", "tf_h5")]
CASES.append(Case("heads_bias_d/h5", einsum((4, 6), "abc,cde->abde", (4, 2, 3), bias_axes="d"), "h5"))
# tf-keras adds a (2, 1) bias by broadcasting also where the last axis has 2 values (Keras 3 does not: refused below)
CASES.append(Case("heads_bias_d_square/tf_h5", einsum((6, 6), "abc,cde->abde", (6, 2, 2), bias_axes="d"), "tf_h5"))
CASES += [Case(f"variable_steps/{fmt}", einsum((None, 5), "abc,cd->abd", (None, 3), bias_axes="d", activation="relu"),
               fmt, steps=(1, 7)) for fmt in ("keras", "tf_h5")]



def masked_into_lstm(k):
    """EinsumDense drops the Keras mask (no supports_masking): the LSTM after it sees none."""
    x = k.Input((6, 4))
    y = k.layers.EinsumDense("abc,cd->abd", (6, 3), bias_axes="d")(k.layers.Masking(0.0)(x))
    return k.Model(x, k.layers.LSTM(3)(y))


MASKED = forms("masked_input_dropped", masked_into_lstm)

battery = KerasBattery([(prepare, CASES, True), (prepare_masked, MASKED)], seed=8800, package="k2jtest.einsum_dense", workdir="einsum_dense")
prepared, batch, test_matches_keras = battery.tests()
test_reference_matches_keras = battery.test_reference_matches_keras()


@pytest.mark.parametrize("equation,shape,output_shape,why", [
    ("abc,bcd->abcd", (4, 5), (4, 5, 3), "batched over the kernel"),
    ("abc,cd->ad", (4, 5), 3, "summed without the kernel"),
    ("ab,c->abc", (4,), (4, 3), "contracts no axis"),
    ("abc,dc->adb", (None, 5), (3, None), "variable axis"),
])
def test_equations_that_are_not_one_matrix_product_are_refused(tmp_path, equation, shape, output_shape, why):
    """Einsums keras2java cannot lower to a Dense are refused by layer name, nothing written."""
    from keras2java import UnsupportedModelError, convert
    from support.keras_cases import keras

    k = keras()
    k.Sequential([k.Input(shape), k.layers.EinsumDense(equation, output_shape, name="ed")]).save(tmp_path / "m.keras")
    with pytest.raises(UnsupportedModelError) as err:
        convert(str(tmp_path / "m.keras"), str(tmp_path / "out"), package="p", class_name="M")
    assert "'ed'" in str(err.value) and why in str(err.value)
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("fmt", ["keras", "h5"])
def test_keras3_tensorflow_bias_add_quirk_is_refused(tmp_path, fmt):
    """Keras 3's TensorFlow ``ops.add`` turns ``x + bias`` into ``tf.nn.bias_add`` when the bias
    squeezes to one axis whose size x's last axis also has: a ``(2, 1)`` bias (``bias_axes="d"``
    of ``abc,cde->abde`` with d = e = 2) is then added along e, not d.  The first half shows Keras
    still does so: when it stops, lift the refusal in ops/einsum_dense.py."""
    import numpy as np

    from keras2java import UnsupportedModelError, convert
    from support.keras_cases import keras

    k = keras()
    model = k.Sequential([k.Input((6, 6)), k.layers.EinsumDense("abc,cde->abde", (6, 2, 2), bias_axes="d",
                                                                name="ed")])
    rng = np.random.default_rng(4)
    kernel, bias = (rng.normal(size=w.shape).astype("float32") for w in model.get_weights())
    model.set_weights([kernel, bias])
    x = rng.normal(size=(1, 6, 6)).astype("float32")
    plain = np.einsum("abc,cde->abde", x, kernel)
    got = np.asarray(model(x))
    assert np.abs(got - (plain + bias.reshape(2))).max() < 1e-5, \
        "Keras 3 no longer adds the (2, 1) bias along the last axis: lift the refusal in ops/einsum_dense.py"
    assert np.abs(got - (plain + bias)).max() > 1e-3
    path = tmp_path / f"m.{fmt}"
    model.save(path)
    with pytest.raises(UnsupportedModelError) as err:
        convert(str(path), str(tmp_path / "out"), package="p", class_name="M")
    assert "'ed'" in str(err.value) and "adds the (2, 1) bias along output axis 3 of (6, 2, 2)" in str(err.value)
    assert not (tmp_path / "out").exists()
