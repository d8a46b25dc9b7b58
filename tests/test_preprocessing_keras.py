"""Issue 13: preprocessing layers that are numbers in, numbers out
(Normalization, Rescaling), PReLU and Identity against Keras (Keras 3 .keras
and tf-keras .h5), each with embedded and with resource weights.  Tolerance
1e-5 (harness)."""
from __future__ import annotations

import pytest

from support.cases_preprocessing import CASES, prepare
from support.harness import JavaBatch

pytestmark = [pytest.mark.keras, pytest.mark.java, pytest.mark.slow]


@pytest.fixture(scope="module")
def batch(tmp_path_factory):
    return JavaBatch.of_cases(tmp_path_factory.mktemp("preprocessing"), CASES, prepare, 7000, "k2jtest.pre")


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_matches_keras(case, batch):
    err = batch.cases[case.id].check(case.tol)
    print(f"{case.id}: max error {err:.3g}")
