"""Preprocessing layers that are numbers in, numbers out, PReLU and Identity
(test_preprocessing_keras): the case table, its builders and its preparer.

Every case runs twice, with embedded and with resource weights."""
from __future__ import annotations

from dataclasses import replace

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


def L(name, *args, **kw):
    return lambda k: getattr(k.layers, name)(*args, **kw)


MEAN3 = [0.5, -1.25, 2.0]
VAR3 = [0.25, 4.0, 0.0]        # a zero variance: Keras divides by epsilon

NORMALIZATION = [
    Case("normalization/adapted_last_axis", seq((None, 4), L("Normalization"), adapt=(64, 7, 4)), steps=(1, 9),
         input_scale=3.0),
    Case("normalization/adapted_last_axis/tf_h5", seq((None, 4), L("Normalization"), adapt=(64, 7, 4)), "tf_h5",
         steps=(1, 9), input_scale=3.0),
    Case("normalization/stored_weights", seq((5,), L("Normalization"))),
    Case("normalization/stored_weights/tf_h5", seq((5,), L("Normalization")), "tf_h5"),
    Case("normalization/axis_none", seq((6,), L("Normalization", axis=None), adapt=(50, 6)), input_scale=3.0),
    Case("normalization/axes_1_2", seq((3, 4), L("Normalization", axis=(1, 2)), adapt=(40, 3, 4)), input_scale=3.0),
    Case("normalization/axis_1_of_3", seq((3, 4), L("Normalization", axis=1), adapt=(40, 3, 4)), input_scale=3.0),
    Case("normalization/axes_1_2/tf_h5", seq((3, 4), L("Normalization", axis=(1, 2))), "tf_h5"),
    Case("normalization/invert", seq((None, 3), L("Normalization", invert=True), adapt=(30, 5, 3)), steps=(1, 6)),
    Case("normalization/invert/tf_h5", seq((4,), L("Normalization", invert=True)), "tf_h5"),
    Case("normalization/config_mean_variance", seq((None, 3), L("Normalization", mean=MEAN3, variance=VAR3)),
         steps=(1, 6), input_scale=3.0),
    Case("normalization/config_scalar", seq((4,), L("Normalization", axis=None, mean=1.5, variance=2.0))),
    Case("normalization/config_invert_axis1", seq((3, 2), L("Normalization", axis=1, mean=[1.0, -2.0, 0.5],
                                                            variance=[2.0, 0.5, 3.0], invert=True))),
    Case("normalization/config/tf_h5", seq((None, 3), L("Normalization", mean=MEAN3, variance=VAR3)), "tf_h5",
         steps=(1, 6), input_scale=3.0),
]

RESCALING = [
    Case("rescaling/scalar", seq((None, 4), L("Rescaling", 1.0 / 255, offset=-0.5)), steps=(1, 6),
         input_scale=255.0),
    Case("rescaling/per_channel", seq((5, 3), L("Rescaling", [0.5, 2.0, -1.5], offset=[0.1, -0.2, 0.3]))),
    Case("rescaling/per_position", seq((2, 3), L("Rescaling", [[1.0, 2.0, 3.0], [-1.0, 0.5, 0.25]], offset=1.0))),
    Case("rescaling/scalar/tf_h5", seq((None, 4), L("Rescaling", 2.0, offset=-1.0)), "tf_h5", steps=(1, 6)),
    Case("rescaling/per_channel/tf_h5", seq((5, 3), L("Rescaling", [0.5, 2.0, -1.5], offset=[0.1, -0.2, 0.3])),
         "tf_h5"),
]

