"""Issue 2: LSTM / Dense / activation models converted to Java match Keras.

Every case builds a model with Keras at test time, saves it (.keras, Keras 3
.h5 or tf-keras .h5), converts it, and compares the Java outputs with Keras'
``model.predict`` on 20 random inputs.  Tolerance: |java - keras| /
max(1, |keras|) <= 1e-5 (see harness.TOLERANCE).
"""
from __future__ import annotations

import pytest

from support.cases_core import CASES
from support.harness import JavaBatch
from support.keras_cases import prepare

pytestmark = [pytest.mark.keras, pytest.mark.java, pytest.mark.slow]


@pytest.fixture(scope="module")
def batch(tmp_path_factory):
    work = tmp_path_factory.mktemp("core")
    b = JavaBatch(work)
    for n, case in enumerate(CASES):
        path, samples, expected = prepare(case, work, seed=1000 + n)
        pkg = "k2jtest.core.c%d" % n
        b.add(case.id, path, samples, expected, package=pkg, class_name="M", weights=case.weights)
    b.run()
    return b


WORST: dict = {}


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_matches_keras(case, batch):
    worst = batch.cases[case.id].check(case.tol)
    WORST[case.id] = worst
