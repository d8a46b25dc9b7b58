"""Keras 3 operation nodes (keras.ops calls and slicing recorded in Functional
configs), explicit mask= tensors, merged masks and dict inputs/outputs
(tests/layers/test_keras_ops.py): builders of the rows and their preparer."""
from __future__ import annotations

import json
import zipfile
from pathlib import Path

import numpy as np

from support.keras_cases import Case, keras, randomize, random_samples, tf_keras

# -- builders ------------------------------------------------------------------------------------


def slicing(k):
    o = k.ops
    x = k.Input((None, 4), name="frames")
    h = k.layers.LSTM(6, return_sequences=True)(x)
    last = h[:, -1, :]                     # last timestep of a variable-length sequence
    first = h[:, 0]
    tail = h[:, 2:]                        # a slice of the variable axis
    rev = h[:, ::-1, 1:5:2]                # reversed timesteps, strided features
    newax = h[..., None, 1:3]
    pooled = o.mean(tail, axis=1) + o.max(rev, axis=1)[:, :1]
    return k.Model(x, [last, first, pooled, k.layers.LSTM(3)(rev), o.sum(newax, axis=(2, 3))])


def slicing_fixed(k):
    x = k.Input((6, 5, 3))
    y = k.layers.Dense(4)(x)
    a = y[:, 1:5:2, ::-1, -1]
    b = y[:, -2, 1, :]
    c = y[:, :, None, 2, 1:]
    return k.Model(x, [a, b, c])


def arithmetic(k):
    o = k.ops
    a = k.Input((5, 3), name="a")
    b = k.Input((5, 3), name="b")
    da, db = k.layers.Dense(3)(a), k.layers.Dense(3)(b)
    outs = [da + db, da - 1.5, 2.0 - db, da * db, da / (o.abs(db) + 1.0), o.power(o.abs(da), 1.5), da ** 2,
            o.maximum(da, db), o.minimum(da, 0.2), o.mod(da, 0.7), o.floor_divide(da, 0.3),
            o.true_divide(da, 3.0), o.divide(3.0, o.abs(db) + 0.5), o.multiply(da, np.array([1.0, -2.0, 0.5], "float32")),
            o.add(db, np.array([[0.1], [0.2], [0.3], [0.4], [0.5]], "float32")), -da]
    return k.Model([a, b], outs)


def comparisons(k):
    o = k.ops
    a = k.Input((None, 3), name="a")
    b = k.Input((None, 3), name="b")
    da, db = k.layers.Dense(3)(a), k.layers.Dense(3)(b)
    ca, cb = da > 0.1, db <= da
    outs = [o.cast(ca, "float32"), o.cast(o.equal(o.round(da), o.round(db)), "float32"),
            o.cast(o.not_equal(da, db), "float32"), o.cast(da >= db, "float32"), o.cast(da < 0.0, "float32"),
            o.cast(o.logical_and(ca, cb), "float32"), o.cast(o.logical_or(ca, cb), "float32"),
            o.cast(o.logical_xor(ca, cb), "float32"), o.cast(o.logical_not(ca), "float32"),
            o.where(ca, da, db * 3.0), o.cast(da * 4.0, "int32"), o.cast(o.cast(da, "bool"), "float32"),
            o.convert_to_tensor(da) * 2.0, o.convert_to_tensor(ca, "float32")]
    return k.Model([a, b], outs)


def reductions(k):
    o = k.ops
    x = k.Input((None, 4, 3))
    h = k.layers.Dense(3)(x)
    c = h > 0
    outs = [o.mean(h, axis=1), o.sum(h, axis=[1, 3], keepdims=True), o.max(h, axis=-1), o.min(h, axis=2),
            o.mean(h, axis=(2, 3)), o.cast(o.any(c, axis=-1), "float32"), o.cast(o.all(c, axis=1), "float32"),
            o.prod(h, axis=-1, keepdims=True), o.amax(h, axis=2), o.amin(h, axis=1), o.sum(h, axis=-1)]
    return k.Model(x, outs)


