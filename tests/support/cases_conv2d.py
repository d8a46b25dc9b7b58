"""Issue 14: image layers (Conv2D, depthwise/separable, 2-D pooling, padding,
cropping, upsampling, normalization and shape layers on 4-D tensors) and
TimeDistributed over frames: the case table, its builders and its preparer
(test_conv2d_keras)."""
from __future__ import annotations

import numpy as np

from support.keras_cases import Case, keras, keras_outputs, random_samples, randomize, tf_keras


def img(shape, *layers, head=True):
    """Input(shape) -> layers -> Flatten -> Dense(3) when the shape is fixed (else the tensor itself)."""
    def build(k):
        x = inp = k.Input(shape)
        for make in layers:
            x = make(k)(x)
        if head and None not in x.shape[1:]:
            if len(x.shape) > 2:
                x = k.layers.Flatten()(x)
            x = k.layers.Dense(3)(x)
        return k.Model(inp, x)
    return build


def L(name, *args, **kw):
    return lambda k: getattr(k.layers, name)(*args, **kw)


def TD(name, *args, **kw):
    return lambda k: k.layers.TimeDistributed(getattr(k.layers, name)(*args, **kw))


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

NORM = [
    Case("batchnorm4d/last", img((5, 6, 3), L("Conv2D", 4, 3), L("BatchNormalization"))),
    Case("batchnorm4d/axis1", img((3, 5, 6), L("BatchNormalization", axis=1))),
    Case("batchnorm4d/variable_height", img((None, 4, 3), L("BatchNormalization")), steps=(1, 6)),
    Case("batchnorm4d/tf_h5", img((5, 6, 3), L("BatchNormalization"), L("BatchNormalization", axis=1)), "tf_h5"),
    Case("layernorm4d/last", img((5, 6, 3), L("LayerNormalization"))),
    Case("layernorm4d/axes123", img((5, 6, 3), L("LayerNormalization", axis=[1, 2, 3]))),
    Case("layernorm4d/tf_h5", img((5, 6, 3), L("LayerNormalization"), L("LayerNormalization", axis=[1, 2, 3])),
         "tf_h5"),
]


def crnn(k):
    """Spectrogram (time, freq, 1) -> Conv2D stack -> Reshape (time, features) -> Bidirectional GRU."""
    x = k.Input((16, 12, 1))
    h = k.layers.Conv2D(6, 3, padding="same", activation="relu")(x)
    h = k.layers.BatchNormalization()(h)
    h = k.layers.MaxPooling2D((1, 2))(h)
    h = k.layers.Conv2D(8, 3, padding="same", activation="relu")(h)
    h = k.layers.MaxPooling2D((2, 2))(h)
    h = k.layers.Reshape((8, 3 * 8))(h)
    h = k.layers.Bidirectional(k.layers.GRU(5))(h)
    return k.Model(x, k.layers.Dense(4, activation="softmax")(h))


def crnn_permute(k):
    """Spectrogram (freq, time, 1): Permute to (time, freq, channels), Reshape, LSTM over time."""
    x = k.Input((10, 14, 1))
    h = k.layers.Conv2D(4, 3, padding="same", activation="relu")(x)
    h = k.layers.Permute((2, 1, 3))(h)
    h = k.layers.Reshape((14, 40))(h)
    h = k.layers.LSTM(6, return_sequences=True)(h)
    return k.Model(x, k.layers.Dense(2)(h))


def crnn_variable(k):
    """Variable-length spectrogram (time, freq, 1): convolution along both axes, then a
    TimeDistributed Flatten gives (time, features) for a GRU."""
    x = k.Input((None, 8, 1))
    h = k.layers.Conv2D(4, 3, padding="same", activation="relu")(x)
    h = k.layers.MaxPooling2D((1, 2))(h)
    h = k.layers.TimeDistributed(k.layers.Flatten())(h)
    h = k.layers.GRU(5)(h)
    return k.Model(x, k.layers.Dense(3)(h))


SHAPE = [
    Case("flatten4d", img((4, 5, 3), L("Flatten"), L("Dense", 3))),
    Case("flatten4d/channels_first", img((3, 4, 5), L("Conv2D", 2, 2, data_format="channels_first"),
                                         L("Flatten", data_format="channels_first"), L("Dense", 3))),
    Case("flatten4d/tf_h5_channels_first", img((3, 4, 5), L("Flatten", data_format="channels_first"),
                                               L("Dense", 3)), "tf_h5"),
    Case("reshape4d_to_seq", img((4, 5, 3), L("Reshape", (4, 15)), L("LSTM", 3))),
    Case("permute4d", img((4, 5, 3), L("Permute", (3, 1, 2)), L("Reshape", (3, 20)), L("LSTM", 3))),
    Case("permute4d/tf_h5", img((4, 5, 3), L("Permute", (2, 3, 1)), L("Reshape", (5, 12)), L("GRU", 3)), "tf_h5"),
    Case("crnn", crnn),
    Case("crnn/tf_h5", crnn, "tf_h5"),
    Case("crnn_permute", crnn_permute),
    Case("crnn_permute/tf_h5", crnn_permute, "tf_h5"),
    Case("crnn_variable", crnn_variable, steps=(1, 9)),
    Case("crnn_variable/tf_h5", crnn_variable, "tf_h5", steps=(1, 9)),
]


