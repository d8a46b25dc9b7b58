"""Keras masks reaching layers, per Keras version: builders and the preparer of the
masked rows of tests/layers/test_attention.py, test_merge.py and
tests/scenarios/test_masks.py.

Attention, AdditiveAttention and MultiHeadAttention: the query
mask, the value mask, both, a distinct key mask (MultiHeadAttention), with
causal masks and attention scores, in Keras 3 ``.keras`` and tf-keras ``.h5``.
Samples have masked steps, and some a query or a value masked entirely (the
rows where the Keras versions differ).

Layers whose call never reads a mask and whose output carries none in either
Keras version (pooling, Conv1D family, Reshape, Permute, Flatten, padding,
cropping, upsampling, Dot): the mask is dropped, so a recurrent layer after
them runs over every step.

Nested Sequential and Functional models fed a masked tensor (Keras 3 records its mask as
``mask=``).

Keras 3 MultiHeadAttention clearing its inputs' masks for the layers that run after
it, in Keras 3 ``.keras`` and ``.h5`` (tf-keras keeps them).

Merges of same-rank inputs whose axes of size 1 broadcast, as Keras computes
them; Dot on variable-length inputs; Concatenate along a variable timestep axis,
and of masked sequences along the timestep axis."""
from __future__ import annotations

from pathlib import Path

from support import cases_ops
from support.keras_cases import Case


def attention(cls: str, q_mask: bool = True, v_mask: bool = True, k_mask: bool = False, causal: bool = False,
              scores: bool = False, steps=(5, 6), tokens: bool = False, **options):
    """Query (and value, key) sequences, masked by Masking (or Embedding(mask_zero=True)
    with ``tokens`` for the query) and then projected by Dense, so masked steps carry
    values; the attention output feeds an LSTM too (the query's mask passes on)."""
    def build(k):
        tq, tv = steps
        if tokens:
            q_in = k.Input((tq,), name="tokens")
            q = k.layers.Embedding(20, 4, mask_zero=True)(q_in)
        else:
            q_in = k.Input((tq, 4), name="query")
            q = k.layers.Masking(0.0)(q_in) if q_mask else q_in
        v_in = k.Input((tv, 3), name="value")
        v = k.layers.Masking(0.0)(v_in) if v_mask else v_in
        q = k.layers.Dense(4)(q)
        v = k.layers.Dense(4)(v)
        ins = [q_in, v_in]
        key = None
        if k_mask:
            k_in = k.Input((tv, 2), name="key")
            key = k.layers.Dense(4)(k.layers.Masking(0.0)(k_in))
            ins.append(k_in)
        call = {"use_causal_mask": True} if causal else {}
        if scores:
            call["return_attention_scores"] = True
        if cls == "MultiHeadAttention":
            layer = k.layers.MultiHeadAttention(2, 3, **options)
            out = layer(q, v, key, **call) if key is not None else layer(q, v, **call)
        else:
            layer = getattr(k.layers, cls)(**options)
            out = layer([q, v] + ([key] if key is not None else []), **call)
        outs = list(out) if scores else [out]
        outs.append(k.layers.LSTM(3)(outs[0]))
        return k.Model(ins, outs)
    return build


def drops(k):
    """A masked sequence into every layer that drops masks; recurrent layers after some
    of them see no mask (Keras: the mask stops there)."""
    L = k.layers
    x = k.Input((6, 4), name="frames")
    m = L.Masking(0.0)(x)
    h = L.Dense(4)(m)                                  # passes the mask on
    outs = [L.MaxPooling1D(2)(h), L.AveragePooling1D(2, padding="same")(h), L.GlobalMaxPooling1D()(h),
            L.Conv1D(3, 2)(h), L.SeparableConv1D(3, 2)(h), L.DepthwiseConv1D(2)(h), L.Conv1DTranspose(2, 2)(h),
            L.Reshape((3, 8))(h), L.Permute((2, 1))(h), L.Flatten()(h), L.ZeroPadding1D(1)(h),
            L.Cropping1D((1, 2))(h), L.UpSampling1D(2)(h), L.Dot(axes=1)([h, L.Dense(3)(m)])]
    outs += [L.LSTM(3)(L.Conv1D(3, 2, padding="same")(h)), L.GRU(2)(L.ZeroPadding1D(1)(h)),
             L.LSTM(2)(L.Reshape((6, 4))(h)), L.SimpleRNN(2)(L.UpSampling1D(2)(h))]
    return k.Model(x, outs)


def broadcasting_merges(steps):
    """Nested Sequential and Functional models fed a masked tensor (Keras 3 records its mask as
``mask=``).

Keras 3 MultiHeadAttention clearing its inputs' masks for the layers that run after
it, in Keras 3 ``.keras`` and ``.h5`` (tf-keras keeps them).

Merges of same-rank inputs whose axes of size 1 broadcast (both Keras versions)."""
    def build(k):
        L = k.layers
        a, b, c = k.Input((steps, 3), name="a"), k.Input((1, 3), name="b"), k.Input((steps, 1), name="c")
        outs = []
        for merge in ("Add", "Subtract", "Multiply", "Average", "Maximum", "Minimum"):
            outs += [getattr(L, merge)()([a, b]), getattr(L, merge)()([c, a])]
            if merge != "Subtract":
                outs.append(getattr(L, merge)()([b, c, a]))
        outs.append(L.LSTM(2)(L.Add()([c, b])))
        return k.Model([a, b, c], outs)
    return build