def shapes(k):
    o = k.ops
    x = k.Input((6, 4), name="x")
    y = k.Input((6, 4), name="y")
    dx, dy = k.layers.Dense(4)(x), k.layers.Dense(4)(y)
    t = o.transpose(dx, (0, 2, 1))
    e = o.expand_dims(dx, axis=1)
    s = o.squeeze(e, axis=1)
    r = o.reshape(dx, (-1, 3, 8))
    cat = o.concatenate([dx, dy], axis=-1)
    cat1 = o.concatenate([dx, dy, dx], axis=1)
    st = o.stack([dx, dy], axis=1)
    st_last = o.stack([dx, dy, dx], axis=-1)
    mm = o.matmul(dx, o.transpose(dy, (0, 2, 1)))
    mm4 = o.matmul(o.reshape(dx, (-1, 2, 3, 4)), o.reshape(dy, (-1, 2, 4, 3)))
    return k.Model([x, y], [t, e, s + dy, r, cat, cat1, st, st_last, mm, mm4])


def variable_shapes(k):
    o = k.ops
    x = k.Input((None, 4))
    h = k.layers.Dense(6)(x)
    e = o.expand_dims(h, -1)
    m = o.matmul(e, o.transpose(e, (0, 1, 3, 2)))       # batched over the timesteps
    r = e[:, :, 1:3] * 2.0
    cat = o.concatenate([h, x], axis=-1)
    t = o.transpose(r, (0, 1, 3, 2))
    st = o.stack([h, h * 2.0], axis=-1)
    return k.Model(x, [k.layers.GRU(3)(o.sum(m, axis=-1)), k.layers.LSTM(2)(o.squeeze(e, -1)),
                       k.layers.LSTM(3)(cat), o.sum(t, axis=1), o.mean(st, axis=(1, 3))])


def elementwise(k):
    o = k.ops
    x = k.Input((5, 4))
    h = k.layers.Dense(4)(x)
    p = o.abs(h) + 0.1
    outs = [o.exp(h), o.log(p), o.sqrt(p), o.absolute(h), o.square(h), o.tanh(h), o.sigmoid(h), o.relu(h),
            o.reciprocal(p), o.sin(h), o.cos(h), o.floor(h * 3.0), o.ceil(h * 3.0), o.round(h * 3.0), o.sign(h),
            o.log1p(p), o.expm1(h), o.trunc(h * 3.0), o.softplus(h), o.rsqrt(p), o.erf(h), o.silu(h),
            o.clip(h, -0.2, 0.3), o.zeros_like(h) + 1.0, o.ones_like(h) * h, o.negative(h)]
    return k.Model(x, outs)


def masked_concatenate(k):
    """Keras records the merged mask with NotEqual, ExpandDims, ZerosLike, LogicalOr,
    op-Concatenate and Any nodes."""
    x = k.Input((None,), name="tokens")
    e = k.layers.Embedding(20, 4, mask_zero=True)(x)
    a = k.layers.LSTM(3, return_sequences=True)(e)
    b = k.layers.GRU(2, return_sequences=True)(e)
    c = k.layers.Concatenate()([a, b])
    d = k.layers.Add()([k.layers.Dense(5)(c), k.layers.Dense(5)(c)])
    return k.Model(x, k.layers.LSTM(3)(d))


def masked_merges_mixed(k):
    """A masked and an unmasked branch merged: Keras' recorded mask uses OnesLike for the unmasked one."""
    x = k.Input((None, 3), name="frames")
    m = k.layers.Masking(0.0)(x)
    a = k.layers.LSTM(4, return_sequences=True)(m)
    b = k.layers.Dense(2)(x)
    c = k.layers.Concatenate()([a, b])
    return k.Model(x, [k.layers.GRU(3)(c), k.layers.LSTM(2)(k.layers.Average()([a, k.layers.Dense(4)(m)]))])


def explicit_mask(k):
    """A mask computed with keras.ops and passed as mask= to recurrent layers."""
    o = k.ops
    x = k.Input((None, 3), name="frames")
    keep = o.any(o.not_equal(x, 0.0), axis=-1)
    keep2 = o.logical_and(keep, x[:, :, 0] > -0.8)
    h = k.layers.LSTM(4, return_sequences=True)(x, mask=keep)
    return k.Model(x, [k.layers.GRU(3)(h, mask=keep2), k.layers.LSTM(2, go_backwards=True)(x, mask=keep2)])


def dict_ports(k):
    a = k.Input((3,), name="zeta_in")
    b = k.Input((None, 2), name="alpha_in")
    c = k.Input((4,), name="mid_in")
    h = k.layers.Concatenate()([a, k.layers.LSTM(3)(b), c])
    return k.Model({"zeta": a, "alpha": b, "mid": c},
                   {"y": k.layers.Dense(2, name="yy")(h), "x": k.layers.Dense(1, name="xx")(h)})


