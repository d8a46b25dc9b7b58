"""Merge layers of inputs of different ranks (ops/merge.py), against Keras: Add,
Subtract, Multiply, Average, Maximum, Minimum broadcast a lower-rank input as Keras'
``Merge.call`` does (axes of size 1 after the batch axis, so the trailing axes line
up).  Keras 3 .keras, tf-keras .h5, weights-only files with their architecture JSON,
embedded and resource weights.  Tolerance 1e-5."""
from __future__ import annotations

from dataclasses import replace

import pytest

from support.harness import keras_case_tests
from support.keras_cases import Case, prepare

pytestmark = [pytest.mark.keras, pytest.mark.java, pytest.mark.slow]


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


BASE = [
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
CASES = BASE + [replace(c, id=c.id + "/resource", weights="resource") for c in BASE[:4]]

batch, test_matches_keras = keras_case_tests(CASES, prepare, 8200, "k2jtest.mranks", "merge")


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
