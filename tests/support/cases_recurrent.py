"""Recurrent models (rows of tests/layers/test_recurrent.py, test_mask.py,
test_wrappers.py, test_conv_recurrent.py; also tests/runtime/test_vector_kernels.py and
tests/scenarios/test_batch.py): model builders, how inputs are made (padding patterns,
token ids) and how Keras' references are computed for each ``Case.mode`` (predict,
stream, stateful)."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from support.keras_cases import Case, keras, randomize, tf_keras

T = 9  # timesteps of padded batches
RECURRENT_SAMPLES = 12  # samples per case when Case.samples is None


# -- inputs ------------------------------------------------------------------
PATTERNS = ("end", "start", "middle", "none", "end+middle", "start+middle")


def _keep_mask(rng, n: int, pattern: str) -> np.ndarray:
    keep = np.ones(n, bool)
    pad = int(rng.integers(1, max(2, n // 2)))
    if "end" in pattern:
        keep[n - pad:] = False
    if "start" in pattern:
        keep[:pad] = False
    if "middle" in pattern:
        keep[n // 2] = False
        keep[n // 2 - 1 if n > 4 else n // 2] = False
    if not keep.any():
        keep[n // 2 + 1 if n > 2 else 0] = True
    return keep


def make_samples(case: Case, model, seed: int) -> list:
    rng = np.random.default_rng(seed)
    samples = []
    for s in range(case.n_samples(RECURRENT_SAMPLES)):
        sample = []
        for idx, inp in enumerate(model.inputs):
            shape = list(inp.shape[1:])
            fixed = shape and shape[0] is not None
            if idx > 0:  # initial states
                sample.append(rng.uniform(-1, 1, shape).astype(np.float32))
                continue
            if case.data in ("padded", "tokens_padded"):
                n = shape[0] if fixed else T
            elif fixed:
                n = shape[0]
            else:
                n = int(rng.integers(case.steps[0], case.steps[1] + 1))
            if case.data.startswith("tokens"):
                x = rng.integers(1 if case.data == "tokens_padded" else 0, case.vocab, [n] + shape[1:]).astype(np.float32)
                if case.data == "tokens_padded":
                    x[~_keep_mask(rng, n, PATTERNS[s % len(PATTERNS)])] = 0
            else:
                x = rng.uniform(-case.input_scale, case.input_scale, [n] + shape[1:]).astype(np.float32)
                if case.data == "padded":
                    x[~_keep_mask(rng, n, PATTERNS[s % len(PATTERNS)])] = case.mask_value
            sample.append(x)
        samples.append(sample)
    return samples


def _as_keras(model, arrays):
    out = [np.asarray(a).astype(getattr(inp.dtype, "name", inp.dtype)) for a, inp in zip(arrays, model.inputs)]
    return out if len(out) > 1 else out[0]


def _listify(out) -> list:
    return [np.asarray(o) for o in (out if isinstance(out, (list, tuple)) else [out])]


def keras_reference(case: Case, model, samples: list) -> list:
    if case.mode == "stateful":
        # one stateful instance fed the chunks in order, as the Java instance is
        return [[o[0] for o in _listify(model(_as_keras(model, [a[None] for a in s]), training=False))] for s in samples]
    if case.mode == "stream":
        expected = []
        for s in samples:
            seq = s[0]
            per_out = None
            for t in range(1, seq.shape[0] + 1):
                outs = _listify(model(_as_keras(model, [seq[None, :t]]), training=False))
                in_steps = model.inputs[0].shape[1]
                timed = [len(o.shape) >= 3 and o.shape[1] in (None, in_steps) for o in model.outputs]
                rows = [o[0][-1] if timed[i] else o[0] for i, o in enumerate(outs)]
                per_out = [[r] for r in rows] if per_out is None else [p + [r] for p, r in zip(per_out, rows)]
            expected.append([np.concatenate([np.ravel(r) for r in p]) for p in per_out])
        return expected
    shapes = {tuple(a.shape for a in s) for s in samples}
    if len(shapes) == 1:
        batch = [np.stack([s[i] for s in samples]) for i in range(len(samples[0]))]
        outs = _listify(model.predict(_as_keras(model, batch), verbose=0))
        return [[o[k] for o in outs] for k in range(len(samples))]
    # Different lengths: one eager call per sample.  (Keras 3.15's predict() returns
    # wrong values for TimeDistributed after a retrace for a new length; the eager
    # call of the same model is right and agrees with the equivalent Dense model.)
    return [[o[0] for o in _listify(model(_as_keras(model, [a[None] for a in s]), training=False))] for s in samples]


# -- models --------------------------------------------------------------------
def seq(layers_fn, shape=(None, 5), dtype="float32", batch_size=None):
    def build(k):
        inp = k.Input(shape, dtype=dtype, batch_size=batch_size)
        return k.Sequential([inp] + layers_fn(k))
    return build


def fn(body, *shapes):
    """Functional model: body(k, *inputs) returns the output(s)."""
    def build(k):
        ins = [k.Input(s) for s in shapes]
        outs = body(k, *ins)
        return k.Model(ins if len(ins) > 1 else ins[0], outs)
    return build


L = lambda k: k.layers  # noqa: E731
RNNS = {"LSTM": lambda k: L(k).LSTM, "GRU": lambda k: L(k).GRU, "SimpleRNN": lambda k: L(k).SimpleRNN}


def prepare(case: Case, directory: Path, seed: int):
    k = tf_keras() if case.fmt == "tf_h5" else keras()
    k.utils.set_random_seed(seed)
    model = case.build(k)
    randomize(model, seed, case.weight_scale)
    path = directory / (case.id.replace("/", "_") + (".keras" if case.fmt == "keras" else ".h5"))
    model.save(str(path))
    if case.edit_h5 is not None:
        import json

        import h5py
        with h5py.File(path, "r+") as h5:
            cfg, version = case.edit_h5(json.loads(h5.attrs["model_config"]), h5.attrs["keras_version"])
            h5.attrs["model_config"] = json.dumps(cfg)
            h5.attrs["keras_version"] = version
    samples = make_samples(case, model, seed + 1)
    expected = keras_reference(case, model, samples)
    if case.mode == "stateful":
        model.reset_states() if hasattr(model, "reset_states") else None
    return str(path), samples, expected


def harness_mode(case: Case, samples) -> str:
    """JavaBatch's run mode: Session steps for streaming cases, else predictAll."""
    if case.mode != "stream":
        return ""
    first = samples[0][0]
    return f"stream:{int(np.prod(first.shape[1:]))}"
