"""PReLU against Keras (Keras 3 .keras and tf-keras .h5): a full alpha, alpha shared
along the time axis, the channels or all axes, after Dense and on sequences of variable
length, each with embedded and with resource weights, at 1e-5; ``inspect`` shows the
alpha's shape and shared axes."""
from __future__ import annotations

from dataclasses import replace

import pytest

from support.battery import KerasBattery
from support.cases_preprocessing import L, prepare, seq
from support.keras_cases import Case

pytestmark = [pytest.mark.keras, pytest.mark.java, pytest.mark.slow]

PRELU = [
    Case("prelu/after_dense", seq((6,), L("Dense", 5), L("PReLU"))),
    Case("prelu/after_dense/tf_h5", seq((6,), L("Dense", 5), L("PReLU")), "tf_h5"),
    Case("prelu/shared_time", seq((None, 4), L("PReLU", shared_axes=[1])), steps=(1, 7)),
    Case("prelu/shared_time/tf_h5", seq((None, 4), L("PReLU", shared_axes=[1])), "tf_h5", steps=(1, 7)),
    Case("prelu/full_alpha", seq((5, 4), L("PReLU"))),
    Case("prelu/shared_channels", seq((5, 4), L("PReLU", shared_axes=2))),
    Case("prelu/shared_all", seq((5, 4), L("PReLU", shared_axes=[1, 2]))),
]

CASES = PRELU + [replace(c, id=c.id + "/resource", weights="resource") for c in PRELU]


# images of any size (None, None, C): alpha shared along the height and width
ANY_SIZE = [
    Case("prelu/variable_hw_shared_hw", seq((None, None, 3), L("PReLU", shared_axes=[1, 2]), head=False),
         steps=(1, 7), samples=4),
    Case("prelu/variable_hw_shared_all/resource", seq((None, None, 3), L("PReLU", shared_axes=[1, 2, 3]), head=False),
         steps=(1, 7), samples=4, weights="resource"),
    Case("prelu/variable_hw_shared_hw/tf_h5", seq((None, None, 3), L("PReLU", shared_axes=[1, 2]), head=False),
         "tf_h5", steps=(1, 7), samples=4),
]

battery = KerasBattery([(prepare, CASES), (prepare, ANY_SIZE)], seed=7300, package="k2jtest.act",
                       workdir="activation_layers")
prepared, batch, test_matches_keras = battery.tests()


def _inspect(batch, case_id, ext=".keras"):
    from support.util import run_cli

    proc = run_cli("inspect", str(batch.workdir / (case_id.replace("/", "_") + ext)))
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def test_inspect_shows_parameters(batch):
    """``inspect`` lists PReLU's alpha shape and shared axes."""
    out = _inspect(batch, "prelu/shared_time")
    assert "layers/p_re_lu/vars/0 (1, 4) -> alpha [" in out and "alpha (1, 4), shared along axes [1]" in out
