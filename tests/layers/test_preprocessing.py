"""Numeric preprocessing layers (Normalization: adapted, stored, configured, over any
axes, inverted; Rescaling: scalar, per channel, per position) and Identity against Keras
(Keras 3 .keras and tf-keras .h5), each with embedded and with resource weights, at 1e-5;
``inspect`` shows their parameters.  (Discretization, CategoryEncoding, IntegerLookup:
test_categorical.py; PReLU: test_activation_layers.py.)"""
from __future__ import annotations

from dataclasses import replace

import pytest

from support.battery import KerasBattery
from support.cases_preprocessing import L, prepare, seq
from support.keras_cases import Case

pytestmark = [pytest.mark.keras, pytest.mark.java, pytest.mark.slow]

MEAN3 = [0.5, -1.25, 2.0]
VAR3 = [0.25, 4.0, 0.0]        # a zero variance: Keras divides by epsilon

NORMALIZATION = [
    Case("normalization/adapted_last_axis", seq((None, 4), L("Normalization"), adapt=(64, 7, 4)), steps=(1, 9),
         input_scale=3.0),
    Case("normalization/adapted_last_axis/tf_h5", seq((None, 4), L("Normalization"), adapt=(64, 7, 4)), "tf_h5",
         steps=(1, 9), input_scale=3.0),
    Case("normalization/stored_weights", seq((5,), L("Normalization"))),
    Case("normalization/stored_weights/tf_h5", seq((5,), L("Normalization")), "tf_h5"),
    Case("normalization/axis_none", seq((6,), L("Normalization", axis=None), adapt=(50, 6)), input_scale=3.0),
    Case("normalization/axes_1_2", seq((3, 4), L("Normalization", axis=(1, 2)), adapt=(40, 3, 4)), input_scale=3.0),
    Case("normalization/axis_1_of_3", seq((3, 4), L("Normalization", axis=1), adapt=(40, 3, 4)), input_scale=3.0),
    Case("normalization/axes_1_2/tf_h5", seq((3, 4), L("Normalization", axis=(1, 2))), "tf_h5"),
    Case("normalization/invert", seq((None, 3), L("Normalization", invert=True), adapt=(30, 5, 3)), steps=(1, 6)),
    Case("normalization/invert/tf_h5", seq((4,), L("Normalization", invert=True)), "tf_h5"),
    Case("normalization/config_mean_variance", seq((None, 3), L("Normalization", mean=MEAN3, variance=VAR3)),
         steps=(1, 6), input_scale=3.0),
    Case("normalization/config_scalar", seq((4,), L("Normalization", axis=None, mean=1.5, variance=2.0))),
    Case("normalization/config_invert_axis1", seq((3, 2), L("Normalization", axis=1, mean=[1.0, -2.0, 0.5],
                                                            variance=[2.0, 0.5, 3.0], invert=True))),
    Case("normalization/config/tf_h5", seq((None, 3), L("Normalization", mean=MEAN3, variance=VAR3)), "tf_h5",
         steps=(1, 6), input_scale=3.0),
]

RESCALING = [
    Case("rescaling/scalar", seq((None, 4), L("Rescaling", 1.0 / 255, offset=-0.5)), steps=(1, 6),
         input_scale=255.0),
    Case("rescaling/per_channel", seq((5, 3), L("Rescaling", [0.5, 2.0, -1.5], offset=[0.1, -0.2, 0.3]))),
    Case("rescaling/per_position", seq((2, 3), L("Rescaling", [[1.0, 2.0, 3.0], [-1.0, 0.5, 0.25]], offset=1.0))),
    Case("rescaling/scalar/tf_h5", seq((None, 4), L("Rescaling", 2.0, offset=-1.0)), "tf_h5", steps=(1, 6)),
    Case("rescaling/per_channel/tf_h5", seq((5, 3), L("Rescaling", [0.5, 2.0, -1.5], offset=[0.1, -0.2, 0.3])),
         "tf_h5"),
]

IDENTITY = [
    Case("identity/between_dense", seq((6,), L("Dense", 5), L("Identity"), L("Dense", 4, activation="relu"))),
    Case("identity/masked_sequence", seq((None, 3), L("Masking", 0.0), L("Identity"), L("LSTM", 4)), steps=(1, 7)),
    Case("identity/tf_h5", seq((6,), L("Dense", 5), L("Identity")), "tf_h5"),
]

BASE = NORMALIZATION + RESCALING + IDENTITY
CASES = BASE + [replace(c, id=c.id + "/resource", weights="resource") for c in BASE]


# images of any size (None, None, 3): scalars and per-channel parameters repeat over every pixel
ANY_SIZE = [
    Case("rescaling_normalization/variable_hw", seq((None, None, 3), L("Rescaling", 1.0 / 127.5, offset=-1.0),
                                                    L("Rescaling", [0.5, 2.0, 1.0]),
                                                    L("Normalization", mean=[0.1, 0.2, 0.3], variance=[1.0, 2.0, 3.0]),
                                                    head=False), steps=(1, 7), samples=4, input_scale=100.0),
    Case("rescaling/variable_hw/tf_h5", seq((None, None, 3), L("Rescaling", [0.5, 2.0, -1.5], offset=0.5),
                                            head=False), "tf_h5", steps=(1, 7), samples=4),
]

battery = KerasBattery([(prepare, CASES), (prepare, ANY_SIZE)], seed=7000, package="k2jtest.pre",
                       workdir="preprocessing")
prepared, batch, test_matches_keras = battery.tests()


def test_inspect_shows_parameters(batch):
    """``inspect`` lists Normalization's mean and variance per feature (and the
    skipped int64 count), Rescaling's scale and offset."""
    from support.util import run_cli

    def inspect(case_id, ext=".keras"):
        proc = run_cli("inspect", str(batch.workdir / (case_id.replace("/", "_") + ext)))
        assert proc.returncode == 0, proc.stderr
        return proc.stdout

    out = inspect("normalization/adapted_last_axis")
    assert "layers/normalization/vars/0 (1, 4) -> mean [" in out
    assert "layers/normalization/vars/1 (1, 4) -> variance [" in out
    assert "(x - mean) / max(sqrt(variance), 1e-7)" in out and "layers/normalization/vars/2 () (int64)" in out
    out = inspect("normalization/invert/tf_h5", ".h5")
    assert "-> mean [" in out and "count:0 () (int64)" in out and "mean + x * max(sqrt(variance), 1e-7)" in out
    out = inspect("rescaling/per_channel")
    assert "config 'scale' (1, 3) -> scale [0.5, 2, -1.5]" in out and "x * scale + offset" in out
