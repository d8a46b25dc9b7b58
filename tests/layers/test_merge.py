"""The merge layers against Keras: Add, Subtract, Multiply, Average, Maximum, Minimum,
Concatenate (along features and along time) and Dot (vectors, matrices, normalize), in
Keras 3 .keras and tf-keras .h5; with Keras masks, inputs whose size-1 axes broadcast,
Dot on variable-length inputs and Concatenate along a variable timestep axis.  The
unmasked rows also check keras2java's numpy reference."""
from __future__ import annotations

import pytest

from support.battery import KerasBattery
from support.cases_graph import concat_axis, dot, merge
from support.cases_masked_layers import broadcasting_merges, concatenate_time, dot_variable, forms
from support.cases_masked_layers import prepare as prepare_masked
from support.keras_cases import Case, prepare

pytestmark = pytest.mark.keras

CASES = [
    *[Case(f"merge/{m}", merge(m), "keras") for m in ("Add", "Subtract", "Multiply", "Average", "Maximum", "Minimum")],
    Case("merge/Average/tf_h5", merge("Average"), "tf_h5"),
    Case("concatenate/axis-1", concat_axis(-1), "keras"),
    Case("concatenate/axis1_time", concat_axis(1), "keras"),
    Case("dot/vectors", dot((5,), (5,), 1), "keras"),
    Case("dot/vectors_normalize", dot((5,), (5,), -1, True), "keras"),
    Case("dot/matrices_axes22", dot((4, 3), (5, 3), 2), "keras"),
    Case("dot/matrices_axes11_normalize", dot((4, 3), (4, 6), (1, 1), True), "keras"),
    Case("dot/matrices_axes21", dot((4, 3), (3, 2), (2, 1)), "keras"),
    Case("dot/tf_h5_normalize", dot((4, 3), (5, 3), (2, 2), True), "tf_h5"),
    Case("dot/tf_h5_vectors", dot((6,), (6,), 1), "tf_h5"),
]

MASKED = (
    forms("dot_variable", dot_variable, steps=(1, 8))
    + forms("concatenate_time", concatenate_time, steps=(1, 8))
    + forms("merge_broadcast", broadcasting_merges(5))
    + forms("merge_broadcast_variable", broadcasting_merges(None), formats=("tf_h5",), steps=(1, 8))
)


battery = KerasBattery([(prepare, CASES, True), (prepare_masked, MASKED)], seed=3200, package="k2jtest.merge", workdir="merge")
prepared, batch, test_matches_keras = battery.tests()
test_reference_matches_keras = battery.test_reference_matches_keras()
