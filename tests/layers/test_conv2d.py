"""2-D convolutions against Keras (Keras 3 .keras and tf-keras .h5): Conv2D (every
padding, stride, dilation, group and activation option, channels_first, variable
height, images of any size (None, None, C) and a fully convolutional classifier),
DepthwiseConv2D and SeparableConv2D.  Java refuses too small images and a wrong
channel count;
unsupported image options are refused together, naming each layer.  (2-D pooling and
resampling: test_pool2d.py; transposed convolutions: test_conv_transpose.py.)"""
from __future__ import annotations

import numpy as np
import pytest

from support.battery import KerasBattery
from support.cases_conv2d import L, fully_convolutional, img, prepare
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
    # stride 1, same padding, several chunks of pixels that do not start at a row (a chunk is up to
    # 1024 pixels: Kernels.transposedRowsMax): the patch rows copied as runs of each channel's plane
    # (one channel: straight from the input)
    Case("conv2d/same_runs_even_kernel_dilated", img((19, 61, 1), L("Conv2D", 5, (2, 4), dilation_rate=(3, 2),
                                                                     padding="same", activation="relu"), head=False)),
    Case("conv2d/same_runs_channels", img((25, 45, 3), L("Conv2D", 6, (3, 5), padding="same"), head=False)),
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



# images of any size: (None, None, C), each sample its own height and width
VARIABLE_HW = [
    Case("conv2d/variable_hw_valid", img((None, None, 3), L("Conv2D", 4, 3)), steps=(3, 11), samples=4),
    Case("conv2d/variable_hw_same_s2", img((None, None, 2), L("Conv2D", 5, (3, 2), strides=2, padding="same",
                                                              activation="relu")), steps=(1, 11), samples=4),
    Case("conv2d/variable_hw_valid_s32", img((None, None, 2), L("Conv2D", 3, 3, strides=(3, 2))), steps=(3, 12),
         samples=4),
    Case("conv2d/variable_hw_dilation", img((None, None, 2), L("Conv2D", 4, (2, 3), dilation_rate=(2, 3))),
         steps=(7, 12), samples=4),
    Case("conv2d/variable_hw_groups_same", img((None, None, 4), L("Conv2D", 6, 3, groups=2, padding="same")),
         steps=(1, 9), samples=4),
    Case("conv2d/variable_hw_1x1", img((None, None, 4), L("Conv2D", 5, 1, use_bias=False)), steps=(1, 9), samples=4),
    Case("depthwise2d/variable_hw", img((None, None, 3), L("DepthwiseConv2D", 3, depth_multiplier=2,
                                                           padding="same")), steps=(1, 9), samples=4),
    Case("separable2d/variable_hw", img((None, None, 3), L("SeparableConv2D", 4, 3, strides=2)), steps=(3, 11),
         samples=4),
    Case("conv2d/fully_convolutional", fully_convolutional, steps=(6, 20), samples=4),
    Case("conv2d/fully_convolutional/resource", fully_convolutional, steps=(6, 20), samples=4, weights="resource"),
    Case("conv2d/fully_convolutional/tf_h5", fully_convolutional, "tf_h5", steps=(6, 20), samples=4),
    Case("conv2d/variable_hw_same_s2/tf_h5", img((None, None, 2), L("Conv2D", 5, 3, strides=2, padding="same")),
         "tf_h5", steps=(1, 11), samples=4),
    Case("separable2d/variable_hw/tf_h5", img((None, None, 3), L("SeparableConv2D", 4, 3, depth_multiplier=2)),
         "tf_h5", steps=(3, 11), samples=4),
]


# 3 x 3 x 128 = 1152 inputs per output, then a Dense over 1080 features: products in slices of 256
# inputs (Linear.LONG), the convolution's on the transposed path.  Weights of a trained layer's size
# (Glorot's limit for 1152 inputs is 0.07): with +-0.5, outputs near 1 are sums of terms near 6 and
# Keras itself is 9e-6 from the float64 result.
LONG_SUMS = [
    Case("conv2d/long_sums", img((10, 9, 128), L("Conv2D", 12, 3, padding="same", activation="relu")),
         weight_scale=0.1),
]

battery = KerasBattery([(prepare, CONV + DEPTHWISE + VARIABLE_HW + LONG_SUMS)], seed=7000, package="k2jtest.img",
                       workdir="conv2d")
prepared, batch, test_matches_keras = battery.tests()


def test_too_small_image_is_refused_in_java(batch):
    """A valid convolution along a variable height needs at least the kernel's span; Java says so."""
    result = batch.run_one("conv2d/variable_height_valid", [np.zeros((2, 6, 2), "f4")])
    assert "IllegalArgumentException" in result and "needs at least 3 rows, got 2" in result


def test_images_of_any_size_are_checked_in_java(batch):
    """An image of any size must still have the model's channels, and a valid convolution
    needs the kernel's span along the width too: Java names the expected shape."""
    result = batch.run_one("conv2d/fully_convolutional", [np.zeros((7, 9, 2), "f4")])
    assert "IllegalArgumentException" in result and "expected shape [?, ?, 3], got the shape [7, 9, 2]" in result
    result = batch.run_one("conv2d/variable_hw_valid", [np.zeros((5, 2, 3), "f4")])
    assert "IllegalArgumentException" in result and "width needs at least 3 rows, got 2" in result
    ok = batch.run_one("conv2d/fully_convolutional", [np.ones((31, 6, 3), "f4")])
    assert not isinstance(ok, str) and ok[0].shape == (4,) and abs(float(ok[0].sum()) - 1) < 1e-5


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


PROBE = """
public class ShapedProbe {
    public static void main(String[] args) throws Exception {
        Class<?> c = Class.forName(args[0]);
        Object m = c.getConstructor().newInstance();
        float[] y = (float[]) c.getMethod("predict", float[][][].class).invoke(m, (Object) new float[5][7][3]);
        int[] s = (int[]) c.getMethod("outputShape", int.class).invoke(m, 0);
        System.out.println(y.length + " " + java.util.Arrays.toString(s));
        y = (float[]) c.getMethod("predict", float[].class, int[].class).invoke(m, new float[72], new int[] {4, 6, 3});
        s = (int[]) c.getMethod("outputShape", int.class).invoke(m, 0);
        System.out.println(y.length + " " + java.util.Arrays.toString(s));
        try {
            c.getMethod("predict", float[].class).invoke(m, (Object) new float[105]);
            System.out.println("no exception");
        } catch (java.lang.reflect.InvocationTargetException e) {
            System.out.println(e.getCause());
        }
    }
}
"""


def test_the_shaped_image_api(batch, tmp_path):
    """An image of any size: predict(float[][][]) and predict(float[], int[]) take its shape,
    outputShape(0) tells the output's; a flat input without its shape is refused by name."""
    import os
    import subprocess

    from support.harness import java_bin

    case = batch.cases["conv2d/variable_hw_valid"]
    (tmp_path / "ShapedProbe.java").write_text(PROBE)
    classes = batch.workdir / "classes"
    subprocess.run([java_bin("javac"), "--release", "8", "-cp", str(classes), "-d", str(tmp_path),
                    str(tmp_path / "ShapedProbe.java")], check=True)
    out = subprocess.run([java_bin("java"), "-cp", os.pathsep.join(map(str, (tmp_path, classes, batch.src))), "ShapedProbe",
                          case.class_fqn], check=True, capture_output=True, text=True).stdout.splitlines()
    assert out[0] == "60 [3, 5, 4]" and out[1] == "32 [2, 4, 4]"
    assert "IllegalArgumentException" in out[2] and "has shape [?, ?, 3] with several variable axes" in out[2]