PRELU = [
    Case("prelu/after_dense", seq((6,), L("Dense", 5), L("PReLU"))),
    Case("prelu/after_dense/tf_h5", seq((6,), L("Dense", 5), L("PReLU")), "tf_h5"),
    Case("prelu/shared_time", seq((None, 4), L("PReLU", shared_axes=[1])), steps=(1, 7)),
    Case("prelu/shared_time/tf_h5", seq((None, 4), L("PReLU", shared_axes=[1])), "tf_h5", steps=(1, 7)),
    Case("prelu/full_alpha", seq((5, 4), L("PReLU"))),
    Case("prelu/shared_channels", seq((5, 4), L("PReLU", shared_axes=2))),
    Case("prelu/shared_all", seq((5, 4), L("PReLU", shared_axes=[1, 2]))),
]

IDENTITY = [
    Case("identity/between_dense", seq((6,), L("Dense", 5), L("Identity"), L("Dense", 4, activation="relu"))),
    Case("identity/masked_sequence", seq((None, 3), L("Masking", 0.0), L("Identity"), L("LSTM", 4)), steps=(1, 7)),
    Case("identity/tf_h5", seq((6,), L("Dense", 5), L("Identity")), "tf_h5"),
]

BOUNDS = [-0.5, 0.0, 0.25, 0.5]


def adapted_discretization(k):
    """Discretization(num_bins=5) adapted on data: the config keeps num_bins and the bin_boundaries."""
    layer = k.layers.Discretization(num_bins=5, output_mode="one_hot")
    layer.adapt(np.random.default_rng(3).normal(0.0, 1.0, (200, 4)).astype("f4"))
    x = k.Input((4,))
    return k.Model(x, k.layers.Dense(3)(k.layers.Flatten()(layer(x))))


DISCRETIZATION = [
    Case("discretization/adapted_num_bins", adapted_discretization),
    Case("discretization/int", seq((None, 3), L("Discretization", bin_boundaries=BOUNDS), head=False), steps=(1, 6)),
    Case("discretization/one_hot", seq((4,), L("Discretization", bin_boundaries=BOUNDS, output_mode="one_hot"))),
    Case("discretization/multi_hot", seq((5,), L("Discretization", bin_boundaries=BOUNDS, output_mode="multi_hot"))),
    Case("discretization/count", seq((5,), L("Discretization", bin_boundaries=BOUNDS, output_mode="count"))),
    Case("discretization/one_hot_last1", seq((3, 1), L("Discretization", bin_boundaries=[0.0],
                                                       output_mode="one_hot"))),
    Case("discretization/int/tf_h5", seq((None, 3), L("Discretization", bin_boundaries=BOUNDS), head=False),
         "tf_h5", steps=(1, 6)),
    Case("discretization/count/tf_h5", seq((5,), L("Discretization", bin_boundaries=BOUNDS, output_mode="count")),
         "tf_h5"),
]

CATEGORY_ENCODING = [
    Case("category_encoding/one_hot_scalar", seq((1,), L("CategoryEncoding", num_tokens=6, output_mode="one_hot"),
                                                 dtype="int32"), data="tokens", vocab=6),
    Case("category_encoding/one_hot_seq", seq((3,), L("CategoryEncoding", num_tokens=5, output_mode="one_hot"),
                                              dtype="int32"), data="tokens", vocab=5),
    Case("category_encoding/multi_hot", seq((4,), L("CategoryEncoding", num_tokens=7), dtype="int32"),
         data="tokens", vocab=7),
    Case("category_encoding/count", seq((6,), L("CategoryEncoding", num_tokens=5, output_mode="count"),
                                        dtype="int32"), data="tokens", vocab=5),
    Case("category_encoding/count/tf_h5", seq((6,), L("CategoryEncoding", num_tokens=5, output_mode="count"),
                                              dtype="int32"), "tf_h5", data="tokens", vocab=5),
    Case("category_encoding/one_hot/tf_h5", seq((1,), L("CategoryEncoding", num_tokens=6, output_mode="one_hot"),
                                                dtype="int32"), "tf_h5", data="tokens", vocab=6),
]

VOCAB = [12, 7, 3, 40, 5, 21]


