"""Sequence models: convolution, pooling, normalization and shape layers around
recurrent nets -- builders and the preparer of the sequence rows of
tests/layers/test_conv.py, test_norm.py and test_shape.py."""
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


def masked_gap(k):
    x = k.Input((8, 3))
    m = k.layers.Masking(0.0)(x)
    h = k.layers.LSTM(5, return_sequences=True)(m)
    return k.Model(x, k.layers.Dense(2)(k.layers.GlobalAveragePooling1D()(h)))


def embedding_gap(k):
    x = k.Input((None,))
    e = k.layers.Embedding(12, 4, mask_zero=True)(x)
    return k.Model(x, k.layers.Dense(2)(k.layers.GlobalAveragePooling1D()(k.layers.LayerNormalization()(e))))


def reshape_merge(k):
    """(T, 4) -> Reshape((-1, 2)) and Dense -> UpSampling1D(2): both 2T steps, added."""
    x = k.Input((None, 4))
    a = k.layers.Reshape((-1, 2))(x)
    b = k.layers.UpSampling1D(2)(k.layers.Dense(2)(x))
    return k.Model(x, k.layers.LSTM(3)(k.layers.Add()([a, b])))


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
