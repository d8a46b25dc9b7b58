"""Issue 7: keras2java's numpy reference (used for golden vectors when
TensorFlow is absent) against Keras itself, on the models of the other test
modules.  Models the reference cannot evaluate (masks, initial states as
inputs) must be refused with UnsupportedModelError naming the layer."""
from __future__ import annotations

import zlib

import pytest

from keras2java import UnsupportedModelError
from keras2java.pipeline import load
from keras2java import reference
from support import cases_core as core
from support import cases_graph as graph
from support import cases_recurrent as rec
from support import cases_sequence as seqmod
from support.harness import max_error

pytestmark = pytest.mark.keras

TOL = 1e-5

CASES = ([("core", c) for c in core.CASES]
         + [("sequence", c) for c in seqmod.CASES]
         + [("graph", c) for c in graph.CASES]
         + [("recurrent", c) for i, c in enumerate(rec.CASES) if c.mode == "predict" and i % 2 == 0])


def _prepare(kind, case, directory, seed):
    if kind == "recurrent":
        return rec.prepare(case, directory, seed)
    if kind == "sequence":
        return seqmod.prepare(case, directory, seed)
    from support.keras_cases import prepare
    return prepare(case, directory, seed)


WORST: dict = {}


@pytest.mark.parametrize("kind,case", CASES, ids=[f"{k}/{c.id}" for k, c in CASES])
def test_reference_matches_keras(tmp_path, kind, case):
    path, samples, expected = _prepare(kind, case, tmp_path, seed=9000 + zlib.crc32(case.id.encode()) % 1000)
    model = load(path)
    if reference.unsupported(model):
        with pytest.raises(UnsupportedModelError, match="numpy reference"):
            reference.predict(model, samples[0])
        return
    worst = 0.0
    for sample, exp in zip(samples, expected):
        got = reference.predict(model, sample)
        assert len(got) == len(exp)
        for g, e in zip(got, exp):
            worst = max(worst, max_error(g, e))
    WORST[f"{kind}/{case.id}"] = worst
    assert worst <= TOL, f"max error {worst:.3g}"


def test_reference_covers_most_cases():
    """The reference must evaluate the large majority of the cases above."""
    assert len(WORST) >= 0.8 * len(CASES), f"only {len(WORST)} of {len(CASES)} (run the whole module)"
    print(f"numpy reference: {len(WORST)} models, worst error {max(WORST.values()):.3g}")
