"""Preprocessing layers that are numbers in, numbers out, PReLU and Identity
(tests/layers/test_preprocessing.py): the row builders and their preparer."""
from __future__ import annotations

import numpy as np

from support.keras_cases import Case, keras, keras_outputs, random_samples, tf_keras


def seq(shape, *layers, head=True, dtype="float32", adapt=None):
    """Input(shape) -> layers -> (a Dense head).  ``adapt`` (data shape) adapts the
    Normalization layers on Gaussian data with a non-zero mean before the model is built."""
    def build(k):
        x = inp = k.Input(shape, dtype=dtype)
        for make in layers:
            layer = make(k)
            if adapt is not None and type(layer).__name__ == "Normalization":
                rng = np.random.default_rng(7)
                layer.adapt((rng.normal(0.0, 1.0, adapt) * rng.uniform(0.2, 3.0, adapt[1:])
                             + rng.uniform(-2.0, 2.0, adapt[1:])).astype("f4"))
                layer.k2j_adapted = True
            x = layer(x)
        if head:
            if len(x.shape) > 2:
                x = k.layers.Flatten()(x) if None not in x.shape[1:] else k.layers.LSTM(4)(x)
            x = k.layers.Dense(3)(x)
        return k.Model(inp, x)
    return build


#: the IntegerLookup vocabulary of the rows (``data="vocab"`` samples draw from it)
VOCAB = [12, 7, 3, 40, 5, 21]


def L(name, *args, **kw):
    return lambda k: getattr(k.layers, name)(*args, **kw)


def randomize_floats(model, seed: int, scale: float) -> None:
    """Random float weights (integer state such as Normalization's count kept);
    Normalization means spread and variances positive, unless adapted."""
    rng = np.random.default_rng(seed)
    for layer in model.layers:
        cls = type(layer).__name__
        values = []
        for w in layer.weights:
            v = np.asarray(w.numpy())
            if v.dtype.kind != "f":
                values.append(v)
            elif cls == "Normalization":
                values.append(v)     # adapted, or set below
            else:
                values.append(rng.uniform(-scale, scale, v.shape).astype(v.dtype))
        if cls == "Normalization" and values and not getattr(layer, "k2j_adapted", False):
            values = [rng.uniform(-2, 2, values[0].shape).astype("f4"), rng.uniform(0.1, 3, values[1].shape)
                      .astype("f4"), values[2]]
        if values:
            layer.set_weights(values)
        if cls == "Normalization":
            layer.finalize_state()   # Keras caches mean and variance; loading a file refreshes them


def prepare(case: Case, directory, seed: int):
    k = tf_keras() if case.fmt == "tf_h5" else keras()
    k.utils.set_random_seed(seed)
    model = case.build(k)
    randomize_floats(model, seed, case.weight_scale)
    path = case.save(model, directory)
    samples = random_samples(model, case.n_samples(), seed + 1, case.steps, case.input_scale)
    rng = np.random.default_rng(seed + 2)
    for i, s in enumerate(samples):
        if case.id.startswith("identity/masked"):
            s[0][-(1 + i % 2):] = 0.0
        if case.data == "tokens":      # integers in [0, vocab)
            s[0][...] = rng.integers(0, case.vocab, s[0].shape)
        if case.data == "vocab":       # vocabulary entries only
            s[0][...] = rng.choice(VOCAB, s[0].shape)
    # Keras gets the integers in its inputs' dtypes; Java gets them as floats
    as_keras = [[a.astype(getattr(inp.dtype, "name", inp.dtype)) for a, inp in zip(s, model.inputs)] for s in samples]
    return path, samples, keras_outputs(model, as_keras)
