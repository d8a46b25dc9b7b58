"""Keras 3 adaptive pooling (ops/adaptive_pooling.py) against Keras:
AdaptiveAveragePooling1D/2D and AdaptiveMaxPooling1D/2D, output sizes that divide the
input, that do not, and that are larger than it; both data formats; .keras and
weights-only files with their architecture JSON; embedded and resource weights.
(tf-keras has no adaptive pooling.)  Tolerance 1e-5."""
from __future__ import annotations

from dataclasses import replace

import pytest

from support.cases_preprocessing import L, seq
from support.battery import KerasBattery
from support.keras_cases import Case, prepare

pytestmark = [pytest.mark.keras, pytest.mark.java, pytest.mark.slow]

BASE = []
for m, cls1, cls2 in (("average", "AdaptiveAveragePooling1D", "AdaptiveAveragePooling2D"),
                      ("max", "AdaptiveMaxPooling1D", "AdaptiveMaxPooling2D")):
    BASE += [
        Case(f"adaptive_{m}_1d/divides", seq((12, 3), L("Conv1D", 4, 1), L(cls1, 4))),
        Case(f"adaptive_{m}_1d/uneven", seq((10, 3), L("Conv1D", 4, 1), L(cls1, 4))),
        Case(f"adaptive_{m}_1d/larger_output", seq((3, 2), L(cls1, 5))),
        Case(f"adaptive_{m}_1d/channels_first", seq((3, 11), L(cls1, 3, data_format="channels_first"))),
        Case(f"adaptive_{m}_2d/uneven", seq((9, 7, 3), L("Conv2D", 4, 2), L(cls2, (3, 4)))),
        Case(f"adaptive_{m}_2d/square_int", seq((10, 10, 2), L(cls2, 3))),
        Case(f"adaptive_{m}_2d/larger_output", seq((3, 5, 2), L(cls2, (4, 7)))),
        Case(f"adaptive_{m}_2d/channels_first", seq((2, 8, 6), L(cls2, (3, 5), data_format="channels_first"))),
        Case(f"adaptive_{m}_2d/weights_only", seq((9, 7, 3), L("Conv2D", 4, 2), L(cls2, (3, 4))),
             weights_only=True),
    ]
CASES = BASE + [replace(c, id=c.id + "/resource", weights="resource") for c in BASE if c.id.endswith("/uneven")]

battery = KerasBattery([(prepare, CASES)], seed=8100, package="k2jtest.adapt", workdir="adaptive_pooling")
prepared, batch, test_matches_keras = battery.tests()
