"""TimeDistributed around single layers: Dense, Dropout and Activation per timestep
between recurrent layers (fixed and variable timesteps, rank-3 frames), and the image
layers per frame (Conv2D, depthwise and separable convolutions, normalization, a nested
Sequential CNN) under an LSTM, against Keras (Keras 3 .keras / .h5 and tf-keras .h5).
(Sub-networks with their own time axis: test_time_distributed_models.py; pooling and
resampling per frame: test_pool2d.py; Conv2DTranspose per frame: test_conv_transpose.py.)"""
from __future__ import annotations

import pytest

from support.battery import KerasBattery
from support.cases_conv2d import TD, cnn_lstm, frames, nested_cnn
from support.cases_conv2d import prepare as prepare_image
from support.cases_recurrent import prepare, seq
from support.keras_cases import Case

pytestmark = [pytest.mark.keras, pytest.mark.java, pytest.mark.slow]

CASES: list[Case] = []


def add(*cases: Case) -> None:
    CASES.extend(cases)


# 3. TimeDistributed
for fmt in ("keras", "h5", "tf_h5"):
    add(Case(f"time_distributed/dense/{fmt}", seq(lambda k: [k.layers.LSTM(7, return_sequences=True),
                                                             k.layers.TimeDistributed(k.layers.Dense(4, activation="softmax"))], shape=(6, 5)),
              fmt, family="TimeDistributed"),
        Case(f"time_distributed/per_step/{fmt}", seq(lambda k: [k.layers.TimeDistributed(k.layers.Dense(6, activation="tanh")),
                                                                k.layers.TimeDistributed(k.layers.Dropout(0.5)),
                                                                k.layers.TimeDistributed(k.layers.Activation("relu")),
                                                                k.layers.GRU(5, return_sequences=True),
                                                                k.layers.TimeDistributed(k.layers.Dense(2))], shape=(6, 5)),
              fmt, family="TimeDistributed"))
add(Case("time_distributed/rank3", seq(lambda k: [k.layers.TimeDistributed(k.layers.Dense(3))], shape=(4, 3, 5)), family="TimeDistributed"),
    Case("time_distributed/variable", seq(lambda k: [k.layers.TimeDistributed(k.layers.Dense(3)), k.layers.SimpleRNN(4)]), family="TimeDistributed"))

TIME = [
    Case("td/nested_cnn_variable", nested_cnn((None, 8, 8, 2)), steps=(1, 5)),
    Case("td/nested_cnn_fixed", nested_cnn((3, 8, 8, 2))),
    Case("td/nested_cnn/tf_h5", nested_cnn((None, 8, 8, 2)), "tf_h5", steps=(1, 5)),
    Case("td/batchnorm_layernorm", frames((None, 5, 4, 3), TD("BatchNormalization"), TD("LayerNormalization"),
                                          TD("LayerNormalization", axis=[-3, -2, -1])), steps=(1, 5)),
    Case("td/batchnorm_layernorm/tf_h5", frames((None, 5, 4, 3), TD("BatchNormalization"), TD("LayerNormalization")),
         "tf_h5", steps=(1, 5)),
    Case("td/conv2d_fixed", frames((4, 7, 6, 2), TD("Conv2D", 3, 3, activation="relu"))),
    Case("td/conv2d_variable", frames((None, 7, 6, 2), TD("Conv2D", 3, 3, strides=2, padding="same")), steps=(1, 6)),
    Case("td/depthwise_separable", frames((None, 6, 6, 3), TD("DepthwiseConv2D", 3, depth_multiplier=2),
                                          TD("SeparableConv2D", 4, 2, padding="same")), steps=(1, 5)),
    Case("td/cnn_lstm", cnn_lstm, steps=(1, 6)),
    Case("td/cnn_lstm/tf_h5", cnn_lstm, "tf_h5", steps=(1, 6)),
    Case("td/tf_h5_fixed", frames((4, 7, 6, 2), TD("Conv2D", 3, 3, activation="relu"), TD("MaxPooling2D", 2)),
         "tf_h5"),
]


battery = KerasBattery([(prepare, CASES, lambda c: c.mode == "predict"), (prepare_image, TIME)], seed=3500, package="k2jtest.wrap", workdir="wrappers")
prepared, batch, test_matches_keras = battery.tests()
test_reference_matches_keras = battery.test_reference_matches_keras()
