"""Keras 3 operation nodes that move values rather than compute them, against Keras
(.keras): slicing (``x[...]``, fixed and variable lengths), Transpose, ExpandDims,
Squeeze, Reshape, Concatenate and Stack over fixed and variable shapes, and the mask of
a concatenation of masked branches; every operation of keras2java.ops.keras_ops_shape
is built by some row."""
from __future__ import annotations

import pytest

from support.battery import KerasBattery
from support.cases_ops import (masked_concatenate, prepare, saved_classes, shapes, slicing, slicing_fixed,
                               variable_shapes)
from support.keras_cases import Case

pytestmark = [pytest.mark.keras, pytest.mark.java, pytest.mark.slow]

CASES = [
    Case("ops_slicing", slicing, steps=(3, 12)),
    Case("ops_slicing_fixed", slicing_fixed),
    Case("ops_shapes", shapes),
    Case("ops_variable_shapes", variable_shapes),
    Case("ops_masked_concatenate", masked_concatenate, data="tokens_padded"),
]

#: Every operation keras2java.ops.keras_ops_shape converts; each must be built by some case above
#: (checked below), but for those only the rows of tests/layers/test_keras_ops.py build.
OPERATIONS = ("ops.GetItem", "ops.Transpose", "ops.ExpandDims", "ops.Squeeze", "ops.Reshape", "ops.Concatenate",
              "ops.Stack", "ops.Cast", "ops.ConvertToTensor")
#: built only by ops_comparisons / ops_reductions (tests/layers/test_keras_ops.py)
BUILT_BY_KERAS_OPS_ROWS = {"ops.Cast", "ops.ConvertToTensor"}


battery = KerasBattery([(prepare, CASES)], seed=1400, package="k2jtest.kopshape", workdir="keras_ops_shape")
prepared, batch, test_matches_keras = battery.tests()


def test_every_operation_is_built_by_a_case(batch):
    from keras2java.ops import layer_specs

    built = set()
    for case in CASES:
        if case.fmt == "keras":
            built |= saved_classes(str(batch.workdir / (case.id.replace("/", "_") + ".keras")))
    registered = {name for name, spec in layer_specs().items() if spec.origin == "keras2java.ops.keras_ops_shape"}
    assert registered == set(OPERATIONS), sorted(registered ^ set(OPERATIONS))
    missing = set(OPERATIONS) - BUILT_BY_KERAS_OPS_ROWS - built
    assert not missing, sorted(missing)
