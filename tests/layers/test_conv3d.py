"""3-D convolutions against Keras (Keras 3 .keras files, tf-keras .h5 where tf-keras has
the class, both weight modes): Conv3D and Conv3DTranspose, channels_last and
channels_first, a variable depth, and 3-D layers under TimeDistributed over volumes;
compiled and run in Java, also checking keras2java's numpy reference.  Too shallow
volumes are refused in Java; unsupported 3-D options are refused together.  (3-D pooling
and resampling: test_pool3d.py; ConvLSTM3D: test_conv_lstm3d.py.)"""
from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from support.cases_conv2d import TD, L, frames, img, prepare
from support.battery import KerasBattery
from support.keras_cases import Case

pytestmark = [pytest.mark.keras, pytest.mark.java, pytest.mark.slow]

CF = {"data_format": "channels_first"}


def vol(shape, *layers):
    """Input(shape) -> layers: the volume itself is the output, compared value by value (a
    Dense head over hundreds of values would add float32 summation noise near the tolerance)."""
    return img(shape, *layers, head=False)


CONV = [
    Case("conv3d/valid_3", vol((5, 6, 7, 2), L("Conv3D", 3, 3))),
    Case("conv3d/same_s2_relu", vol((6, 7, 5, 3), L("Conv3D", 4, (3, 2, 3), strides=2, padding="same",
                                                    activation="relu"))),
    Case("conv3d/valid_strides_123", vol((7, 6, 8, 2), L("Conv3D", 3, (2, 3, 2), strides=(1, 2, 3)))),
    Case("conv3d/same_strides_odd", vol((5, 7, 6, 2), L("Conv3D", 3, (4, 3, 2), strides=(2, 3, 2), padding="same"))),
    Case("conv3d/dilation_same", vol((6, 7, 7, 2), L("Conv3D", 3, 3, dilation_rate=(2, 1, 2), padding="same",
                                                     activation="tanh"))),
    Case("conv3d/dilation_valid_nobias", vol((7, 6, 7, 2), L("Conv3D", 2, (2, 2, 3), dilation_rate=(3, 2, 1),
                                                             use_bias=False))),
    Case("conv3d/groups2_gelu", vol((4, 5, 6, 4), L("Conv3D", 6, 3, groups=2, padding="same", activation="gelu"))),
    Case("conv3d/groups3_valid_nobias", vol((4, 5, 5, 6), L("Conv3D", 3, 2, groups=3, use_bias=False))),
    Case("conv3d/1x1x1", vol((3, 4, 5, 4), L("Conv3D", 5, 1))),
    Case("conv3d/1x1x1_s2", vol((3, 4, 5, 4), L("Conv3D", 5, 1, strides=2))),
    Case("conv3d/wide_block", vol((3, 8, 40, 3), L("Conv3D", 4, 3, padding="same", activation="relu"))),
    Case("conv3d/stack", vol((6, 6, 6, 2), L("Conv3D", 4, 3, padding="same", activation="relu"),
                             L("Conv3D", 3, 3, strides=2, activation="selu"), L("Conv3D", 2, 1))),
    Case("conv3d/variable_depth", vol((None, 5, 4, 2), L("Conv3D", 3, 3, strides=(2, 1, 1), padding="same")),
         steps=(1, 7)),
    Case("conv3d/variable_depth_valid", vol((None, 5, 4, 2), L("Conv3D", 3, 3)), steps=(3, 7)),
    Case("conv3d/channels_first", vol((2, 5, 6, 4), L("Conv3D", 3, 3, **CF))),
    Case("conv3d/channels_first_same_s2_relu", vol((3, 5, 4, 6), L("Conv3D", 2, 3, strides=2, padding="same",
                                                                   activation="relu", **CF))),
    Case("conv3d/tf_h5_valid", vol((5, 6, 7, 2), L("Conv3D", 3, 3)), "tf_h5"),
    Case("conv3d/tf_h5_same_s2_relu", vol((6, 7, 5, 3), L("Conv3D", 4, 3, strides=2, padding="same",
                                                          activation="relu")), "tf_h5"),
    Case("conv3d/tf_h5_dilation", vol((6, 7, 7, 2), L("Conv3D", 3, 3, dilation_rate=2, padding="same")), "tf_h5"),
    Case("conv3d/tf_h5_channels_first", vol((2, 5, 6, 4), L("Conv3D", 3, 3, **CF)), "tf_h5"),
    Case("conv3d/tf_h5_groups", vol((4, 5, 6, 4), L("Conv3D", 6, 3, groups=2, use_bias=False)), "tf_h5"),
] + [Case(f"conv3d/activation_{a}", vol((3, 4, 4, 2), L("Conv3D", 3, 2, padding="same", activation=a)))
     for a in ("softmax", "hard_sigmoid", "elu", "silu", "exponential")]