def nested_ports(k):
    a = k.Input((3,), name="a")
    b = k.Input((2,), name="b")
    c = k.Input((4,), name="c")
    h = k.layers.Concatenate()([a, b, c])
    return k.Model([a, (b, c)], [k.layers.Dense(2)(h), {"q": k.layers.Dense(3)(h), "p": h[:, :2]}])


def masked_merges(k):
    """Every merge layer on two masked sequences, and on a masked and an unmasked one:
    the merged masks reach recurrent layers, and Keras 3's Maximum / Minimum /
    Multiply change values at masked steps (tf-keras' do not)."""
    tokens = k.Input((None,), name="tokens")
    frames = k.Input((None, 3), name="frames")
    e = k.layers.Embedding(20, 4, mask_zero=True)(tokens)
    a = k.layers.LSTM(3, return_sequences=True)(e)
    b = k.layers.GRU(3, return_sequences=True)(k.layers.Masking(0.0)(frames))
    c = k.layers.Dense(3)(frames)              # no mask
    outs = []
    for merge in ("Add", "Subtract", "Multiply", "Average", "Maximum", "Minimum", "Concatenate"):
        for pair in ((a, b), (a, c)):
            m = getattr(k.layers, merge)()(list(pair))
            outs += [m, k.layers.LSTM(2)(m)]
    three = k.layers.Maximum()([a, b, k.layers.Dense(3)(e)])
    outs += [three, k.layers.GRU(2)(three), k.layers.Multiply()([a, c, b])]
    return k.Model([tokens, frames], outs)


# -- preparing a case -------------------------------------------------------------------------------


def _flatten(value) -> list:
    """Keras' tree.flatten: dicts in sorted key order."""
    if isinstance(value, dict):
        return [x for key in sorted(value) for x in _flatten(value[key])]
    if isinstance(value, (list, tuple)):
        return [x for v in value for x in _flatten(v)]
    return [value]


def _pack(struct, flat: list):
    it = iter(flat)

    def walk(s):
        if isinstance(s, dict):
            return {key: walk(s[key]) for key in sorted(s)}
        if isinstance(s, (list, tuple)):
            return type(s)(walk(v) for v in s)
        return next(it)
    return walk(struct)


def _samples(model, case: Case, seed: int) -> list:
    samples = random_samples(model, case.n_samples(), seed, case.steps, case.input_scale)
    rng = np.random.default_rng(seed + 7)
    variable = [i for i, inp in enumerate(model.inputs) if len(inp.shape) > 1 and inp.shape[1] is None]
    for sample in samples:
        for i in variable[1:]:   # the variable-length inputs of one sample share their length
            n = sample[variable[0]].shape[0]
            sample[i] = rng.uniform(-case.input_scale, case.input_scale, (n,) + sample[i].shape[1:]).astype("f4")
        for arr in sample:
            if case.data == "tokens_padded" and arr.ndim == 1:
                arr[...] = rng.integers(1, 20, arr.shape)
                arr[int(rng.integers(0, arr.shape[0])):] = 0     # trailing padding
                arr[0] = 0 if arr.shape[0] > 2 and rng.random() < 0.3 else arr[0]
            elif case.data in ("padded", "tokens_padded") and arr.ndim == 2:
                for t in range(arr.shape[0]):
                    if rng.random() < 0.3:
                        arr[t] = 0.0
    return samples


def prepare(case: Case, directory: Path, seed: int) -> tuple[str, list, list]:
    """Build, randomize, save; Keras' outputs per sample (inputs and outputs in
    Keras' flattened order), one sample per call (variable lengths)."""
    k = tf_keras() if case.fmt == "tf_h5" else keras()
    k.utils.set_random_seed(seed)
    model = case.build(k)
    randomize(model, seed, case.weight_scale)
    path = case.save(model, directory)
    samples = _samples(model, case, seed + 1)
    struct = getattr(model, "_inputs_struct", None)
    if struct is None:
        struct = list(model.inputs) if len(model.inputs) > 1 else model.inputs[0]
    expected = []
    for s in samples:
        out = model(_pack(struct, [np.asarray(a[None]) for a in s]))
        expected.append([np.asarray(o)[0] for o in _flatten(out)])
    return path, samples, expected


def saved_classes(path: str) -> set:
    """``ops.<Class>`` for every operation node in a saved .keras config, ``<Class>`` for layers."""
    cfg = json.loads(zipfile.ZipFile(path).read("config.json"))
    return {("ops." if str(layer.get("module", "")).startswith("keras.src.ops") else "") + layer["class_name"]
            for layer in cfg["config"]["layers"]}
