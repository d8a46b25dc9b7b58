"""Image layers against Keras (Keras 3 .keras and tf-keras .h5): Conv2D (every padding,
stride, dilation, group and activation option), DepthwiseConv2D, SeparableConv2D, the 2-D
pooling layers, ZeroPadding2D / Cropping2D / UpSampling2D, Conv2DTranspose and
Conv1DTranspose.  Java refuses too small images; unsupported options are refused
together, naming each layer."""
from __future__ import annotations

import numpy as np
import pytest

from support.battery import KerasBattery
from support.cases_conv2d import TD, L, frames, img, prepare
from support.keras_cases import Case

pytestmark = [pytest.mark.keras, pytest.mark.java, pytest.mark.slow]

ACTIVATIONS = ["relu", "sigmoid", "tanh", "softmax", "softplus", "softsign", "selu", "elu", "exponential",
               "leaky_relu", "relu6", "silu", "hard_silu", "gelu", "hard_sigmoid", "linear", "mish", "log_softmax"]

CONV = [
    Case("conv2d/valid_3x3", img((8, 9, 3), L("Conv2D", 4, 3))),
    Case("conv2d/same_s2", img((9, 8, 3), L("Conv2D", 5, (3, 2), strides=2, padding="same", activation="relu"))),
    Case("conv2d/same_s23_odd", img((11, 10, 2), L("Conv2D", 3, (4, 3), strides=(2, 3), padding="same"))),
    Case("conv2d/valid_s2", img((10, 11, 2), L("Conv2D", 3, 3, strides=(3, 2)))),
    Case("conv2d/dilation_same", img((10, 9, 2), L("Conv2D", 4, 3, dilation_rate=(2, 1), padding="same",
                                                    activation="tanh"))),
    Case("conv2d/dilation_valid", img((10, 9, 2), L("Conv2D", 4, (2, 3), dilation_rate=(1, 3)))),
    Case("conv2d/groups2", img((7, 7, 4), L("Conv2D", 6, 3, groups=2, padding="same", activation="gelu"))),
    Case("conv2d/groups3_valid_nobias", img((6, 7, 6), L("Conv2D", 9, 2, groups=3, use_bias=False))),
    Case("conv2d/1x1_nobias", img((5, 6, 4), L("Conv2D", 5, 1, use_bias=False))),
    Case("conv2d/1x1_s2", img((5, 6, 4), L("Conv2D", 5, 1, strides=2))),
    Case("conv2d/wide_block", img((20, 70, 3), L("Conv2D", 8, 3, padding="same", activation="relu"), head=False)),
    Case("conv2d/stack", img((12, 12, 3), L("Conv2D", 8, 3, padding="same", activation="relu"),
                             L("Conv2D", 6, 3, strides=2, activation="relu"), L("Conv2D", 4, 1))),
    Case("conv2d/variable_height", img((None, 6, 2), L("Conv2D", 3, 3, strides=(2, 1), padding="same")),
         steps=(1, 9)),
    Case("conv2d/variable_height_valid", img((None, 6, 2), L("Conv2D", 3, 3)), steps=(3, 9)),
    Case("conv2d/channels_first", img((3, 8, 7), L("Conv2D", 4, 3, data_format="channels_first"))),
    Case("conv2d/channels_first_same_s2_relu", img((2, 7, 8), L("Conv2D", 3, 3, strides=2, padding="same",
                                                           data_format="channels_first", activation="relu"))),
    Case("conv2d/tf_h5_valid", img((8, 9, 3), L("Conv2D", 4, 3)), "tf_h5"),
    Case("conv2d/tf_h5_same_s2_relu", img((9, 8, 3), L("Conv2D", 5, 3, strides=2, padding="same",
                                                       activation="relu")), "tf_h5"),
    Case("conv2d/tf_h5_dilation", img((10, 9, 2), L("Conv2D", 4, 3, dilation_rate=2, padding="same")), "tf_h5"),
    Case("conv2d/tf_h5_groups", img((7, 7, 4), L("Conv2D", 6, 3, groups=2, use_bias=False)), "tf_h5"),
] + [Case(f"conv2d/activation_{a}", img((6, 5, 2), L("Conv2D", 4, 3, padding="same", activation=a)))
     for a in ACTIVATIONS] + [
    Case(f"conv2d/tf_h5_activation_{a}", img((6, 5, 2), L("Conv2D", 4, 3, padding="same", activation=a)), "tf_h5")
    for a in ("hard_sigmoid", "elu", "selu", "softmax", "swish", "gelu")
]