TRANSPOSE = [
    Case("conv3d_transpose/valid_s2", vol((3, 4, 3, 2), L("Conv3DTranspose", 3, 3, strides=2))),
    Case("conv3d_transpose/same_s2_relu", vol((3, 4, 3, 2), L("Conv3DTranspose", 3, 3, strides=2, padding="same",
                                                              activation="relu"))),
    Case("conv3d_transpose/same_mixed", vol((3, 3, 4, 2), L("Conv3DTranspose", 2, (3, 4, 2), strides=(2, 1, 3),
                                                            padding="same"))),
    Case("conv3d_transpose/valid_k2_s3", vol((2, 3, 3, 2), L("Conv3DTranspose", 2, 2, strides=3))),
    Case("conv3d_transpose/output_padding", vol((2, 3, 3, 2), L("Conv3DTranspose", 2, 3, strides=(2, 3, 2),
                                                                padding="same", output_padding=(1, 2, 0)))),
    Case("conv3d_transpose/valid_output_padding", vol((2, 3, 3, 2), L("Conv3DTranspose", 2, 3, strides=2,
                                                                      output_padding=1, use_bias=False))),
    Case("conv3d_transpose/dilated", vol((3, 3, 4, 2), L("Conv3DTranspose", 2, 3, dilation_rate=2, padding="same"))),
    Case("conv3d_transpose/variable_depth", vol((None, 3, 4, 2), L("Conv3DTranspose", 2, 3, strides=2,
                                                                   padding="same")), steps=(1, 5)),
    Case("conv3d_transpose/channels_first", vol((2, 3, 4, 3), L("Conv3DTranspose", 2, 3, strides=2, **CF))),
    Case("conv3d_transpose/tf_h5", vol((3, 4, 3, 2), L("Conv3DTranspose", 3, 3, strides=2, padding="same",
                                                       activation="tanh")), "tf_h5"),
    Case("conv3d_transpose/dilated_tf_h5", vol((3, 3, 4, 2), L("Conv3DTranspose", 2, 3, dilation_rate=2,
                                                               padding="same")), "tf_h5"),
    Case("conv3d_transpose/tf_h5_valid_op", vol((2, 3, 3, 2), L("Conv3DTranspose", 2, 3, strides=2,
                                                                output_padding=1)), "tf_h5"),
]

TIME = [
    Case("td3d/conv_pool_fixed", frames((3, 4, 5, 5, 2), TD("Conv3D", 3, 3, activation="relu"),
                                        TD("MaxPooling3D", (1, 2, 2))), samples=8),
    Case("td3d/conv_global_variable", frames((None, 4, 5, 5, 2), TD("Conv3D", 3, 3, strides=2, padding="same"),
                                             TD("GlobalAveragePooling3D")), steps=(1, 5), samples=8),
    Case("td3d/resample_variable", frames((None, 3, 4, 4, 2), TD("ZeroPadding3D", 1), TD("Cropping3D", (0, 1, 1)),
                                          TD("UpSampling3D", 2), TD("AveragePooling3D", 2, padding="same")),
         steps=(1, 5), samples=8),
    Case("td3d/conv_transpose", frames((None, 2, 3, 3, 2), TD("Conv3DTranspose", 2, 3, strides=2)), steps=(1, 4),
         samples=8),
    Case("td3d/adaptive", frames((2, 5, 6, 4, 2), TD("AdaptiveMaxPooling3D", (2, 3, 2))), samples=8),
    Case("td3d/tf_h5", frames((None, 4, 5, 5, 2), TD("Conv3D", 3, 3, activation="relu"), TD("MaxPooling3D", 2),
                              TD("GlobalMaxPooling3D")), "tf_h5", steps=(1, 5), samples=8),
]


#: both weight modes: weights in the generated class, and in a resource file next to it
WEIGHT_MODES = [replace(c, id=f"{c.id}/{mode}", weights=mode)
                for c in (CONV[1], TRANSPOSE[1], TIME[0])
                for mode in ("embedded", "resource")]

CASES = CONV + TRANSPOSE + TIME + WEIGHT_MODES

battery = KerasBattery([(prepare, CASES, True)], seed=8100, package="k2jtest.vol", workdir="conv3d")
prepared, batch, test_matches_keras = battery.tests()
test_reference_matches_keras = battery.test_reference_matches_keras()


def test_too_shallow_volume_is_refused_in_java(batch):
    """A valid convolution along a variable depth needs at least the kernel's span; Java says so."""
    result = batch.run_one("conv3d/variable_depth_valid", [np.zeros((2, 5, 4, 2), "f4")])
    assert "IllegalArgumentException" in result and "needs at least 3 rows, got 2" in result


def test_unsupported_3d_options_are_refused_together(tmp_path):
    """A ConvLSTM3D on channels_first frames and a Conv3D on a volume with a variable
    height: one error naming each layer and its reason, nothing written."""
    from keras2java import UnsupportedModelError, convert
    from support.keras_cases import keras
    k = keras()
    x1, x2 = k.Input((3, 2, 4, 4, 4)), k.Input((4, None, 5, 2))
    a = k.layers.ConvLSTM3D(2, 3, data_format="channels_first", name="convlstm3d_cf")(x1)
    b = k.layers.Conv3D(2, 3, name="conv3d_varheight")(x2)
    path = tmp_path / "bad.keras"
    k.Model([x1, x2], [a, b]).save(path)
    with pytest.raises(UnsupportedModelError) as err:
        convert(str(path), str(tmp_path / "out"), package="p", class_name="M")
    text = str(err.value)
    assert "convlstm3d_cf" in text and "channels_first" in text
    assert "conv3d_varheight" in text and "only the depth may vary" in text
    assert not (tmp_path / "out").exists()
