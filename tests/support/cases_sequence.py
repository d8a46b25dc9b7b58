"""Convolution, pooling, normalization and shape layers around recurrent nets
(test_sequence_layers_keras, test_reference): the case table, its builders and
its preparer."""
from __future__ import annotations

import numpy as np

from support.keras_cases import Case, keras, keras_outputs, random_samples, randomize, tf_keras


def seq(shape, *layers, head=None):
    """Input(shape) -> layers -> (a Dense head unless head is False)."""
    def build(k):
        x = inp = k.Input(shape)
        for make in layers:
            x = make(k)(x)
        if head is not False:
            if len(x.shape) > 2:
                x = k.layers.Flatten()(x) if None not in x.shape[1:] else k.layers.LSTM(4)(x)
            x = k.layers.Dense(3)(x)
        return k.Model(inp, x)
    return build


def L(name, *args, **kw):
    return lambda k: getattr(k.layers, name)(*args, **kw)


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


def masked_gap(k):
    x = k.Input((8, 3))
    m = k.layers.Masking(0.0)(x)
    h = k.layers.LSTM(5, return_sequences=True)(m)
    return k.Model(x, k.layers.Dense(2)(k.layers.GlobalAveragePooling1D()(h)))


def embedding_gap(k):
    x = k.Input((None,))
    e = k.layers.Embedding(12, 4, mask_zero=True)(x)
    return k.Model(x, k.layers.Dense(2)(k.layers.GlobalAveragePooling1D()(k.layers.LayerNormalization()(e))))


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

def reshape_merge(k):
    """(T, 4) -> Reshape((-1, 2)) and Dense -> UpSampling1D(2): both 2T steps, added."""
    x = k.Input((None, 4))
    a = k.layers.Reshape((-1, 2))(x)
    b = k.layers.UpSampling1D(2)(k.layers.Dense(2)(x))
    return k.Model(x, k.layers.LSTM(3)(k.layers.Add()([a, b])))


SHAPE = [
    Case("flatten", seq((6, 4), L("Flatten"), L("Dense", 3))),
    Case("reshape", seq((24,), L("Reshape", (6, 4)), L("LSTM", 3))),
    Case("reshape/minus1", seq((4, 6), L("Reshape", (-1, 3)), L("LSTM", 3))),
    Case("permute", seq((5, 3), L("Permute", (2, 1)), L("LSTM", 3))),
    Case("repeat_vector", seq((4,), L("Dense", 3), L("RepeatVector", 5), L("LSTM", 3, return_sequences=True),
                              head=False)),
    Case("upsampling", seq((None, 3), L("UpSampling1D", 3)), steps=(1, 6)),
    Case("zeropadding", seq((None, 3), L("ZeroPadding1D", (1, 2))), steps=(1, 6)),
    Case("cropping", seq((None, 3), L("Cropping1D", (1, 2))), steps=(4, 9)),
    Case("shape/tf_h5", seq((5, 3), L("ZeroPadding1D", 2), L("Cropping1D", (1, 0)), L("UpSampling1D", 2),
                            L("Permute", (2, 1)), L("Reshape", (6, 8))), "tf_h5"),
    # Reshape((-1, ...)) of a variable number of timesteps T: the output has its own count
    Case("reshape/variable_double", seq((None, 4), L("Reshape", (-1, 2)), L("LSTM", 3)), steps=(1, 8)),  # 2T
    Case("reshape/variable_rank3", seq((None, 2, 3), L("Reshape", (-1, 3)), L("Conv1D", 4, 2, padding="same")),
         steps=(1, 8)),                                                                                    # 2T
    Case("reshape/variable_same_width", seq((None, 6), L("Reshape", (-1, 3, 2)), L("Reshape", (-1, 2)),
                                            L("GRU", 3)), steps=(1, 8)),                                   # T, 3T
    Case("reshape/variable_masked", seq((None, 4), L("Masking"), L("Reshape", (-1, 2)), L("LSTM", 3)),
         steps=(1, 8)),                                                                 # the mask is dropped
    Case("reshape/variable_double/tf_h5", seq((None, 4), L("Reshape", (-1, 2)), L("LSTM", 3)), "tf_h5",
         steps=(1, 8)),
    Case("reshape/variable_of_the_input_as_output", seq((None, 4), L("Reshape", (-1, 2)), head=False),
         steps=(1, 8)),
    Case("reshape/variable_merge", reshape_merge, steps=(1, 8)),
    Case("reshape/variable_merge/h5", reshape_merge, "h5", steps=(1, 8)),
    # ... and where T must be even (prepare keeps even lengths; an odd one is refused in Java)
    Case("reshape/variable_even_halve", seq((None, 6), L("Reshape", (-1, 12)), L("GRU", 3)), steps=(2, 12)),  # T/2
    Case("reshape/variable_even_3_2", seq((None, 6), L("Reshape", (-1, 4)), L("Conv1D", 3, 2, padding="causal")),
         steps=(2, 12)),                                                                                 # 3T/2
    Case("reshape/variable_even_output", seq((None, 6), L("Dense", 4), L("Reshape", (-1, 8)), head=False),
         steps=(2, 12)),
    Case("reshape/variable_even_halve/tf_h5", seq((None, 6), L("Reshape", (-1, 12)), L("GRU", 3)), "tf_h5",
         steps=(2, 12)),
]


