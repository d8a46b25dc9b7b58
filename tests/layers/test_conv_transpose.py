"""Transposed convolutions against Keras (Keras 3 .keras and tf-keras .h5):
Conv2DTranspose and Conv1DTranspose (valid / same padding, strides, output_padding,
dilation, no bias, activations, channels_first, variable lengths, Conv2DTranspose on
images of any size) and Conv2DTranspose per frame under TimeDistributed."""
from __future__ import annotations

import pytest

from support.battery import KerasBattery
from support.cases_conv2d import TD, L, frames, img, prepare
from support.keras_cases import Case

pytestmark = [pytest.mark.keras, pytest.mark.java, pytest.mark.slow]

TRANSPOSE = [
    Case("conv2d_transpose/valid_s2", img((4, 5, 3), L("Conv2DTranspose", 4, 3, strides=2))),
    Case("conv2d_transpose/same_s2_relu", img((4, 5, 3), L("Conv2DTranspose", 4, 3, strides=2, padding="same",
                                                           activation="relu"))),
    Case("conv2d_transpose/same_k4_s2", img((3, 4, 2), L("Conv2DTranspose", 3, 4, strides=2, padding="same"))),
    Case("conv2d_transpose/valid_k2_s3", img((3, 4, 2), L("Conv2DTranspose", 3, 2, strides=3))),
    Case("conv2d_transpose/output_padding", img((3, 4, 2), L("Conv2DTranspose", 3, 3, strides=(2, 3),
                                                             padding="same", output_padding=(1, 2)))),
    Case("conv2d_transpose/valid_output_padding", img((3, 4, 2), L("Conv2DTranspose", 3, 3, strides=2,
                                                                   output_padding=1, use_bias=False))),
    Case("conv2d_transpose/dilated", img((4, 4, 2), L("Conv2DTranspose", 3, 3, dilation_rate=2, padding="same"))),
    Case("conv2d_transpose/variable_height", img((None, 4, 2), L("Conv2DTranspose", 3, 3, strides=2,
                                                                 padding="same")), steps=(1, 6)),
    # images of any size: (None, None, C), each sample its own height and width
    Case("conv2d_transpose/variable_hw_valid_s2", img((None, None, 3), L("Conv2DTranspose", 4, 3, strides=2)),
         steps=(1, 9), samples=4),
    Case("conv2d_transpose/variable_hw_same_s21", img((None, None, 2), L("Conv2DTranspose", 3, (2, 3), strides=(2, 1),
                                                                          padding="same", activation="relu")),
         steps=(1, 9), samples=4),
    Case("conv2d_transpose/variable_hw_output_padding", img((None, None, 2), L(
        "Conv2DTranspose", 3, 3, strides=(2, 3), padding="same", output_padding=(1, 2))), steps=(1, 8), samples=4),
    Case("conv2d_transpose/variable_hw_no_bias", img((None, None, 2), L("Conv2DTranspose", 2, (3, 2), use_bias=False)),
         steps=(1, 8), samples=4),
    Case("conv2d_transpose/variable_hw_encoder_decoder", img(
        (None, None, 3), L("Conv2D", 4, 3, strides=2, padding="same", activation="relu"),
        L("Conv2DTranspose", 3, 3, strides=2, padding="same"), L("Conv2D", 2, 1)), steps=(2, 10), samples=4),
    Case("conv2d_transpose/variable_hw/tf_h5", img((None, None, 3), L("Conv2DTranspose", 4, 3, strides=2,
                                                                      padding="same")), "tf_h5", steps=(1, 9),
         samples=4),
    Case("conv2d_transpose/channels_first", img((2, 4, 5), L("Conv2DTranspose", 3, 3, strides=1, padding="same",
                                                             data_format="channels_first"))),
    Case("conv2d_transpose/tf_h5", img((4, 5, 3), L("Conv2DTranspose", 4, 3, strides=2, padding="same",
                                                    activation="tanh")), "tf_h5"),
    Case("conv2d_transpose/tf_h5_valid_op", img((3, 4, 2), L("Conv2DTranspose", 3, 3, strides=2, output_padding=1)),
         "tf_h5"),
    Case("conv1d_transpose/valid_s2", img((6, 3), L("Conv1DTranspose", 4, 3, strides=2))),
    Case("conv1d_transpose/same_s2", img((6, 3), L("Conv1DTranspose", 4, 4, strides=2, padding="same",
                                                   activation="relu"))),
    Case("conv1d_transpose/output_padding", img((6, 3), L("Conv1DTranspose", 2, 3, strides=3, padding="same",
                                                          output_padding=2))),
    Case("conv1d_transpose/variable", img((None, 3), L("Conv1DTranspose", 2, 3, strides=2)), steps=(1, 8)),
    Case("conv1d_transpose/dilated", img((7, 3), L("Conv1DTranspose", 2, 3, dilation_rate=2))),
    Case("conv1d_transpose/tf_h5", img((6, 3), L("Conv1DTranspose", 4, 3, strides=2, padding="same")), "tf_h5"),
    Case("td/conv2d_transpose", frames((None, 3, 4, 2), TD("Conv2DTranspose", 3, 3, strides=2)), steps=(1, 5)),
]


battery = KerasBattery([(prepare, TRANSPOSE)], seed=7200, package="k2jtest.convt", workdir="conv_transpose")
prepared, batch, test_matches_keras = battery.tests()
