"""Issue 18: Keras masks reaching attention layers are applied as each Keras
version applies them (bug 2), and masks reaching layers that drop them are
dropped as Keras does (cases in support/cases_masked_layers.py)."""
from __future__ import annotations

import pytest

from support.cases_masked_layers import CASES, prepare
from support.harness import JavaBatch

pytestmark = [pytest.mark.keras, pytest.mark.java, pytest.mark.slow]


@pytest.fixture(scope="module")
def batch(tmp_path_factory):
    return JavaBatch.of_cases(tmp_path_factory.mktemp("masked"), CASES, prepare, 1800, "k2jtest.masked")


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_matches_keras(case, batch):
    err = batch.cases[case.id].check(case.tol)
    print(f"{case.id}: max error {err:.3g}")