def lookup_embed(**kw):
    """IntegerLookup (int output) -> Embedding -> Flatten -> Dense."""
    def build(k):
        x = k.Input((6,), dtype="int64")
        ids = k.layers.IntegerLookup(vocabulary=VOCAB, **kw)(x)
        e = k.layers.Embedding(len(VOCAB) + 3, 4)(ids)
        return k.Model(x, k.layers.Dense(3)(k.layers.Flatten()(e)))
    return build


def adapted_lookup(**kw):
    """IntegerLookup adapted on data (Keras 3 saves the vocabulary as an asset)."""
    def build(k):
        layer = k.layers.IntegerLookup(**kw)
        layer.adapt(np.array(VOCAB + VOCAB[:3] + [VOCAB[0]], "int64"))
        x = k.Input((6,), dtype="int64")
        e = k.layers.Embedding(len(VOCAB) + 3, 4)(layer(x))
        return k.Model(x, k.layers.Dense(3)(k.layers.Flatten()(e)))
    return build


INTEGER_LOOKUP = [
    Case("integer_lookup/adapted", adapted_lookup(), data="tokens", vocab=45),
    Case("integer_lookup/adapted_mask", adapted_lookup(mask_token=0), data="tokens", vocab=45),
    Case("integer_lookup/int_oov", lookup_embed(), data="tokens", vocab=45),
    Case("integer_lookup/int_mask_oov", lookup_embed(mask_token=0), data="tokens", vocab=45),
    Case("integer_lookup/int_two_oov", lookup_embed(num_oov_indices=2), data="tokens", vocab=45),
    Case("integer_lookup/int_output", seq((None,), L("IntegerLookup", vocabulary=VOCAB, mask_token=0), head=False,
                                          dtype="int64"), data="tokens", vocab=45, steps=(1, 8)),
    Case("integer_lookup/no_oov_in_vocab", seq((4,), L("IntegerLookup", vocabulary=VOCAB, num_oov_indices=0,
                                                       output_mode="multi_hot"), dtype="int64"),
         data="vocab", vocab=45),
    Case("integer_lookup/one_hot", seq((3,), L("IntegerLookup", vocabulary=VOCAB, output_mode="one_hot"),
                                       dtype="int64"), data="tokens", vocab=45),
    Case("integer_lookup/multi_hot_mask", seq((5,), L("IntegerLookup", vocabulary=VOCAB, mask_token=0,
                                                      output_mode="multi_hot"), dtype="int64"),
         data="tokens", vocab=45),
    Case("integer_lookup/count_pad", seq((5,), L("IntegerLookup", vocabulary=VOCAB, output_mode="count",
                                                 max_tokens=10, pad_to_max_tokens=True), dtype="int64"),
         data="tokens", vocab=45),
    Case("integer_lookup/invert", seq((None,), L("IntegerLookup", vocabulary=VOCAB, invert=True), head=False,
                                      dtype="int64"), data="tokens", vocab=10, steps=(1, 8)),
    Case("integer_lookup/invert_mask", seq((5,), L("IntegerLookup", vocabulary=VOCAB, mask_token=0, oov_token=-7,
                                                   invert=True), head=False, dtype="int64"), data="tokens", vocab=10),
    Case("integer_lookup/invert/tf_h5", seq((5,), L("IntegerLookup", vocabulary=VOCAB, invert=True), head=False,
                                            dtype="int64"), "tf_h5", data="tokens", vocab=10),
    Case("integer_lookup/int/tf_h5", lookup_embed(mask_token=0), "tf_h5", data="tokens", vocab=45),
    Case("integer_lookup/count/tf_h5", seq((5,), L("IntegerLookup", vocabulary=VOCAB, output_mode="count"),
                                           dtype="int64"), "tf_h5", data="tokens", vocab=45),
]

BASE = NORMALIZATION + RESCALING + PRELU + IDENTITY + DISCRETIZATION + CATEGORY_ENCODING + INTEGER_LOOKUP
CASES = BASE + [replace(c, id=c.id + "/resource", weights="resource") for c in BASE]


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