def conv_pool_lstm_bn(k):
    x = k.Input((16, 6), name="frames")
    h = k.layers.Conv1D(8, 3, padding="causal", dilation_rate=2, activation="relu")(x)
    h = k.layers.MaxPooling1D(2)(h)
    h = k.layers.LSTM(10)(h)
    h = k.layers.BatchNormalization()(h)
    return k.Model(x, k.layers.Dense(4, activation="softmax")(h))


def lstm_ln_gap(k):
    x = k.Input((None, 5))
    h = k.layers.LSTM(8, return_sequences=True)(x)
    h = k.layers.LayerNormalization()(h)
    h = k.layers.GlobalAveragePooling1D()(h)
    return k.Model(x, k.layers.Dense(3, activation="softmax")(h))


COMPOSITE = [
    Case("composite/conv_pool_lstm_bn", conv_pool_lstm_bn),
    Case("composite/conv_pool_lstm_bn/tf_h5", conv_pool_lstm_bn, "tf_h5"),
    Case("composite/lstm_ln_gap", lstm_ln_gap, steps=(1, 10)),
    Case("composite/lstm_ln_gap/tf_h5", lstm_ln_gap, "tf_h5", steps=(1, 10)),
]

CASES = CONV + POOL + NORM + SHAPE + COMPOSITE


def prepare(case: Case, directory, seed: int):
    """Build, randomize (BatchNormalization variances kept positive), save,
    and record Keras' own outputs."""
    k = tf_keras() if case.fmt == "tf_h5" else keras()
    k.utils.set_random_seed(seed)
    model = case.build(k)
    randomize(model, seed, case.weight_scale)
    rng = np.random.default_rng(seed)
    for layer in model.layers:
        if type(layer).__name__ == "BatchNormalization":
            layer.moving_variance.assign(rng.uniform(0.2, 2.0, layer.moving_variance.shape).astype("f4"))
    path = case.save(model, directory)
    samples = random_samples(model, case.n_samples(), seed + 1, case.steps, case.input_scale)
    if case.id.startswith("reshape/variable_even"):   # the Reshape needs an even number of timesteps
        samples = [[x[:len(x) - len(x) % 2] for x in s] for s in samples]
    if case.id.startswith("masking/gap"):   # padded batches: zeros at the end, the start, a step in the middle
        for i, s in enumerate(samples):
            x = s[0]
            if i % 3 == 0:
                x[-(1 + i % 4):] = 0
            elif i % 3 == 1:
                x[:1 + i % 3] = 0
            else:
                x[3] = 0
    if case.id.startswith("masking/embedding"):
        rng2 = np.random.default_rng(seed + 2)
        for s in samples:
            s[0][:] = rng2.integers(0, 12, s[0].shape)
            s[0][-1] = 0
    return path, samples, keras_outputs(model, samples)
