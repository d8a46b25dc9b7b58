"""The merge layers against Keras: Add, Subtract, Multiply, Average, Maximum, Minimum,
Concatenate (along features and along time) and Dot (vectors, matrices, normalize), in
Keras 3 .keras and tf-keras .h5; with Keras masks (also masked sequences concatenated
along the timestep axis, fixed and variable lengths), inputs whose size-1 axes broadcast,
Dot on variable-length inputs and Concatenate along a variable timestep axis.  The
unmasked rows also check keras2java's numpy reference."""
from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from support.battery import KerasBattery
from support.cases_conv2d import image_merges
from support.cases_conv2d import prepare as prepare_image
from support.cases_graph import concat_axis, dot, merge
from support.cases_masked_layers import broadcasting_merges, concatenate_time, dot_variable, forms
from support.cases_masked_layers import masked_concatenate_time
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
    # masked sequences along the timestep axis (tf-keras cannot build one with an unmasked input)
    + forms("concatenate_time_masked", masked_concatenate_time(5), data="tokens_padded")
    + forms("concatenate_time_masked_variable", masked_concatenate_time(None), data="tokens_padded", steps=(1, 8))
    + forms("concatenate_time_masked_unmasked_input", masked_concatenate_time(5, True), formats=("keras",),
            data="tokens_padded")
    + forms("concatenate_time_masked_unmasked_input_variable", masked_concatenate_time(None, True),
            formats=("keras",), data="tokens_padded", steps=(1, 8))
)



def merged(cls, *shapes, head=True):
    """Inputs of ``shapes``, each through a Dense of its last width, merged by ``cls`` (-> Flatten -> Dense)."""
    def build(k):
        ins = [k.Input(s) for s in shapes]
        y = getattr(k.layers, cls)()([k.layers.Dense(s[-1])(x) for x, s in zip(ins, shapes)])
        if head and None not in y.shape[1:]:
            y = k.layers.Dense(3)(k.layers.Flatten()(y))
        return k.Model(ins, y)
    return build


def both(case_id, build, **kw):
    return [Case(case_id, build, **kw), Case(case_id + "/tf_h5", build, "tf_h5", **kw)]


RANKS_BASE = [
    *both("merge_ranks/add_2_1", merged("Add", (3, 4), (4,))),
    *both("merge_ranks/subtract_1_2", merged("Subtract", (4,), (3, 4))),
    *both("merge_ranks/multiply_3_1", merged("Multiply", (2, 3, 4), (4,))),
    *both("merge_ranks/average_1_2_3", merged("Average", (4,), (3, 4), (2, 3, 4))),
    *both("merge_ranks/maximum_size_one_axes", merged("Maximum", (3, 1), (5, 3, 4))),
    Case("merge_ranks/minimum_3_2", merged("Minimum", (2, 3, 4), (3, 4))),
    Case("merge_ranks/variable_steps/tf_h5", merged("Add", (None, 4), (4,), head=False), "tf_h5", steps=(1, 7)),
    Case("merge_ranks/weights_only", merged("Multiply", (3, 4), (4,)), weights_only=True),
    Case("merge_ranks/weights_only/tf_h5", merged("Add", (3, 4), (4,)), "tf_h5", weights_only=True),
]
RANKS = RANKS_BASE + [replace(c, id=c.id + "/resource", weights="resource") for c in RANKS_BASE[:4]]

# images of any size: Concatenate along the channels, Add and Multiply of (None, None, C) tensors
ANY_SIZE = [
    Case("merge/variable_hw_images", image_merges, steps=(1, 8), samples=4),
    Case("merge/variable_hw_images/resource", image_merges, steps=(1, 8), samples=4, weights="resource"),
    Case("merge/variable_hw_images/tf_h5", image_merges, "tf_h5", steps=(1, 8), samples=4),
]

# Dot over 20000 features (and over 3000 rows of two matrices): float32 sums over that many
# products, against Keras' own (the runtime adds them in double precision)
LONG_SUMS = [
    Case("dot/long_vectors", lambda k: (lambda a, b: k.Model([a, b], k.layers.Dot(axes=1)([a, b])))(
        k.Input((20000,)), k.Input((20000,))), "keras", samples=10),
    Case("dot/long_matrices", lambda k: (lambda a, b: k.Model([a, b], k.layers.Dot(axes=1)([a, b])))(
        k.Input((3000, 3)), k.Input((3000, 2))), "keras", samples=10),
]

battery = KerasBattery([(prepare, CASES, True), (prepare_masked, MASKED), (prepare, RANKS),
                        (prepare_image, ANY_SIZE), (prepare, LONG_SUMS)], seed=3200, package="k2jtest.merge",
                       workdir="merge")
prepared, batch, test_matches_keras = battery.tests()
test_reference_matches_keras = battery.test_reference_matches_keras()


def test_keras3_variable_steps_against_a_lower_rank_is_refused(tmp_path):
    """Keras 3 computes broadcasts against a variable number of timesteps inconsistently:
    refused by name, nothing written."""
    from keras2java import UnsupportedModelError, convert
    from support.keras_cases import keras

    k = keras()
    a, b = k.Input((None, 4)), k.Input((4,))
    k.Model([a, b], k.layers.Add(name="add_var")([a, b])).save(tmp_path / "m.keras")
    with pytest.raises(UnsupportedModelError) as err:
        convert(str(tmp_path / "m.keras"), str(tmp_path / "out"), package="p", class_name="M")
    assert "add_var" in str(err.value) and "variable number of timesteps" in str(err.value)
    assert not (tmp_path / "out").exists()


@pytest.mark.java
@pytest.mark.slow
def test_images_of_different_sizes_are_refused_in_java(batch):
    """Merged images of any size must agree on each variable axis at run time: Java names the
    layer, the axis and both sizes."""
    result = batch.run_one("merge/variable_hw_images", [np.zeros((4, 5, 1), "f4"), np.zeros((4, 6, 3), "f4")])
    assert "IllegalArgumentException" in result and "concatenate" in result
    assert "same size along axis 2 (counting the batch axis), got 5 and 6" in result