def frames(shape, *layers, rnn=True):
    """Input (frames, h, w, c) -> TimeDistributed layers -> TimeDistributed(Flatten) -> LSTM -> Dense."""
    def build(k):
        x = inp = k.Input(shape)
        for make in layers:
            x = make(k)(x)
        if len(x.shape) > 3:
            x = k.layers.TimeDistributed(k.layers.Flatten())(x)
        if rnn:
            x = k.layers.LSTM(5)(x)
        return k.Model(inp, k.layers.Dense(3)(x))
    return build


def cnn_lstm(k):
    x = k.Input((None, 12, 12, 3))
    h = k.layers.TimeDistributed(k.layers.Conv2D(6, 3, activation="relu"))(x)
    h = k.layers.TimeDistributed(k.layers.MaxPooling2D(2))(h)
    h = k.layers.TimeDistributed(k.layers.Conv2D(8, 3, padding="same", activation="relu"))(h)
    h = k.layers.TimeDistributed(k.layers.GlobalAveragePooling2D())(h)
    h = k.layers.LSTM(7)(h)
    return k.Model(x, k.layers.Dense(4, activation="softmax")(h))


def nested_cnn(frames_shape, channels_first=False):
    """TimeDistributed around a nested Sequential CNN, then an LSTM over frames."""
    def build(k):
        fmt = "channels_first" if channels_first else "channels_last"
        cnn = k.Sequential([k.Input(frames_shape[1:]),
                            k.layers.Conv2D(4, 3, padding="same", activation="relu", data_format=fmt),
                            k.layers.BatchNormalization(axis=1 if channels_first else -1),
                            k.layers.MaxPooling2D(2, data_format=fmt),
                            k.layers.Conv2D(5, 2, data_format=fmt),
                            k.layers.Conv2D(3, 1, activation="tanh", data_format=fmt),
                            k.layers.Flatten(),
                            k.layers.Dense(6, activation="relu")])
        x = k.Input(frames_shape)
        h = k.layers.TimeDistributed(cnn)(x)
        return k.Model(x, k.layers.Dense(3)(k.layers.LSTM(5)(h)))
    return build


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
    Case("td/maxpool_fixed", frames((3, 6, 6, 2), TD("MaxPooling2D", 2))),
    Case("td/pool_variable", frames((None, 6, 6, 2), TD("MaxPooling2D", 2), TD("AveragePooling2D", 2, padding="same")),
         steps=(1, 6)),
    Case("td/global_pool", frames((None, 5, 4, 3), TD("GlobalMaxPooling2D")), steps=(1, 6)),
    Case("td/global_avg_keepdims", frames((3, 5, 4, 3), TD("GlobalAveragePooling2D", keepdims=True))),
    Case("td/resample", frames((None, 4, 5, 2), TD("ZeroPadding2D", 1), TD("Cropping2D", ((0, 1), (1, 1))),
                               TD("UpSampling2D", 2), TD("UpSampling2D", 2, interpolation="bilinear")),
         steps=(1, 5)),
    Case("td/depthwise_separable", frames((None, 6, 6, 3), TD("DepthwiseConv2D", 3, depth_multiplier=2),
                                          TD("SeparableConv2D", 4, 2, padding="same")), steps=(1, 5)),
    Case("td/cnn_lstm", cnn_lstm, steps=(1, 6)),
    Case("td/cnn_lstm/tf_h5", cnn_lstm, "tf_h5", steps=(1, 6)),
    Case("td/tf_h5_fixed", frames((4, 7, 6, 2), TD("Conv2D", 3, 3, activation="relu"), TD("MaxPooling2D", 2)),
         "tf_h5"),
    Case("td/tf_h5_resample", frames((None, 4, 5, 2), TD("ZeroPadding2D", 1), TD("UpSampling2D", 2),
                                     TD("DepthwiseConv2D", 2), TD("GlobalAveragePooling2D")), "tf_h5", steps=(1, 5)),
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

def convlstm_states(layer_name, shape, **kw):
    """A ConvLSTM with return_state: the output and both states are model outputs."""
    def build(k):
        x = k.Input(shape)
        out, h, c = getattr(k.layers, layer_name)(3, 3, return_state=True, **kw)(x)
        return k.Model(x, [out, h, c])
    return build


