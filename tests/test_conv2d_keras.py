"""Issue 14: image layers and TimeDistributed over frames against Keras
(Keras 3 .keras and tf-keras .h5 files), compiled and run in Java."""
from __future__ import annotations

import numpy as np
import pytest

from support.cases_conv2d import CASES, prepare
from support.harness import JavaBatch

pytestmark = [pytest.mark.keras, pytest.mark.java, pytest.mark.slow]


@pytest.fixture(scope="module")
def batch(tmp_path_factory):
    return JavaBatch.of_cases(tmp_path_factory.mktemp("conv2d"), CASES, prepare, 7000, "k2jtest.img")


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_matches_keras(case, batch):
    err = batch.cases[case.id].check(case.tol)
    print(f"{case.id}: max error {err:.3g}")


def test_too_small_image_is_refused_in_java(batch):
    """A valid convolution along a variable height needs at least the kernel's span; Java says so."""
    result = batch.run_one("conv2d/variable_height_valid", [np.zeros((2, 6, 2), "f4")])
    assert "IllegalArgumentException" in result and "needs at least 3 rows, got 2" in result