def dot_variable(k):
    """Dot on variable-length inputs: contracting the timestep axis (a fixed output), and
    the features of a variable-length input with a fixed one (variable first axis)."""
    L = k.layers
    a, b, c = k.Input((None, 4), name="a"), k.Input((None, 3), name="b"), k.Input((5, 4), name="c")
    ac = L.Dot(axes=2)([a, c])
    return k.Model([a, b, c], [L.Dot(axes=1)([a, b]), L.Dot(axes=1, normalize=True)([b, a]), ac,
                               L.Dot(axes=(2, 2), normalize=True)([a, c]), L.LSTM(2)(ac)])


def concatenate_time(k):
    """Concatenate along a variable timestep axis, with fixed-length inputs mixed in."""
    L = k.layers
    a, b, c = k.Input((None, 3), name="a"), k.Input((None, 3), name="b"), k.Input((4, 3), name="c")
    ab = L.Concatenate(axis=1)([a, b])
    cab = L.Concatenate(axis=-2)([c, L.Dense(3)(a), b])
    return k.Model([a, b, c], [ab, cab, L.LSTM(2)(cab), L.GlobalAveragePooling1D()(ab)])


def masked_concatenate_time(steps, unmasked: bool = False):
    """Masked sequences concatenated along the timestep axis (Masking, Embedding(mask_zero=True),
    a fixed-length one; with ``unmasked`` an input without a mask too, whose steps Keras 3
    keeps): the output's mask is the inputs' masks in turn, which the recurrent layers and
    the pooling after it read.  Dense after Masking gives masked steps values."""
    def build(k):
        L = k.layers
        a, b, t = k.Input((steps, 3), name="a"), k.Input((4, 3), name="b"), k.Input((steps,), name="t")
        parts = [L.Dense(3)(L.Masking(0.0)(a)), L.Masking(0.0)(b), L.Embedding(20, 3, mask_zero=True)(t)]
        ins = [a, b, t]
        if unmasked:
            u = k.Input((3, 3), name="u")
            parts.insert(1, L.Dense(3)(u))
            ins.append(u)
        c = L.Concatenate(axis=1)(parts)
        return k.Model(ins, [c, L.LSTM(3)(c), L.GRU(2, return_sequences=True)(c), L.GlobalAveragePooling1D()(c)])
    return build


def mha_clears_masks(explicit: bool):
    """Keras 3 ``MultiHeadAttention.call`` clears the Keras mask of its query, value and
    key tensors, so layers reading the same tensor's mask afterwards (in Keras' run
    order: deepest first) see none, while those that ran before saw it; tf-keras keeps
    the mask.  Maximum, Minimum and Multiply read masks in Keras 3, attention in both.
    With ``explicit``, an LSTM after the second attention gets the mask its config
    records as ``mask=`` (built from ``keras.ops`` nodes, which Keras 3 ``.h5`` cannot hold)."""
    return lambda k: _mha_clears_masks(k, explicit)


def _mha_clears_masks(k, explicit: bool):
    L = k.layers
    ids = k.Input((6,), name="tokens")
    e = L.Embedding(20, 4, mask_zero=True)(ids)
    d = L.Dense(4)(e)                                   # runs first: its output keeps the mask
    a = L.MultiHeadAttention(2, 3)(e, e)                # clears e's mask (Keras 3)
    b = L.MultiHeadAttention(1, 2)(e, a)                # after a: no query mask in Keras 3
    deep = L.Maximum()([e, d])                          # deeper than a: runs before it, masked
    for _ in range(3):
        deep = L.Dense(4)(deep)
    level = L.Minimum()([d, e])                         # as deep as a: Keras' listing order decides
    level = L.Dense(4)(L.Dense(4)(level))
    after = L.Multiply()([e, a])                        # after a: e unmasked, a masked
    late = L.Maximum()([e, d])                          # a model output: runs after a
    return k.Model(ids, [L.LSTM(3)(b) if explicit else b, deep, level, after, late, L.GRU(2)(d)])


def mha_clears_masks_of_the_same_tensor(k):
    """Keras 3 layers that return their input tensor itself at inference (Dropout,
    SpatialDropout1D, GaussianNoise, Identity) pass on the same object, so the mask that
    ``MultiHeadAttention`` clears on one name of it is gone from the others: a causal
    attention reading a SpatialDropout1D output after another attention read its input
    sees no value mask, as one reading a Dropout output before that saw it; a Dense made a
    new tensor and keeps the mask."""
    L = k.layers
    ids = k.Input((6,), name="tokens")
    e = L.Embedding(20, 4, mask_zero=True)(ids)
    s = L.SpatialDropout1D(0.2)(e)
    g = L.GaussianNoise(0.1)(L.Identity()(e))
    dense = L.Dense(4)(e)
    early = L.MultiHeadAttention(1, 2)(L.Dense(4)(L.Dense(4)(e)), L.Dropout(0.3)(e))   # deeper: runs first
    clear = L.MultiHeadAttention(2, 3)(e, e)                      # clears e's mask, and s's and g's
    causal = L.MultiHeadAttention(1, 2)(e, s, use_causal_mask=True)
    noisy = L.MultiHeadAttention(1, 2)(dense, g)
    kept = L.MultiHeadAttention(1, 2)(e, dense)
    return k.Model(ids, [clear, causal, noisy, kept, early])


