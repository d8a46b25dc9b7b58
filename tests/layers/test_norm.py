"""BatchNormalization, LayerNormalization (trailing axes, rms_scaling) and
UnitNormalization on sequences (also after masked LSTMs and masked Embeddings) and on
4-D image tensors, against Keras (Keras 3 .keras and tf-keras .h5); the sequence rows
also check keras2java's numpy reference."""
from __future__ import annotations

import pytest

from support.battery import KerasBattery
from support.cases_conv2d import img
from support.cases_conv2d import prepare as prepare_image
from support.cases_sequence import L, embedding_gap, masked_gap, prepare, seq
from support.keras_cases import Case

pytestmark = pytest.mark.keras

NORM = [
    Case("batchnorm/dense", seq((6,), L("Dense", 5), L("BatchNormalization"))),
    Case("batchnorm/no_center_scale", seq((6,), L("BatchNormalization", center=False, scale=False, epsilon=0.01))),
    Case("batchnorm/axis_time", seq((5, 3), L("BatchNormalization", axis=1))),
    Case("batchnorm/after_lstm_variable", seq((None, 3), L("LSTM", 6, return_sequences=True),
                                              L("BatchNormalization")), steps=(1, 9)),
    Case("batchnorm/tf_h5", seq((5, 3), L("BatchNormalization"), L("BatchNormalization", axis=1)), "tf_h5"),
    Case("layernorm/last", seq((None, 5), L("LayerNormalization")), steps=(1, 8)),
    Case("layernorm/axes12", seq((4, 5), L("LayerNormalization", axis=[1, 2], epsilon=1e-5))),
    Case("layernorm/no_center_scale", seq((4, 5), L("LayerNormalization", center=False, scale=False))),
    Case("layernorm/rms_scaling", seq((4, 5), L("LayerNormalization", rms_scaling=True))),
    Case("layernorm/tf_h5", seq((4, 5), L("LayerNormalization"), L("LayerNormalization", axis=[1, 2])), "tf_h5"),
    Case("unitnorm/last", seq((4, 5), L("UnitNormalization"))),
    Case("unitnorm/axes12", seq((4, 5), L("UnitNormalization", axis=[1, 2]))),
    Case("unitnorm/tf_h5", seq((4, 5), L("UnitNormalization")), "tf_h5"),
    Case("masking/gap_after_lstm", masked_gap, samples=12),
    Case("masking/embedding_layernorm_gap", embedding_gap, steps=(1, 9)),
]

IMAGE_NORM = [
    Case("batchnorm4d/last", img((5, 6, 3), L("Conv2D", 4, 3), L("BatchNormalization"))),
    Case("batchnorm4d/axis1", img((3, 5, 6), L("BatchNormalization", axis=1))),
    Case("batchnorm4d/variable_height", img((None, 4, 3), L("BatchNormalization")), steps=(1, 6)),
    Case("batchnorm4d/tf_h5", img((5, 6, 3), L("BatchNormalization"), L("BatchNormalization", axis=1)), "tf_h5"),
    Case("layernorm4d/last", img((5, 6, 3), L("LayerNormalization"))),
    Case("layernorm4d/axes123", img((5, 6, 3), L("LayerNormalization", axis=[1, 2, 3]))),
    Case("layernorm4d/tf_h5", img((5, 6, 3), L("LayerNormalization"), L("LayerNormalization", axis=[1, 2, 3])),
         "tf_h5"),
]


battery = KerasBattery([(prepare, NORM, True), (prepare_image, IMAGE_NORM)], seed=5400, package="k2jtest.norm", workdir="norm")
prepared, batch, test_matches_keras = battery.tests()
test_reference_matches_keras = battery.test_reference_matches_keras()