DEPTHWISE = [
    Case("depthwise2d/same_m2", img((8, 7, 3), L("DepthwiseConv2D", 3, depth_multiplier=2, padding="same"))),
    Case("depthwise2d/valid_s2_relu", img((9, 10, 4), L("DepthwiseConv2D", (3, 2), strides=2, activation="relu"))),
    Case("depthwise2d/dilated_nobias", img((9, 9, 2), L("DepthwiseConv2D", 3, dilation_rate=2, use_bias=False))),
    Case("depthwise2d/channels_first", img((3, 7, 6), L("DepthwiseConv2D", 3, data_format="channels_first"))),
    Case("depthwise2d/tf_h5", img((8, 7, 3), L("DepthwiseConv2D", 3, depth_multiplier=2, padding="same")), "tf_h5"),
    Case("separable2d/valid_m2", img((8, 9, 3), L("SeparableConv2D", 5, 3, depth_multiplier=2))),
    Case("separable2d/same_s2_relu", img((9, 8, 4), L("SeparableConv2D", 6, 3, strides=2, padding="same",
                                                      activation="relu"))),
    Case("separable2d/nobias_dilated", img((9, 9, 2), L("SeparableConv2D", 3, 3, dilation_rate=2, use_bias=False))),
    Case("separable2d/tf_h5", img((8, 9, 3), L("SeparableConv2D", 5, 3, depth_multiplier=2)), "tf_h5"),
]

POOL = [
    Case("maxpool2d/valid_2", img((8, 9, 3), L("MaxPooling2D", 2))),
    Case("maxpool2d/same_3_s2", img((9, 8, 3), L("MaxPooling2D", 3, strides=2, padding="same"))),
    Case("maxpool2d/valid_23_s12", img((9, 8, 2), L("MaxPooling2D", (2, 3), strides=(1, 2)))),
    Case("avgpool2d/same_3_s2", img((9, 8, 3), L("AveragePooling2D", 3, strides=2, padding="same"))),
    Case("avgpool2d/same_2_even", img((8, 6, 2), L("AveragePooling2D", 2, padding="same"))),
    Case("avgpool2d/same_3_s1", img((5, 6, 2), L("AveragePooling2D", 3, strides=1, padding="same"))),
    Case("avgpool2d/valid_32", img((9, 8, 2), L("AveragePooling2D", (3, 2)))),
    Case("maxpool2d/variable_height", img((None, 6, 2), L("MaxPooling2D", 2)), steps=(2, 9)),
    Case("avgpool2d/variable_height_same", img((None, 6, 2), L("AveragePooling2D", 3, strides=2, padding="same")),
         steps=(1, 9)),
    Case("pool2d/channels_first", img((3, 8, 7), L("MaxPooling2D", 2, data_format="channels_first"),
                                      L("AveragePooling2D", 2, padding="same", data_format="channels_first"))),
    Case("pool2d/tf_h5", img((9, 8, 3), L("MaxPooling2D", 3, strides=2, padding="same"),
                             L("AveragePooling2D", 2, padding="same")), "tf_h5"),
    Case("globalmax2d", img((5, 6, 4), L("GlobalMaxPooling2D"))),
    Case("globalavg2d", img((5, 6, 4), L("GlobalAveragePooling2D"))),
    Case("globalavg2d/keepdims", img((5, 6, 4), L("GlobalAveragePooling2D", keepdims=True))),
    Case("globalmax2d/keepdims_channels_first", img((4, 5, 6), L("GlobalMaxPooling2D", keepdims=True,
                                                                 data_format="channels_first"))),
    Case("globalavg2d/channels_first", img((4, 5, 6), L("GlobalAveragePooling2D", data_format="channels_first"))),
    Case("globalavg2d/variable_height", img((None, 5, 4), L("GlobalAveragePooling2D")), steps=(1, 9)),
    Case("globalmax2d/tf_h5", img((5, 6, 4), L("GlobalMaxPooling2D")), "tf_h5"),
    Case("globalavg2d/tf_h5_keepdims", img((5, 6, 4), L("GlobalAveragePooling2D", keepdims=True)), "tf_h5"),
]