def mha_clears_masks_through_linear_activation(k):
    """Keras 3's ``Activation("linear")`` returns ``activations.linear(x)``, which is ``x``
    itself: the same object, so the mask ``MultiHeadAttention`` clears on its input is gone
    from its output too, and a causal attention reading that output afterwards sees no value
    mask; ``Activation("relu")`` makes a new tensor, which keeps the mask."""
    L = k.layers
    ids = k.Input((6,), name="tokens")
    e = L.Embedding(20, 4, mask_zero=True)(ids)
    linear = L.Activation("linear")(e)
    relu = L.Activation("relu")(e)
    clear = L.MultiHeadAttention(2, 3)(e, e)                      # clears e's mask, and linear's
    causal = L.MultiHeadAttention(1, 2)(e, linear, use_causal_mask=True)
    kept = L.MultiHeadAttention(1, 2)(e, relu, use_causal_mask=True)
    return k.Model(ids, [clear, causal, kept])


def nested_masked(k):
    """Nested models fed a masked tensor: Keras 3 records the tensor's mask as ``mask=``
    and sets it on the tensor again (``Functional.call``); the inner layers, built on an
    unmasked Input, read it at run time.  A Sequential (LSTM, Dense) and a Functional
    (GRU, Dense, Multiply of two masked branches) in a row; their outputs keep the mask
    for a GRU and a Maximum after them."""
    L = k.layers
    ids = k.Input((6,), name="tokens")
    e = L.Embedding(20, 4, mask_zero=True)(ids)
    seq = k.Sequential([k.Input((6, 4)), L.LSTM(3, return_sequences=True), L.Dense(2)], name="seq")
    i = k.Input((6, 2))
    h = L.GRU(3, return_sequences=True)(i)
    fun = k.Model(i, L.Multiply()([L.Dense(3)(i), h]), name="fun")
    y = seq(e)
    z = fun(y)
    return k.Model(ids, [y, z, L.GRU(2)(z), L.Maximum()([L.Dense(3)(e), z]), L.LSTM(2)(seq(L.Dense(4)(e)))])


def nested_creates_mask(k):
    """A nested Functional model whose Embedding(mask_zero=True) creates the mask: Keras 3
    sets none on its symbolic output (nothing recorded), but at run time the output carries
    the mask, which the LSTM, GRU and Minimum after it read."""
    L = k.layers
    ids = k.Input((6,), name="tokens")
    i = k.Input((6,))
    enc = k.Model(i, L.Dense(3)(L.Embedding(20, 4, mask_zero=True)(i)), name="enc")
    y = enc(ids)
    return k.Model(ids, [L.LSTM(2)(y), L.GRU(2, return_sequences=True)(L.Dense(3)(y)),
                         L.Minimum()([y, L.Dense(3)(y)])])


def initial_state_mask(k):
    """A recurrent layer called with initial_state on a masked sequence: Keras 3 passes it no
    mask (several tensor arguments, none recorded) but passes the mask on to its output
    sequence, which the attention and Maximum after it read; tf-keras masks the layer."""
    L = k.layers
    ids = k.Input((6,), name="tokens")
    e = L.Embedding(20, 3, mask_zero=True)(ids)
    pooled = L.GlobalAveragePooling1D()(e)
    h = L.LSTM(2, return_sequences=True)(e, initial_state=[L.Dense(2)(pooled), L.Dense(2)(pooled)])
    g = L.GRU(3, return_sequences=True)(e, initial_state=L.Dense(3)(pooled))
    return k.Model(ids, [h, L.MultiHeadAttention(1, 3)(e, h), L.Maximum()([g, L.Dense(3)(e)])])


def forms(name: str, build, formats=("keras", "tf_h5"), **kw) -> list:
    kw.setdefault("data", "padded")
    return [Case(f"{name}/{fmt}", build, fmt=fmt, **kw) for fmt in formats]


def prepare(case: Case, directory: Path, seed: int):
    """cases_ops' preparer (steps masked at random), with sample 0's query and sample
    1's value masked entirely (Masking: all-zero frames, Embedding: all-zero ids)."""
    orig = cases_ops._samples

    def samples(model, case, seed):
        out = orig(model, case, seed)
        for n, sample in enumerate(out[:2]):
            sample[n % len(sample)][...] = 0.0
        return out
    cases_ops._samples = samples
    try:
        return cases_ops.prepare(case, directory, seed)
    finally:
        cases_ops._samples = orig
