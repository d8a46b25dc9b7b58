"""Normalization over any axes (ops/norm.py) against Keras: RMSNormalization,
GroupNormalization, and LayerNormalization / UnitNormalization over axes that are
not the trailing ones.  Keras 3 .keras, tf-keras .h5 where tf-keras has the class,
weights-only files with their architecture JSON, embedded and resource weights.
Tolerance 1e-5 (harness)."""
from __future__ import annotations

from dataclasses import replace

import pytest

from support.cases_preprocessing import L, seq
from support.harness import keras_case_tests
from support.keras_cases import Case, prepare

pytestmark = [pytest.mark.keras, pytest.mark.java, pytest.mark.slow]


def both(case_id, build, **kw):
    """The row in Keras 3 and in tf-keras."""
    return [Case(case_id, build, **kw), Case(case_id + "/tf_h5", build, "tf_h5", **kw)]


RMS = [
    Case("rms_normalization/last_axis", seq((None, 6), L("RMSNormalization")), steps=(1, 7), input_scale=3.0),
    Case("rms_normalization/two_trailing_axes", seq((3, 4, 5), L("RMSNormalization", axis=[-2, -1],
                                                                 epsilon=1e-3))),
    # ops.rms_normalization multiplies by scale with numpy broadcasting: along the last axis
    Case("rms_normalization/middle_axis_square", seq((4, 4), L("RMSNormalization", axis=1))),
    Case("rms_normalization/image_channels", seq((5, 6, 3), L("Conv2D", 4, 3), L("RMSNormalization"))),
    Case("rms_normalization/weights_only", seq((None, 5), L("RMSNormalization")), steps=(1, 6), weights_only=True),
]

GROUP = [
    *both("group_normalization/sequence", seq((None, 6), L("GroupNormalization", groups=3)), steps=(1, 7),
          input_scale=2.0),
    *both("group_normalization/image", seq((5, 5, 3), L("Conv2D", 8, 2), L("GroupNormalization", groups=4))),
    *both("group_normalization/axis_1_no_center", seq((6, 4), L("GroupNormalization", groups=2, axis=1,
                                                                center=False, epsilon=1e-5))),
    *both("group_normalization/instance", seq((4, 4, 3), L("GroupNormalization", groups=-1, scale=False))),
    Case("group_normalization/one_group", seq((3, 8), L("GroupNormalization", groups=1))),
    Case("group_normalization/weights_only", seq((5, 4), L("GroupNormalization", groups=2)), weights_only=True),
    Case("group_normalization/weights_only/tf_h5", seq((5, 4), L("GroupNormalization", groups=2)), "tf_h5",
         weights_only=True),
]

LAYER = [
    *both("layer_normalization/axis_1_of_2", seq((5, 4), L("LayerNormalization", axis=1))),
    *both("layer_normalization/axes_1_3", seq((3, 4, 5), L("LayerNormalization", axis=[1, 3]))),
    Case("layer_normalization/time_and_channels", seq((6, 4), L("LayerNormalization", axis=[1, 2], center=False))),
    Case("layer_normalization/axis_2_of_3_rms", seq((3, 4, 2), L("LayerNormalization", axis=2, rms_scaling=True))),
    Case("layer_normalization/axis_2_variable_time", seq((None, 3, 4), L("LayerNormalization", axis=2, scale=False), head=False),
         steps=(1, 6)),
    Case("layer_normalization/axes_1_2_of_4", seq((3, 4, 2), L("LayerNormalization", axis=[1, 2]))),
    Case("layer_normalization/weights_only", seq((5, 4), L("LayerNormalization", axis=1)), weights_only=True),
    Case("layer_normalization/weights_only/tf_h5", seq((5, 4), L("LayerNormalization", axis=1)), "tf_h5",
         weights_only=True),
]

UNIT = [
    *both("unit_normalization/axis_1_of_2", seq((5, 4), L("UnitNormalization", axis=1))),
    *both("unit_normalization/axes_1_3", seq((3, 4, 5), L("UnitNormalization", axis=[1, 3]))),
    Case("unit_normalization/variable_time_axis", seq((None, 4), L("UnitNormalization", axis=1), head=False),
         steps=(1, 6)),
    Case("unit_normalization/weights_only", seq((3, 4, 2), L("UnitNormalization", axis=[1, 2])), weights_only=True),
]

BASE = RMS + GROUP + LAYER + UNIT
CASES = BASE + [replace(c, id=c.id + "/resource", weights="resource") for c in BASE if not c.weights_only]

batch, test_matches_keras = keras_case_tests(CASES, prepare, 7600, "k2jtest.norm", "norm")


def test_group_normalization_that_does_not_divide_is_refused(tmp_path):
    """A config whose groups do not divide the channels (an edited file: Keras refuses to
    build it) is refused by name, nothing written."""
    from keras2java import UnsupportedModelError, convert
    from support.keras_cases import keras
    from support.util import rewrite_keras_config

    k = keras()
    x = k.Input((5, 6))
    k.Model(x, k.layers.GroupNormalization(groups=3, name="gn")(x)).save(tmp_path / "src.keras")

    def four_groups(cfg):
        for ld in cfg["config"]["layers"]:
            if ld["config"]["name"] == "gn":
                ld["config"]["groups"] = 4
        return cfg

    rewrite_keras_config(tmp_path / "src.keras", tmp_path / "bad.keras", four_groups)
    with pytest.raises(UnsupportedModelError) as err:
        convert(str(tmp_path / "bad.keras"), str(tmp_path / "out"), package="p", class_name="M")
    assert "gn" in str(err.value) and "groups=4 does not divide the 6 channels" in str(err.value)
    assert not (tmp_path / "out").exists()
