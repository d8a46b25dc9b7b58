"""Keras 3 activation functions called on tensors in Functional models
(ops/activation_ops.py): ``keras.activations.*`` and ``keras.ops.nn`` functions,
which Keras 3 records as operation nodes, against Keras.  Keras 3 .keras and
weights-only files with their architecture JSON, embedded and resource weights.
(tf-keras has no operation nodes: there these functions run inside Lambda layers.)
Tolerance 1e-5."""
from __future__ import annotations

from dataclasses import replace

import pytest

from support.battery import KerasBattery
from support.keras_cases import Case, prepare

pytestmark = [pytest.mark.keras, pytest.mark.java, pytest.mark.slow]


def fn_model(call, shape=(None, 6)):
    """Input -> Dense -> call(keras, tensor) -> Dense: the function between two layers."""
    def build(k):
        x = k.Input(shape)
        h = call(k, k.layers.Dense(6)(x))
        return k.Model(x, [k.layers.Dense(3)(h), h])
    return build


FUNCTIONS = {
    "selu": lambda k, t: k.activations.selu(t),
    "relu6": lambda k, t: k.activations.relu6(t),
    "gelu": lambda k, t: k.activations.gelu(t),
    "gelu_approximate": lambda k, t: k.ops.nn.gelu(t, approximate=True),
    "elu": lambda k, t: k.activations.elu(t),
    "elu_alpha": lambda k, t: k.activations.elu(t, alpha=0.6),
    "celu": lambda k, t: k.activations.celu(t, alpha=0.7),
    "leaky_relu": lambda k, t: k.activations.leaky_relu(t, negative_slope=0.15),
    "softmax": lambda k, t: k.activations.softmax(t),
    "log_softmax": lambda k, t: k.activations.log_softmax(t),
    "log_sigmoid": lambda k, t: k.activations.log_sigmoid(t),
    "hard_sigmoid": lambda k, t: k.activations.hard_sigmoid(t),
    "hard_silu": lambda k, t: k.ops.nn.hard_silu(t),
    "hard_tanh": lambda k, t: k.activations.hard_tanh(t),
    "hard_shrink": lambda k, t: k.activations.hard_shrink(t, threshold=0.4),
    "soft_shrink": lambda k, t: k.activations.soft_shrink(t, threshold=0.3),
    "tanh_shrink": lambda k, t: k.activations.tanh_shrink(t),
    "threshold": lambda k, t: k.activations.threshold(t, 0.2, -1.5),
    "squareplus": lambda k, t: k.activations.squareplus(t, b=2),
    "sparse_plus": lambda k, t: k.activations.sparse_plus(t),
    "softsign": lambda k, t: k.activations.softsign(t),
    "ops_softmax_axis_2": lambda k, t: k.ops.nn.softmax(t, axis=2),
    "ops_log_softmax": lambda k, t: k.ops.nn.log_softmax(t, axis=-1),
    # recorded as a ReLU node of keras.src.activations (the ReLU layer's converter takes it)
    "relu_options": lambda k, t: k.activations.relu(t, negative_slope=0.1, max_value=2.0, threshold=0.2),
}

BASE = [Case(f"activation_fn/{name}", fn_model(call), steps=(1, 7), input_scale=3.0)
        for name, call in FUNCTIONS.items()]
BASE += [
    Case("activation_fn/fixed_shape_chain", fn_model(lambda k, t: k.activations.celu(k.activations.squareplus(
        k.activations.tanh_shrink(t))), shape=(4, 5)), input_scale=3.0),
    Case("activation_fn/weights_only", fn_model(FUNCTIONS["threshold"]), steps=(1, 7), input_scale=3.0,
         weights_only=True),
    Case("activation_fn/weights_only_celu", fn_model(FUNCTIONS["celu"]), steps=(1, 7), input_scale=3.0,
         weights_only=True),
]
CASES = BASE + [replace(c, id=c.id + "/resource", weights="resource") for c in BASE[:4]]

battery = KerasBattery([(prepare, CASES)], seed=7800, package="k2jtest.actfn", workdir="activation_ops")
prepared, batch, test_matches_keras = battery.tests()

#: Every activation operation keras2java converts; each must be built by some case above (checked below).
OPERATIONS = (
    "ops.Selu", "ops.Relu6", "ops.Gelu", "ops.Elu", "ops.Celu", "ops.LeakyRelu", "ops.Softmax", "ops.LogSoftmax",
    "ops.LogSigmoid", "ops.HardSigmoid", "ops.HardSilu", "ops.HardTanh", "ops.HardShrink", "ops.SoftShrink",
    "ops.TanhShrink", "ops.Threshold", "ops.Squareplus", "ops.SparsePlus", "ops.Softsign",
)


def test_every_activation_operation_is_built_by_a_case(batch):
    from keras2java.ops import layer_specs
    from support.cases_ops import saved_classes

    built = set()
    for case in CASES:
        if not case.weights_only:
            built |= saved_classes(str(batch.workdir / (case.id.replace("/", "_") + ".keras")))
    registered = {name for name, spec in layer_specs().items() if spec.origin == "keras2java.ops.activation_ops"}
    assert registered == set(OPERATIONS), sorted(registered ^ set(OPERATIONS))
    assert not set(OPERATIONS) - built, sorted(set(OPERATIONS) - built)


def test_softmax_over_another_axis_is_refused(tmp_path):
    """softmax over an axis other than the last is refused by name, nothing written."""
    from keras2java import UnsupportedModelError, convert
    from support.keras_cases import keras

    k = keras()
    x = k.Input((3, 4))
    k.Model(x, k.ops.nn.softmax(x, axis=1)).save(tmp_path / "m.keras")
    with pytest.raises(UnsupportedModelError) as err:
        convert(str(tmp_path / "m.keras"), str(tmp_path / "out"), package="p", class_name="M")
    assert "softmax" in str(err.value) and "axis=1 is not supported; only the last axis" in str(err.value)
    assert not (tmp_path / "out").exists()
