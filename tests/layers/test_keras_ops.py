"""Keras 3 operation nodes that compute (keras.ops arithmetic, comparisons, reductions
and elementwise functions recorded in Functional configs), masks computed by them,
merged masks of masked branches, and dict / nested input and output structures, against
Keras (.keras); every operation of keras2java.ops.keras_ops is built by some row;
unsupported operations, operations in Keras 3 .h5 files and tensors of more than five
axes are refused by name.  (Slicing, shape and concatenation operations:
test_keras_ops_shape.py.)"""
from __future__ import annotations

import pytest

from support.battery import KerasBattery
from support.cases_ops import (arithmetic, comparisons, dict_ports, elementwise, explicit_mask, masked_merges,
                               masked_merges_mixed, nested_ports, prepare, reductions, saved_classes)
from support.keras_cases import Case
from support.util import refusal_text

pytestmark = [pytest.mark.keras, pytest.mark.java, pytest.mark.slow]

CASES = [
    Case("ops_arithmetic", arithmetic),
    Case("ops_arithmetic/resource", arithmetic, weights="resource"),     # constants from the weights resource
    Case("ops_comparisons", comparisons),
    Case("ops_reductions", reductions),
    Case("ops_elementwise", elementwise),
    Case("ops_masked_merges_mixed", masked_merges_mixed, data="padded"),
    Case("ops_explicit_mask", explicit_mask, data="padded"),
    Case("masked_merges/keras", masked_merges, data="tokens_padded"),
    Case("masked_merges/tf_h5", masked_merges, fmt="tf_h5", data="tokens_padded"),
    Case("masked_merges/resource", masked_merges, data="tokens_padded", weights="resource"),
    Case("ops_dict_ports", dict_ports),
    Case("ops_nested_ports", nested_ports),
]

#: Every operation keras2java.ops.keras_ops converts; each must be built by some case above (checked
#: below), but for those only the rows of tests/layers/test_keras_ops_shape.py build.
OPERATIONS = (
    "ops.Add", "ops.Subtract", "ops.Multiply", "ops.Divide", "ops.TrueDivide", "ops.Power",
    "ops.Maximum", "ops.Minimum", "ops.Mod", "ops.FloorDivide", "ops.Negative", "ops.Equal", "ops.NotEqual",
    "ops.Greater", "ops.GreaterEqual", "ops.Less", "ops.LessEqual", "ops.LogicalAnd", "ops.LogicalOr",
    "ops.LogicalXor", "ops.LogicalNot", "ops.Where", "ops.Mean", "ops.Sum", "ops.Max", "ops.Min",
    "ops.Any", "ops.All", "ops.Prod", "ops.Amax", "ops.Amin", "ops.Matmul", "ops.Exp", "ops.Log", "ops.Sqrt", "ops.Absolute",
    "ops.Square", "ops.Tanh", "ops.Sigmoid", "ops.Relu", "ops.Reciprocal", "ops.Sin", "ops.Cos", "ops.Floor",
    "ops.Ceil", "ops.Round", "ops.Sign", "ops.Log1p", "ops.Expm1", "ops.Trunc", "ops.Softplus", "ops.Rsqrt",
    "ops.Erf", "ops.Silu", "ops.Clip", "ops.ZerosLike", "ops.OnesLike",
)
#: built only by ops_shapes / ops_variable_shapes (tests/layers/test_keras_ops_shape.py)
BUILT_BY_SHAPE_ROWS = {"ops.Matmul"}


battery = KerasBattery([(prepare, CASES)], seed=1300, package="k2jtest.kops", workdir="kops")
prepared, batch, test_matches_keras = battery.tests()


def test_every_operation_is_built_by_a_case(batch):
    from keras2java.ops import layer_specs

    built = set()
    for n, case in enumerate(CASES):
        if case.fmt == "keras":
            built |= saved_classes(str(batch.workdir / (case.id.replace("/", "_") + ".keras")))
    registered = {name for name, spec in layer_specs().items() if spec.origin == "keras2java.ops.keras_ops"}
    assert registered == set(OPERATIONS), sorted(registered ^ set(OPERATIONS))
    assert not set(OPERATIONS) - BUILT_BY_SHAPE_ROWS - built, sorted(set(OPERATIONS) - BUILT_BY_SHAPE_ROWS - built)


def test_dict_ports_are_named_by_their_keys(batch):
    """Dict inputs and outputs: in Keras' flattened order (sorted keys), named by their keys."""
    n = [c.id for c in CASES].index("ops_dict_ports")
    text = (batch.src / "k2jtest" / "kops" / f"c{n}" / "M.java").read_text("utf-8")
    assert '"alpha",\n        "mid",\n        "zeta",' in text
    assert '"x",\n        "y",' in text
    assert "predictNamed(float[][] alpha, float[] mid, float[] zeta)" in text or \
        "predictNamed(float[] alpha, float[] mid, float[] zeta)" in text


def test_unsupported_operation_is_refused_by_name(tmp_path):
    import keras
    x = keras.Input((5, 3))
    y = keras.ops.cumsum(keras.layers.Dense(3)(x), axis=1)
    text = refusal_text(keras.Model(x, y), tmp_path)
    assert "'Cumsum'" in text and "keras.src.ops" in text


def test_operations_in_a_keras3_h5_file_are_refused_with_the_reason(tmp_path):
    """Keras 3's .h5 config drops the ``module`` that marks operation nodes (Keras itself
    cannot load such a file again): each one is named, with the way out, not called an
    unknown layer class."""
    import keras

    from keras2java import Keras2JavaError, convert
    x = keras.Input((5, 3))
    h = keras.layers.LSTM(4, return_sequences=True)(x)
    path = tmp_path / "ops.h5"
    keras.Model(x, keras.layers.Dense(2)(keras.ops.mean(h, axis=1) + h[:, -1, :])).save(path)
    with pytest.raises(Keras2JavaError) as err:
        convert(str(path), str(tmp_path / "out"), package="p", class_name="M")
    text = str(err.value)
    for name in ("'Mean'", "'GetItem'"):
        assert f"Keras operation {name} in a Keras 3 .h5 file" in text, text
    assert "save the model as .keras" in text and "Supported layer classes" not in text
    assert not (tmp_path / "out").exists()


def test_more_than_five_axes_are_refused_with_the_node(tmp_path):
    """The TensorOps kernels walk at most five axes besides the batch axis: a larger
    tensor is refused at conversion, naming the node, not left to fail in Java."""
    import keras

    from keras2java import Keras2JavaError, convert
    x = keras.Input((2, 2, 1, 2, 1, 3))
    path = tmp_path / "rank6.keras"
    keras.Model(x, keras.ops.sum(x * 2.0, axis=1)).save(path)
    with pytest.raises(Keras2JavaError) as err:
        convert(str(path), str(tmp_path / "out"), package="p", class_name="M")
    assert "(Multiply): shape (2, 2, 1, 2, 1, 3) has more than 5 axes" in str(err.value), str(err.value)