CONVLSTM = [
    Case("convlstm2d/valid", img((4, 6, 6, 2), L("ConvLSTM2D", 3, 3))),
    Case("convlstm2d/same_sequences", frames((4, 5, 6, 2), L("ConvLSTM2D", 3, 3, padding="same",
                                                             return_sequences=True))),
    Case("convlstm2d/strides_relu_hard_sigmoid", img((3, 7, 8, 2), L("ConvLSTM2D", 4, (3, 2), strides=2,
                                                                     activation="relu",
                                                                     recurrent_activation="hard_sigmoid"))),
    Case("convlstm2d/dilation_nobias", img((3, 7, 7, 2), L("ConvLSTM2D", 3, 2, dilation_rate=2, use_bias=False,
                                                           padding="same"))),
    Case("convlstm2d/go_backwards_sequences", frames((4, 5, 5, 2), L("ConvLSTM2D", 3, 3, go_backwards=True,
                                                                     return_sequences=True))),
    Case("convlstm2d/variable_steps", frames((None, 5, 6, 2), L("ConvLSTM2D", 3, 3, padding="same",
                                                                return_sequences=True), rnn=True),
         steps=(1, 6)),
    Case("convlstm2d/variable_last", img((None, 5, 6, 2), L("ConvLSTM2D", 3, 3, go_backwards=True)), steps=(1, 6)),
    Case("convlstm2d/return_state", convlstm_states("ConvLSTM2D", (4, 5, 6, 2), padding="same")),
    Case("convlstm2d/stacked", frames((3, 6, 6, 2), L("ConvLSTM2D", 4, 3, padding="same", return_sequences=True),
                                      L("BatchNormalization"), L("ConvLSTM2D", 2, 3, return_sequences=True),
                                      rnn=False)),
    Case("convlstm2d/tf_h5", frames((4, 5, 6, 2), L("ConvLSTM2D", 3, 3, padding="same", return_sequences=True)),
         "tf_h5"),
    Case("convlstm2d/tf_h5_backwards_state", convlstm_states("ConvLSTM2D", (4, 5, 6, 2), go_backwards=True),
         "tf_h5"),
    Case("convlstm2d/tf_h5_variable", img((None, 5, 6, 2), L("ConvLSTM2D", 3, 3, strides=2)), "tf_h5",
         steps=(1, 6)),
    Case("convlstm1d/valid", img((4, 8, 3), L("ConvLSTM1D", 3, 3))),
    Case("convlstm1d/same_sequences_s2", img((4, 9, 3), L("ConvLSTM1D", 3, 3, strides=2, padding="same",
                                                          return_sequences=True))),
    Case("convlstm1d/dilated_backwards", img((None, 9, 2), L("ConvLSTM1D", 3, 2, dilation_rate=3, go_backwards=True,
                                                             recurrent_activation="hard_sigmoid")), steps=(1, 6)),
    Case("convlstm1d/return_state", convlstm_states("ConvLSTM1D", (3, 8, 2))),
    Case("convlstm1d/tf_h5", img((4, 8, 3), L("ConvLSTM1D", 3, 3, padding="same", return_sequences=True)), "tf_h5"),
]


def masked_frames(steps, frame, *layers, outputs=None):
    """Input (steps, h*w*c) -> Masking -> TimeDistributed(Reshape(frame)) -> layers: a
    per-timestep Keras mask reaching a ConvLSTM; ``outputs`` picks model outputs from
    the last layer's (list) result."""
    def build(k):
        x = k.Input((steps, int(np.prod(frame))))
        h = k.layers.TimeDistributed(k.layers.Reshape(frame))(k.layers.Masking()(x))
        for make in layers:
            h = make(k)(h)
        return k.Model(x, list(h) if outputs else h)
    return build


def stream_model(shape, *layers):
    """Input(shape) -> layers, for streaming sessions (one frame per step)."""
    def build(k):
        x = inp = k.Input(shape)
        for make in layers:
            x = make(k)(x)
        return k.Model(inp, x)
    return build


