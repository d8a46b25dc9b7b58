"""Image layers (Conv2D, depthwise/separable, 2-D pooling, padding,
cropping, upsampling, normalization and shape layers on 4-D tensors) and
TimeDistributed over frames: builders and the preparer of the image rows of
tests/layers/test_conv2d.py, test_conv_recurrent.py, test_norm.py, test_shape.py and
test_wrappers.py."""
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


def fully_convolutional(k):
    """Images of any size (None, None, 3): Conv2D -> MaxPooling2D -> Conv2D -> BatchNormalization
    -> GlobalAveragePooling2D -> Dense, a classifier for every height and width."""
    x = k.Input((None, None, 3))
    h = k.layers.Conv2D(6, 3, activation="relu")(x)
    h = k.layers.MaxPooling2D(2)(h)
    h = k.layers.Conv2D(8, 3, strides=2, padding="same")(h)
    h = k.layers.BatchNormalization()(h)
    h = k.layers.GlobalAveragePooling2D()(h)
    return k.Model(x, k.layers.Dense(4, activation="softmax")(h))


def image_merges(k):
    """Two images of the same variable size (None, None, 1) and (None, None, 3): Concatenate
    along the channels, two 1x1 convolutions, Add and Multiply of them, Dense per pixel."""
    a, b = k.Input((None, None, 1)), k.Input((None, None, 3))
    c = k.layers.Concatenate()([a, b])
    p, q = k.layers.Conv2D(5, 1)(c), k.layers.Conv2D(5, 3, padding="same")(c)
    s = k.layers.Add()([p, q])
    m = k.layers.Multiply()([s, q])
    return k.Model([a, b], k.layers.Dense(2)(k.layers.Concatenate()([m, b])))


def frames(shape, *layers, rnn=True, head=True):
    """Input (frames, h, w, c) -> TimeDistributed layers -> TimeDistributed(Flatten) -> LSTM -> Dense
    (without ``head``, the layers' output itself)."""
    def build(k):
        x = inp = k.Input(shape)
        for make in layers:
            x = make(k)(x)
        if not head:
            return k.Model(inp, x)
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


def convlstm_states(layer_name, shape, **kw):
    """A ConvLSTM with return_state: the output and both states are model outputs."""
    def build(k):
        x = k.Input(shape)
        out, h, c = getattr(k.layers, layer_name)(3, 3, return_state=True, **kw)(x)
        return k.Model(x, [out, h, c])
    return build


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


#: cases whose Keras reference runs compiled with XLA (see prepare)
XLA_CASES = ("channels_first", "transpose/dilated")


def rewritten(tmp_path, build, rewriter):
    """The IR of the Keras model ``build`` makes (saved as .keras, read back), before and
    after one of the emitter's rewriters (``keras2java.emit.rewrite``)."""
    from keras2java.builder import build_model
    from keras2java.reader import read_model
    path = tmp_path / "m.keras"
    build(keras()).save(path)
    model = build_model(read_model(str(path)))
    return model, rewriter(model)


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
        outs = [model([a[None] for a in s] if len(s) > 1 else s[0][None], training=False) for s in samples]
        return path, samples, [[np.asarray(o)[0] for o in (out if isinstance(out, (list, tuple)) else [out])]
                               for out in outs]
    return path, samples, keras_outputs(model, samples)
