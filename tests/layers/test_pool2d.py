"""2-D pooling and resampling layers against Keras (Keras 3 .keras and tf-keras .h5):
MaxPooling2D and AveragePooling2D (valid / same padding, strides), GlobalMaxPooling2D
and GlobalAveragePooling2D (keepdims), ZeroPadding2D, Cropping2D and UpSampling2D
(nearest, bilinear), channels_last and channels_first, fixed and variable heights,
images of any size (None, None, C), and the same layers per frame under TimeDistributed."""
from __future__ import annotations

import pytest

from support.battery import KerasBattery
from support.cases_conv2d import TD, L, frames, img, prepare
from support.keras_cases import Case

pytestmark = [pytest.mark.keras, pytest.mark.java, pytest.mark.slow]

POOL = [
    Case("maxpool2d/valid_2", img((8, 9, 3), L("MaxPooling2D", 2))),
    Case("maxpool2d/same_3_s2", img((9, 8, 3), L("MaxPooling2D", 3, strides=2, padding="same"))),
    Case("maxpool2d/same_3_s1", img((6, 7, 3), L("MaxPooling2D", 3, strides=1, padding="same"))),
    Case("maxpool2d/same_window_wider_than_image", img((5, 3, 2), L("MaxPooling2D", (2, 4), padding="same"))),
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


TIME = [
    Case("td/maxpool_fixed", frames((3, 6, 6, 2), TD("MaxPooling2D", 2))),
    Case("td/pool_variable", frames((None, 6, 6, 2), TD("MaxPooling2D", 2), TD("AveragePooling2D", 2, padding="same")),
         steps=(1, 6)),
    Case("td/global_pool", frames((None, 5, 4, 3), TD("GlobalMaxPooling2D")), steps=(1, 6)),
    Case("td/global_avg_keepdims", frames((3, 5, 4, 3), TD("GlobalAveragePooling2D", keepdims=True))),
    Case("td/resample", frames((None, 4, 5, 2), TD("ZeroPadding2D", 1), TD("Cropping2D", ((0, 1), (1, 1))),
                               TD("UpSampling2D", 2), TD("UpSampling2D", 2, interpolation="bilinear")),
         steps=(1, 5)),
    Case("td/tf_h5_resample", frames((None, 4, 5, 2), TD("ZeroPadding2D", 1), TD("UpSampling2D", 2),
                                     TD("DepthwiseConv2D", 2), TD("GlobalAveragePooling2D")), "tf_h5", steps=(1, 5)),
]


# images of any size: (None, None, C), each sample its own height and width
VARIABLE_HW = [
    Case("maxpool2d/variable_hw", img((None, None, 3), L("MaxPooling2D", 2)), steps=(2, 11), samples=4),
    Case("avgpool2d/variable_hw_same_s2", img((None, None, 2), L("AveragePooling2D", 3, strides=2, padding="same")),
         steps=(1, 11), samples=4),
    Case("maxpool2d/variable_hw_valid_23_s12", img((None, None, 2), L("MaxPooling2D", (2, 3), strides=(1, 2))),
         steps=(3, 11), samples=4),
    Case("globalmax2d/variable_hw", img((None, None, 4), L("GlobalMaxPooling2D")), steps=(1, 9), samples=4),
    Case("globalavg2d/variable_hw_keepdims", img((None, None, 4), L("GlobalAveragePooling2D", keepdims=True)),
         steps=(1, 9), samples=4),
    Case("resample2d/variable_hw", img((None, None, 2), L("ZeroPadding2D", ((1, 2), (0, 3))),
                                       L("Cropping2D", ((1, 0), (2, 1))), L("UpSampling2D", (2, 3))),
         steps=(1, 8), samples=4),
    Case("upsampling2d/variable_hw_bilinear", img((None, None, 2), L("UpSampling2D", (3, 2),
                                                                     interpolation="bilinear")),
         steps=(1, 7), samples=4),
    Case("pool2d/variable_hw/tf_h5", img((None, None, 3), L("MaxPooling2D", 3, strides=2, padding="same"),
                                         L("AveragePooling2D", 2), L("GlobalAveragePooling2D")), "tf_h5",
         steps=(4, 12), samples=4),
    Case("resample2d/variable_hw/tf_h5", img((None, None, 2), L("ZeroPadding2D", 1), L("Cropping2D", ((0, 1), 2)),
                                             L("UpSampling2D", 2, interpolation="bilinear")), "tf_h5",
         steps=(3, 8), samples=4),
]


battery = KerasBattery([(prepare, POOL + RESAMPLE + TIME + VARIABLE_HW)], seed=7100, package="k2jtest.pool2d",
                       workdir="pool2d")
prepared, batch, test_matches_keras = battery.tests()