#: ConvLSTM with masks and in streaming sessions, prepared by cases_recurrent.prepare
#: (data="padded": whole timesteps set to the mask value; mode="stream": every prefix
#: through Keras against one Session step per frame).  tf-keras cannot put a per-timestep
#: mask on frames (its TimeDistributed(Reshape) refuses a mask), so the masked rows are
#: Keras 3 files (.keras and legacy .h5).
CONVLSTM_SEQUENCE = [
    Case("convlstm2d/masked_sequences", masked_frames(9, (5, 6, 2), L("ConvLSTM2D", 3, 3, padding="same",
                                                                        return_sequences=True),
                                                      TD("Flatten"), L("LSTM", 4)), data="padded", family="ConvLSTM"),
    Case("convlstm2d/masked_last_strides", masked_frames(9, (7, 8, 2), L("ConvLSTM2D", 4, 3, strides=2),
                                                         L("Flatten"), L("Dense", 3)), data="padded", family="ConvLSTM"),
    Case("convlstm2d/masked_backwards_state", masked_frames(9, (5, 5, 2), L("ConvLSTM2D", 3, 3, go_backwards=True,
                                                                            return_sequences=True, return_state=True),
                                                            outputs=True), data="padded", family="ConvLSTM"),
    Case("convlstm2d/masked_zero_output", masked_frames(9, (5, 6, 2), L("ConvLSTM2D", 3, (3, 2), padding="same",
                                                                        return_sequences=True,
                                                                        zero_output_for_mask=True)),
         data="padded", family="ConvLSTM"),
    Case("convlstm2d/masked_h5", masked_frames(9, (5, 6, 2), L("ConvLSTM2D", 3, 3, return_sequences=True),
                                                  TD("Flatten"), L("GRU", 3)), "h5", data="padded",
         family="ConvLSTM"),
    Case("convlstm1d/masked_sequences", masked_frames(9, (8, 3), L("ConvLSTM1D", 3, 3, dilation_rate=2,
                                                                   return_sequences=True),
                                                      TD("Flatten"), L("SimpleRNN", 4)), data="padded",
         family="ConvLSTM"),
    Case("convlstm1d/masked_h5_state", masked_frames(9, (8, 3), L("ConvLSTM1D", 3, 3, padding="same",
                                                                  return_state=True), outputs=True),
         "h5", data="padded", family="ConvLSTM"),
    Case("convlstm2d/stream_frames", stream_model((None, 6, 6, 2), TD("Conv2D", 3, 3, padding="same",
                                                                      activation="relu"),
                                                  TD("MaxPooling2D", 2),
                                                  L("ConvLSTM2D", 4, 3, padding="same", return_sequences=True),
                                                  TD("GlobalAveragePooling2D"), L("Dense", 3)),
         mode="stream", samples=4, steps=(1, 6), family="ConvLSTM streaming"),
    Case("convlstm2d/stream_stacked_last", stream_model((None, 5, 5, 2), L("ConvLSTM2D", 3, 3,
                                                                           return_sequences=True),
                                                        L("ConvLSTM2D", 2, 3, padding="same"), L("Flatten"),
                                                        L("Dense", 2)),
         mode="stream", samples=4, steps=(1, 6), family="ConvLSTM streaming"),
    Case("convlstm1d/stream_tf_h5", stream_model((None, 8, 3), L("ConvLSTM1D", 3, 3, strides=2), L("Flatten"),
                                                 L("Dense", 2)),
         "tf_h5", mode="stream", samples=4, steps=(1, 6), family="ConvLSTM streaming"),
]

CASES = CONV + DEPTHWISE + POOL + RESAMPLE + NORM + SHAPE + TIME + TRANSPOSE + CONVLSTM


#: cases whose Keras reference runs compiled with XLA (see prepare)
XLA_CASES = ("channels_first", "transpose/dilated")


def prepare(case: Case, directory, seed: int):
    """Build, randomize (BatchNormalization variances kept positive), save, and
    record Keras' own outputs."""
    k = tf_keras() if case.fmt == "tf_h5" else keras()
    k.utils.set_random_seed(seed)
    model = case.build(k)
    randomize(model, seed, case.weight_scale)
    rng = np.random.default_rng(seed)
    for layer in model.layers:
        inner = getattr(layer, "layer", layer)
        for sub in getattr(inner, "layers", [inner]):
            if type(sub).__name__ == "BatchNormalization":
                sub.moving_variance.assign(rng.uniform(0.2, 2.0, sub.moving_variance.shape).astype("f4"))
    path = case.save(model, directory)
    if any(tag in case.id for tag in XLA_CASES):
        # TensorFlow's CPU kernels refuse NCHW convolutions ("only supports the NHWC tensor
        # format on the CPU") and dilated transposed convolutions ("do not yet support dilation
        # rates larger than 1"), depending on which graph rewrite runs; Keras itself routes
        # such ops through XLA, so these references run the model compiled with XLA.
        model.compile(jit_compile=True)
    samples = random_samples(model, case.n_samples(), seed + 1, case.steps, case.input_scale)
    if None in model.inputs[0].shape[1:]:
        # Keras 3's predict() retraces with a relaxed shape once the frame count changes,
        # and TimeDistributed then returns wrong values (checked with Keras 3.15: a model
        # predicting 1 frame and then 3 differs from model(x) by 1.5).  Calling the
        # model itself is Keras' own forward pass without that retracing.
        outs = [model(s[0][None], training=False) for s in samples]
        return path, samples, [[np.asarray(o)[0] for o in (out if isinstance(out, (list, tuple)) else [out])]
                               for out in outs]
    return path, samples, keras_outputs(model, samples)
