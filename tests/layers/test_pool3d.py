"""3-D pooling and resampling layers against Keras (Keras 3 .keras files, tf-keras .h5
where tf-keras has the class, both weight modes): MaxPooling3D and AveragePooling3D
(valid / same padding, strides), GlobalMax/AveragePooling3D (keepdims),
AdaptiveMax/AveragePooling3D, ZeroPadding3D, Cropping3D and UpSampling3D; channels_last
and channels_first, a variable depth; compiled and run in Java, also checking
keras2java's numpy reference."""
from __future__ import annotations

from dataclasses import replace

import pytest

from support.battery import KerasBattery
from support.cases_conv2d import L, img, prepare
from support.keras_cases import Case

pytestmark = [pytest.mark.keras, pytest.mark.java, pytest.mark.slow]

CF = {"data_format": "channels_first"}


def vol(shape, *layers):
    """Input(shape) -> layers: the volume itself is the output, compared value by value (a
    Dense head over hundreds of values would add float32 summation noise near the tolerance)."""
    return img(shape, *layers, head=False)


POOL = [
    Case("maxpool3d/valid_2", vol((6, 5, 7, 2), L("MaxPooling3D", 2))),
    Case("maxpool3d/same_3_s2", vol((7, 6, 5, 2), L("MaxPooling3D", 3, strides=2, padding="same"))),
    Case("maxpool3d/valid_mixed", vol((6, 7, 5, 2), L("MaxPooling3D", (2, 3, 1), strides=(1, 2, 1)))),
    Case("avgpool3d/same_3_s2", vol((7, 6, 5, 2), L("AveragePooling3D", 3, strides=2, padding="same"))),
    Case("avgpool3d/same_2_odd", vol((5, 5, 3, 2), L("AveragePooling3D", 2, padding="same"))),
    Case("avgpool3d/same_3_s1", vol((4, 5, 3, 2), L("AveragePooling3D", 3, strides=1, padding="same"))),
    Case("avgpool3d/valid_mixed", vol((6, 7, 5, 2), L("AveragePooling3D", (3, 2, 2), strides=(2, 1, 3)))),
    Case("maxpool3d/variable_depth", vol((None, 4, 4, 2), L("MaxPooling3D", 2)), steps=(2, 7)),
    Case("avgpool3d/variable_depth_same", vol((None, 4, 5, 2), L("AveragePooling3D", 3, strides=2, padding="same")),
         steps=(1, 7)),
    Case("pool3d/channels_first", vol((2, 6, 5, 7), L("MaxPooling3D", 2, **CF),
                                      L("AveragePooling3D", 2, padding="same", **CF))),
    Case("pool3d/tf_h5", vol((7, 6, 5, 2), L("MaxPooling3D", 3, strides=2, padding="same"),
                             L("AveragePooling3D", 2, padding="same")), "tf_h5"),
    Case("globalmax3d", vol((4, 5, 3, 4), L("GlobalMaxPooling3D"))),
    Case("globalavg3d", vol((4, 5, 3, 4), L("GlobalAveragePooling3D"))),
    Case("globalavg3d/keepdims", vol((4, 5, 3, 4), L("GlobalAveragePooling3D", keepdims=True))),
    Case("globalmax3d/keepdims_channels_first", vol((4, 3, 5, 2), L("GlobalMaxPooling3D", keepdims=True, **CF))),
    Case("globalavg3d/channels_first", vol((4, 3, 5, 2), L("GlobalAveragePooling3D", **CF))),
    Case("globalavg3d/variable_depth", vol((None, 3, 4, 4), L("GlobalAveragePooling3D")), steps=(1, 6)),
    Case("globalmax3d/tf_h5", vol((4, 5, 3, 4), L("GlobalMaxPooling3D")), "tf_h5"),
    Case("globalavg3d/tf_h5_keepdims", vol((4, 5, 3, 4), L("GlobalAveragePooling3D", keepdims=True)), "tf_h5"),
    Case("adaptive_avg3d/down", vol((6, 7, 5, 2), L("AdaptiveAveragePooling3D", (3, 4, 2)))),
    Case("adaptive_max3d/down", vol((6, 7, 10, 2), L("AdaptiveMaxPooling3D", (4, 3, 6)))),
    Case("adaptive_avg3d/up", vol((3, 2, 4, 2), L("AdaptiveAveragePooling3D", (5, 3, 4)))),
    Case("adaptive_max3d/int_size", vol((5, 6, 4, 3), L("AdaptiveMaxPooling3D", 2))),
    Case("adaptive3d/channels_first", vol((2, 6, 5, 7), L("AdaptiveAveragePooling3D", (4, 2, 3), **CF),
                                          L("AdaptiveMaxPooling3D", (2, 2, 2), **CF))),
]

RESAMPLE = [
    Case("zeropadding3d/asym", vol((3, 4, 5, 2), L("ZeroPadding3D", ((1, 2), (0, 3), (2, 0))))),
    Case("zeropadding3d/sym", vol((3, 4, 5, 2), L("ZeroPadding3D", (2, 1, 0)))),
    Case("zeropadding3d/default", vol((3, 4, 5, 2), L("ZeroPadding3D"))),
    Case("zeropadding3d/variable_depth", vol((None, 3, 4, 2), L("ZeroPadding3D", 1)), steps=(1, 5)),
    Case("cropping3d/asym", vol((5, 6, 7, 2), L("Cropping3D", ((1, 0), (2, 1), (0, 3))))),
    Case("cropping3d/default", vol((5, 6, 7, 2), L("Cropping3D"))),
    Case("cropping3d/variable_depth", vol((None, 5, 6, 2), L("Cropping3D", ((1, 2), 1, (0, 2)))), steps=(4, 8)),
    Case("upsampling3d/mixed", vol((2, 3, 4, 2), L("UpSampling3D", (2, 3, 1)))),
    Case("upsampling3d/default", vol((2, 3, 2, 2), L("UpSampling3D"))),
    Case("upsampling3d/variable_depth", vol((None, 2, 3, 2), L("UpSampling3D", (3, 1, 2))), steps=(1, 4)),
    Case("resample3d/channels_first", vol((2, 4, 5, 3), L("ZeroPadding3D", (1, 2, 0), **CF),
                                          L("Cropping3D", ((0, 1), (2, 0), 1), **CF),
                                          L("UpSampling3D", (1, 2, 2), **CF))),
    Case("resample3d/tf_h5", vol((3, 4, 5, 2), L("ZeroPadding3D", ((1, 2), (0, 3), (2, 0))),
                                 L("Cropping3D", ((1, 0), (2, 1), (0, 3))), L("UpSampling3D", (2, 1, 3))), "tf_h5"),
]

#: both weight modes: weights in the generated class, and in a resource file next to it
WEIGHT_MODES = [replace(POOL[0], id=f"{POOL[0].id}/{mode}", weights=mode) for mode in ("embedded", "resource")]

CASES = POOL + RESAMPLE + WEIGHT_MODES

battery = KerasBattery([(prepare, CASES, True)], seed=8300, package="k2jtest.pool3d", workdir="pool3d")
prepared, batch, test_matches_keras = battery.tests()
test_reference_matches_keras = battery.test_reference_matches_keras()
