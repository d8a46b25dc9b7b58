"""Conv1D, DepthwiseConv1D, SeparableConv1D and the 1-D pooling layers (max, average,
global), alone and around recurrent nets, each option against Keras (Keras 3 .keras and
tf-keras .h5), plus composite conv / pool / LSTM / normalization models; the same rows
check keras2java's numpy reference.  Java refuses too short inputs; options keras2java
does not convert are refused together, naming each layer."""
from __future__ import annotations

import numpy as np
import pytest

from support.battery import KerasBattery
from support.cases_sequence import L, conv_pool_lstm_bn, lstm_ln_gap, prepare, seq
from support.keras_cases import Case, keras
from support.util import refusal_text

pytestmark = pytest.mark.keras

CONV = [
    Case("conv1d/valid_k3", seq((10, 4), L("Conv1D", 5, 3))),
    Case("conv1d/same_k4_s2", seq((11, 4), L("Conv1D", 5, 4, strides=2, padding="same"))),
    Case("conv1d/same_k3_s3_even", seq((12, 3), L("Conv1D", 4, 3, strides=3, padding="same", activation="relu"))),
    Case("conv1d/causal_k3_d2", seq((9, 4), L("Conv1D", 6, 3, padding="causal", dilation_rate=2, activation="tanh"))),
    Case("conv1d/valid_strides3", seq((13, 2), L("Conv1D", 3, 2, strides=3, use_bias=False))),
    Case("conv1d/groups2", seq((8, 4), L("Conv1D", 6, 3, groups=2, padding="same", activation="gelu"))),
    Case("conv1d/variable_causal_dilated", seq((None, 3), L("Conv1D", 4, 2, padding="causal", dilation_rate=3)),
         steps=(1, 12)),
    Case("conv1d/variable_valid_strided", seq((None, 3), L("Conv1D", 4, 3, strides=2)), steps=(3, 12)),
    Case("conv1d/variable_same_s2", seq((None, 3), L("Conv1D", 4, 3, strides=2, padding="same")), steps=(1, 12)),
    Case("conv1d/tf_h5_causal", seq((9, 4), L("Conv1D", 5, 3, padding="causal", dilation_rate=2)), "tf_h5"),
    Case("conv1d/tf_h5_same_s2", seq((9, 4), L("Conv1D", 5, 2, strides=2, padding="same", activation="relu")),
         "tf_h5"),
    Case("depthwise/same_m2", seq((9, 3), L("DepthwiseConv1D", 3, depth_multiplier=2, padding="same"))),
    Case("depthwise/valid_s2", seq((10, 4), L("DepthwiseConv1D", 2, strides=2, activation="relu"))),
    Case("depthwise/tf_h5", seq((9, 3), L("DepthwiseConv1D", 3, depth_multiplier=2)), "tf_h5"),
    Case("separable/valid_m2", seq((10, 3), L("SeparableConv1D", 5, 3, depth_multiplier=2))),
    Case("separable/same_s2_relu", seq((11, 4), L("SeparableConv1D", 6, 3, strides=2, padding="same",
                                                  activation="relu"))),
    Case("separable/variable_same", seq((None, 3), L("SeparableConv1D", 4, 2, padding="same", use_bias=False)),
         steps=(1, 10)),
    Case("separable/tf_h5", seq((10, 3), L("SeparableConv1D", 5, 3, depth_multiplier=2)), "tf_h5"),
]

POOL = [
    Case("maxpool/valid_2", seq((10, 3), L("MaxPooling1D", 2))),
    Case("maxpool/same_3_s2", seq((11, 3), L("MaxPooling1D", 3, strides=2, padding="same"))),
    Case("avgpool/valid_3_s1", seq((9, 3), L("AveragePooling1D", 3, strides=1))),
    Case("avgpool/same_3_s2", seq((11, 3), L("AveragePooling1D", 3, strides=2, padding="same"))),
    Case("avgpool/same_2_even", seq((10, 3), L("AveragePooling1D", 2, padding="same"))),
    Case("maxpool/variable", seq((None, 3), L("MaxPooling1D", 2)), steps=(2, 12)),
    Case("avgpool/variable_same", seq((None, 3), L("AveragePooling1D", 3, strides=2, padding="same")), steps=(1, 12)),
    Case("pool/tf_h5", seq((11, 3), L("MaxPooling1D", 3, strides=2, padding="same"),
                           L("AveragePooling1D", 2, padding="same")), "tf_h5"),
    Case("globalmax", seq((None, 4), L("GlobalMaxPooling1D")), steps=(1, 9)),
    Case("globalavg", seq((None, 4), L("GlobalAveragePooling1D")), steps=(1, 9)),
    Case("globalavg/keepdims", seq((6, 4), L("GlobalAveragePooling1D", keepdims=True))),
    Case("globalmax/tf_h5", seq((7, 4), L("GlobalMaxPooling1D")), "tf_h5"),
    Case("globalavg/tf_h5", seq((7, 4), L("GlobalAveragePooling1D")), "tf_h5"),
]

COMPOSITE = [
    Case("composite/conv_pool_lstm_bn", conv_pool_lstm_bn),
    Case("composite/conv_pool_lstm_bn/tf_h5", conv_pool_lstm_bn, "tf_h5"),
    Case("composite/lstm_ln_gap", lstm_ln_gap, steps=(1, 10)),
    Case("composite/lstm_ln_gap/tf_h5", lstm_ln_gap, "tf_h5", steps=(1, 10)),
]


battery = KerasBattery([(prepare, CONV + POOL + COMPOSITE, True)], seed=5000, package="k2jtest.conv", workdir="conv")
prepared, batch, test_matches_keras = battery.tests()
test_reference_matches_keras = battery.test_reference_matches_keras()


@pytest.mark.java
@pytest.mark.slow
def test_too_few_timesteps_is_refused_in_java(batch):
    """A valid convolution needs at least its kernel's span; Java says so."""
    result = batch.run_one("conv1d/variable_valid_strided", [np.zeros((2, 3), "f4")])
    assert "IllegalArgumentException" in result and "needs at least 3 timesteps, got 2" in result


def test_unsupported_options_are_refused_together(tmp_path):
    """channels_first data, a Permute of a variable time axis and a Lambda in
    the graph: one error naming each layer, nothing written."""
    k = keras()
    x1, x2, x3 = k.Input((4, 6)), k.Input((5, 4)), k.Input((None, 4))
    h = k.layers.Conv1D(3, 2, data_format="channels_first", name="conv_cf")(x1)
    p = k.layers.Permute((2, 1), name="perm_var")(x3)
    lam = k.layers.Lambda(lambda t: t * 2.0, name="doubler")(k.layers.Dense(3)(x2))
    text = refusal_text(k.Model([x1, x2, x3], [h, p, lam]), tmp_path)
    assert "conv_cf" in text and "channels_first" in text
    assert "perm_var" in text and "fixed input shape" in text
    assert "doubler" in text and "Lambda layers hold Python code" in text   # never run, never unpickled