RESAMPLE = [
    Case("zeropadding2d/asym", img((5, 6, 3), L("ZeroPadding2D", ((1, 2), (0, 3))))),
    Case("zeropadding2d/sym", img((5, 6, 3), L("ZeroPadding2D", (2, 1)))),
    Case("zeropadding2d/variable_height", img((None, 4, 2), L("ZeroPadding2D", 1)), steps=(1, 6)),
    Case("cropping2d/asym", img((7, 8, 3), L("Cropping2D", ((1, 0), (2, 1))))),
    Case("cropping2d/variable_height", img((None, 6, 2), L("Cropping2D", ((1, 2), 1))), steps=(4, 9)),
    Case("upsampling2d/nearest", img((4, 5, 2), L("UpSampling2D", (2, 3)))),
    Case("upsampling2d/bilinear", img((4, 5, 2), L("UpSampling2D", (2, 3), interpolation="bilinear"))),
    Case("upsampling2d/bilinear_3", img((3, 4, 2), L("UpSampling2D", 3, interpolation="bilinear"))),
    Case("upsampling2d/variable_height", img((None, 3, 2), L("UpSampling2D", 2)), steps=(1, 6)),
    Case("resample2d/channels_first", img((2, 5, 6), L("ZeroPadding2D", (1, 2), data_format="channels_first"),
                                          L("Cropping2D", ((0, 1), (2, 0)), data_format="channels_first"),
                                          L("UpSampling2D", 2, interpolation="bilinear",
                                            data_format="channels_first"))),
    Case("resample2d/tf_h5", img((4, 5, 2), L("ZeroPadding2D", ((1, 2), (0, 3))), L("Cropping2D", ((1, 0), (2, 1))),
                                 L("UpSampling2D", (2, 3))), "tf_h5"),
    Case("upsampling2d/tf_h5_bilinear", img((4, 5, 2), L("UpSampling2D", (3, 2), interpolation="bilinear")),
         "tf_h5"),
]

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


battery = KerasBattery([(prepare, CONV + DEPTHWISE + POOL + RESAMPLE + TRANSPOSE)], seed=7000, package="k2jtest.img", workdir="conv2d")
prepared, batch, test_matches_keras = battery.tests()


def test_too_small_image_is_refused_in_java(batch):
    """A valid convolution along a variable height needs at least the kernel's span; Java says so."""
    result = batch.run_one("conv2d/variable_height_valid", [np.zeros((2, 6, 2), "f4")])
    assert "IllegalArgumentException" in result and "needs at least 3 rows, got 2" in result


def test_unsupported_image_options_are_refused_together(tmp_path):
    """bicubic upsampling and a ConvLSTM2D on channels_first frames: one error naming each
    layer, nothing written.  (TimeDistributed around a Functional model converts: test_time_distributed_models.py.)"""
    from keras2java import UnsupportedModelError, convert
    from support.keras_cases import keras
    k = keras()
    x1, x2 = k.Input((4, 5, 2)), k.Input((3, 2, 5, 5))
    a = k.layers.UpSampling2D(2, interpolation="bicubic", name="up_bicubic")(x1)
    b = k.layers.ConvLSTM2D(2, 3, data_format="channels_first", name="convlstm_cf")(x2)
    model = k.Model([x1, x2], [a, b])
    path = tmp_path / "bad.keras"
    model.save(path)
    with pytest.raises(UnsupportedModelError) as err:
        convert(str(path), str(tmp_path / "out"), package="p", class_name="M")
    text = str(err.value)
    assert "up_bicubic" in text and "bicubic" in text
    assert "convlstm_cf" in text and "channels_first" in text
    assert not (tmp_path / "out").exists()
