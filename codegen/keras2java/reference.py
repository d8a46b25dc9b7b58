"""A numpy evaluation of the IR: keras2java's own reference implementation.

It records golden vectors for ``--with-test`` and ``verify`` when TensorFlow
is not installed.  It follows Keras' definitions op by op (the same sources
the Java runtime follows) and is itself tested against Keras in
``tests/test_reference.py``.  It is deliberately plain numpy, computing in
float64 and rounding each op's result to float32, and it is slow: it is for
checking, not for serving.

Ops it does not implement (masks, initial states as inputs) raise
:class:`UnsupportedModelError` naming the layer.
"""
from __future__ import annotations

import math
from typing import Callable, Optional

import numpy as np

from .errors import Problem, UnsupportedModelError
from .ir import (Activation, ActivationOp, AttentionOp, BidirectionalOp, ConcatenateOp, Conv1DOp, DenseOp, DotOp,
                 EmbeddingOp, GlobalPool1DOp, GruOp, IdentityOp, LstmOp, MergeOp, Model, MultiHeadAttentionOp, Node,
                 NormalizeOp,
                 PermuteOp, Pool1DOp, ReshapeOp, ScaleShiftOp, SimpleRnnOp, TimeResampleOp)

f32 = np.float32
_erf = np.vectorize(math.erf, otypes=[np.float64])


def activation(a: Activation, x: np.ndarray) -> np.ndarray:
    """Keras' activation ``a`` applied to ``x`` (softmax kinds over the last axis)."""
    d = np.asarray(x, np.float64)
    k = a.kind
    with np.errstate(over="ignore", invalid="ignore"):
        if k == "linear":
            y = d
        elif k == "relu":
            x32 = np.asarray(x, f32)
            y = np.where(x32 > f32(a.threshold), x32, f32(0)) if a.threshold else np.maximum(x32, f32(0))
            if a.max_value is not None:
                y = np.minimum(y, f32(a.max_value))
            if a.alpha:
                neg = f32(a.threshold) - x32
                y = np.where(neg > 0, y - f32(a.alpha) * neg, y)
            y = np.asarray(y, np.float64)
        elif k == "sigmoid":
            y = 1.0 / (1.0 + np.exp(-d))
        elif k == "tanh":
            y = np.tanh(d)
        elif k == "hard_sigmoid_k2":
            y = np.clip(np.asarray(f32(0.2) * np.asarray(x, f32) + f32(0.5), f32), 0, 1)
        elif k == "hard_sigmoid_k3":
            y = np.clip(np.asarray(x, f32) + f32(3), 0, 6) / f32(6)
        elif k == "elu":
            y = np.where(d > 0, d, a.alpha * np.expm1(d))
        elif k == "selu":
            scale, alpha = 1.0507009873554804934193349852946, 1.6732632423543772848170429916717
            y = np.where(d > 0, scale * d, scale * alpha * np.expm1(d))
        elif k == "softplus":
            y = np.maximum(d, 0) + np.log1p(np.exp(-np.abs(d)))
        elif k == "softsign":
            y = d / (np.abs(d) + 1)
        elif k == "exponential":
            y = np.exp(d)
        elif k == "swish":
            y = d / (1.0 + np.exp(-d))
        elif k == "gelu":
            y = 0.5 * d * (1.0 + _erf(d / math.sqrt(2.0)))
        elif k == "gelu_tanh":
            y = 0.5 * d * (1.0 + np.tanh(0.7978845608028654 * (d + 0.044715 * d ** 3)))
        elif k == "hard_silu_k3":
            x32 = np.asarray(x, f32)
            y = x32 * (np.clip(x32 + f32(3), 0, 6) / f32(6))
        elif k == "mish":
            y = d * np.tanh(np.maximum(d, 0) + np.log1p(np.exp(-np.abs(d))))
        elif k in ("softmax", "log_softmax"):
            z = d - d.max(axis=-1, keepdims=True)
            s = np.exp(z).sum(axis=-1, keepdims=True)
            y = np.exp(z) / s if k == "softmax" else z - np.log(s)
        else:
            raise ValueError(f"unknown activation {k}")
    return np.asarray(y, f32)


def _w(t) -> np.ndarray:
    return np.asarray(t.array, np.float64)


# -- recurrent -----------------------------------------------------------------


def _rnn(op, x: np.ndarray) -> tuple[np.ndarray, list[np.ndarray]]:
    """Run one recurrent op over x (T, F); returns (outputs in processing order, final states)."""
    u = op.units
    seq = x[::-1] if op.go_backwards else x
    W, U = _w(op.kernel), _w(op.recurrent_kernel)
    h = np.zeros(u)
    c = np.zeros(u)
    outs = []
    for xt in np.asarray(seq, np.float64):
        if isinstance(op, LstmOp):
            z = xt @ W + h @ U + (_w(op.bias) if op.bias is not None else 0)
            ra = op.recurrent_activation
            i, f = activation(ra, z[:u]), activation(ra, z[u:2 * u])
            c = f * c + i * activation(op.activation, z[2 * u:3 * u])
            c = np.asarray(c, f32).astype(np.float64)
            o = activation(ra, z[3 * u:])
            h = np.asarray(o * activation(op.activation, c), np.float64)
        elif isinstance(op, GruOp):
            ra = op.recurrent_activation
            if op.reset_after:
                b = _w(op.bias) if op.bias is not None else np.zeros((2, 3 * u))
                mx = xt @ W + b[0]
                mi = h @ U + b[1]
                z = activation(ra, mx[:u] + mi[:u])
                r = activation(ra, mx[u:2 * u] + mi[u:2 * u])
                hh = activation(op.activation, mx[2 * u:] + r * mi[2 * u:])
            else:
                b = _w(op.bias) if op.bias is not None else np.zeros(3 * u)
                mx = xt @ W + b
                z = activation(ra, mx[:u] + h @ U[:, :u])
                r = activation(ra, mx[u:2 * u] + h @ U[:, u:2 * u])
                hh = activation(op.activation, mx[2 * u:] + (r * h) @ U[:, 2 * u:])
            h = np.asarray(np.asarray(z * h + (1 - z) * hh, f32), np.float64)
        else:
            z = xt @ W + h @ U + (_w(op.bias) if op.bias is not None else 0)
            h = np.asarray(activation(op.activation, z), np.float64)
        outs.append(h.copy())
    states = [h, c] if isinstance(op, LstmOp) else [h]
    return np.asarray(outs, f32), [np.asarray(s, f32) for s in states]


def _recurrent(node: Node, ins: list[np.ndarray]) -> list[np.ndarray]:
    op = node.op
    seqs, states = _rnn(op, ins[0])
    out = seqs if op.return_sequences else seqs[-1]
    return [out] + (states if op.return_state else [])


def _bidirectional(node: Node, ins: list[np.ndarray]) -> list[np.ndarray]:
    op: BidirectionalOp = node.op
    fs, fst = _rnn(op.forward, ins[0])
    bs, bst = _rnn(op.backward, ins[0])
    if op.return_sequences:
        f, b = fs, bs[::-1]   # Keras flips the backward sequence back along time
    else:
        f, b = fs[-1], bs[-1]
    if op.merge_mode is None:
        outs = [f, b]
    elif op.merge_mode == "concat":
        outs = [np.concatenate([f, b], axis=-1)]
    elif op.merge_mode == "sum":
        outs = [f + b]
    elif op.merge_mode == "mul":
        outs = [f * b]
    else:
        outs = [(f + b) / f32(2)]
    return outs + ((fst + bst) if op.return_state else [])


# -- the rest ------------------------------------------------------------------


def _conv1d(op: Conv1DOp, x: np.ndarray) -> np.ndarray:
    T, C = x.shape
    k, s, dil = op.kernel_size, op.strides, op.dilation
    span = dil * (k - 1) + 1
    if op.padding == "valid":
        out_t, pad = (T - span) // s + 1, 0
    else:
        out_t = -(-T // s)
        pad = span - 1 if op.padding == "causal" else max((out_t - 1) * s + span - T, 0) // 2
    K = _w(op.kernel)
    g, in_g, f_g = op.groups, C // op.groups, op.filters // op.groups
    y = np.zeros((out_t, op.filters))
    xd = np.asarray(x, np.float64)
    for t in range(out_t):
        for j in range(k):
            src = t * s - pad + j * dil
            if 0 <= src < T:
                for gi in range(g):
                    y[t, gi * f_g:(gi + 1) * f_g] += xd[src, gi * in_g:(gi + 1) * in_g] @ K[j, :, gi * f_g:(gi + 1) * f_g]
    if op.pointwise is not None:
        y = y @ _w(op.pointwise)
    if op.bias is not None:
        y = y + _w(op.bias)
    return activation(op.activation, y)


def _pool1d(op: Pool1DOp, x: np.ndarray) -> np.ndarray:
    T, C = x.shape
    p, s = op.pool_size, op.strides
    if op.padding == "valid":
        out_t, pad = (T - p) // s + 1, 0
    else:
        out_t = -(-T // s)
        pad = max((out_t - 1) * s + p - T, 0) // 2
    y = np.zeros((out_t, C), f32)
    for t in range(out_t):
        lo, hi = max(t * s - pad, 0), min(t * s - pad + p, T)
        win = np.asarray(x[lo:hi], np.float64)
        y[t] = win.max(axis=0) if op.mode == "max" else win.mean(axis=0)
    return y


def _global_pool1d(op: GlobalPool1DOp, x: np.ndarray) -> np.ndarray:
    y = x.max(0) if op.mode == "max" else np.asarray(x, np.float64).mean(0)
    y = np.asarray(y, f32)
    return y[None, :] if op.keepdims else y


def _attention(op: AttentionOp, ins: list[np.ndarray]) -> list[np.ndarray]:
    q, v = np.asarray(ins[0], np.float64), np.asarray(ins[1], np.float64)
    k = np.asarray(ins[2], np.float64) if len(ins) > 2 else v
    if op.score_mode == "dot":
        scores = q @ k.T
        if op.scale is not None:
            scores = scores * float(_w(op.scale).ravel()[0])
    else:
        qk = q[:, None, :] + k[None, :, :]
        if op.score_mode == "concat":
            sc = float(_w(op.scale).ravel()[0]) if op.scale is not None else 1.0
            scores = float(_w(op.concat_weight).ravel()[0]) * np.tanh(sc * qk).sum(-1)
        else:
            scale = _w(op.scale) if op.scale is not None else 1.0
            scores = (scale * np.tanh(qk)).sum(-1)
    if op.causal:
        tq, tv = scores.shape
        scores = np.where(np.arange(tv)[None, :] > np.arange(tq)[:, None], scores - 1e9, scores)
    z = np.exp(scores - scores.max(-1, keepdims=True))
    w = z / z.sum(-1, keepdims=True)
    return [np.asarray(w @ v, f32)] + ([np.asarray(w, f32)] if op.return_scores else [])


def _multi_head_attention(op, ins: list[np.ndarray]) -> list[np.ndarray]:
    q, v = np.asarray(ins[0], np.float64), np.asarray(ins[1], np.float64)
    k = np.asarray(ins[2], np.float64) if len(ins) > 2 else v

    def proj(x, kernel, bias):
        return x @ _w(kernel) + (_w(bias) if bias is not None else 0)

    h, dk, dv = op.num_heads, op.key_dim, op.value_dim
    pq = proj(q, op.query_kernel, op.query_bias).reshape(len(q), h, dk) / math.sqrt(dk)
    pk = proj(k, op.key_kernel, op.key_bias).reshape(len(k), h, dk)
    pv = proj(v, op.value_kernel, op.value_bias).reshape(len(v), h, dv)
    scores = np.einsum("ihc,jhc->hij", pq, pk)
    if op.causal:
        tq, tv = scores.shape[1:]
        scores = np.where(np.arange(tv)[None, None, :] > np.arange(tq)[None, :, None], -np.inf, scores)
    z = np.exp(scores - scores.max(-1, keepdims=True))
    w = z / z.sum(-1, keepdims=True)
    att = np.einsum("hij,jhc->ihc", w, pv).reshape(len(q), h * dv)
    out = att @ _w(op.output_kernel) + (_w(op.output_bias) if op.output_bias is not None else 0)
    return [np.asarray(out, f32)] + ([np.asarray(w, f32)] if op.return_scores else [])


def _dot(op: DotOp, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    if op.normalize:
        a = a * np.minimum(1 / np.sqrt((a * a).sum(op.axes[0], keepdims=True)), op.inv_cap)
        b = b * np.minimum(1 / np.sqrt((b * b).sum(op.axes[1], keepdims=True)), op.inv_cap)
    if a.ndim == 1:
        return np.asarray([a @ b], f32)
    return np.asarray(np.moveaxis(a, op.axes[0], -1) @ np.moveaxis(b, op.axes[1], 0), f32)


def _normalize(op: NormalizeOp, x: np.ndarray) -> np.ndarray:
    axes = tuple(range(x.ndim - op.axes, x.ndim))
    d = np.asarray(x, np.float64)
    shape = x.shape[x.ndim - op.axes:]
    if op.mode == "unit":
        ss = (d * d).sum(axes, keepdims=True)
        return np.asarray(d * np.minimum(1 / np.sqrt(ss), 1 / op.epsilon), f32)
    mean = d.mean(axes, keepdims=True)
    var = ((d - mean) ** 2).mean(axes, keepdims=True)
    y = (d - mean) / np.sqrt(var + op.epsilon) if op.mode == "layer" else d / np.sqrt(var + op.epsilon)
    if op.gamma is not None:
        y = y * _w(op.gamma).reshape(shape)
    if op.beta is not None:
        y = y + _w(op.beta).reshape(shape)
    return np.asarray(y, f32)


def _scale_shift(op: ScaleShiftOp, x: np.ndarray) -> np.ndarray:
    shape = [1] * x.ndim
    shape[op.axis] = -1
    return np.asarray(x * op.scale.array.reshape(shape) + op.shift.array.reshape(shape), f32)


def _resample(op: TimeResampleOp, x: np.ndarray) -> np.ndarray:
    if op.mode == "repeat":
        return np.repeat(x[None, :], op.size, axis=0)
    if op.mode == "upsample":
        return np.repeat(x, op.size, axis=0)
    if op.mode == "pad":
        return np.pad(x, ((op.before, op.after), (0, 0)))
    return x[op.before:x.shape[0] - op.after]


def _embedding(op: EmbeddingOp, x: np.ndarray) -> np.ndarray:
    ids = np.asarray(x, np.float64).astype(np.int64)
    if (ids < 0).any() or (ids >= op.input_dim).any():
        raise ValueError(f"token id outside [0, {op.input_dim})")
    return np.asarray(op.embeddings.array[ids], f32)


def _merge(mode: str, xs: list[np.ndarray]) -> np.ndarray:
    y = np.asarray(xs[0], f32)
    for x in xs[1:]:
        if mode in ("add", "average"):
            y = y + x
        elif mode == "subtract":
            y = y - x
        elif mode == "multiply":
            y = y * x
        elif mode == "maximum":
            y = np.maximum(y, x)
        else:
            y = np.minimum(y, x)
    return y / f32(len(xs)) if mode == "average" else y


Evaluator = Callable[[Node, list], list]

EVALUATORS: dict[type, Evaluator] = {
    IdentityOp: lambda n, i: [i[0]],
    ReshapeOp: lambda n, i: [i[0]],   # shapes are applied by the caller
    ActivationOp: lambda n, i: [activation(n.op.activation, i[0])],
    DenseOp: lambda n, i: [activation(n.op.activation, np.asarray(i[0], np.float64) @ _w(n.op.kernel)
                                      + (_w(n.op.bias) if n.op.bias is not None else 0))],
    LstmOp: _recurrent, GruOp: _recurrent, SimpleRnnOp: _recurrent,
    BidirectionalOp: _bidirectional,
    EmbeddingOp: lambda n, i: [_embedding(n.op, i[0])],
    ConcatenateOp: lambda n, i: [np.concatenate(i, axis=n.op.axis)],
    MergeOp: lambda n, i: [_merge(n.op.mode, i)],
    DotOp: lambda n, i: [_dot(n.op, i[0], i[1])],
    AttentionOp: lambda n, i: _attention(n.op, i),
    MultiHeadAttentionOp: lambda n, i: _multi_head_attention(n.op, i),
    Conv1DOp: lambda n, i: [_conv1d(n.op, i[0])],
    Pool1DOp: lambda n, i: [_pool1d(n.op, i[0])],
    GlobalPool1DOp: lambda n, i: [_global_pool1d(n.op, i[0])],
    ScaleShiftOp: lambda n, i: [_scale_shift(n.op, i[0])],
    NormalizeOp: lambda n, i: [_normalize(n.op, i[0])],
    PermuteOp: lambda n, i: [np.transpose(i[0], n.op.dims)],
    TimeResampleOp: lambda n, i: [_resample(n.op, i[0])],
}


def unsupported(model: Model) -> list[Problem]:
    """What the numpy reference cannot evaluate, one problem per node."""
    out = []
    for node in model.nodes:
        op = node.op
        why: Optional[str] = None
        if type(op) not in EVALUATORS:
            why = f"the numpy reference does not implement {op.kind} ops"
        elif getattr(op, "masked", False) or getattr(op, "initial_state", False):
            why = "the numpy reference does not implement masks or initial states as inputs"
        if why:
            out.append(Problem(node.layer_name, node.class_name, why))
    return out


def predict(model: Model, inputs: list[np.ndarray]) -> list[np.ndarray]:
    """One sample: ``inputs[i]`` has model input i's shape (without batch)."""
    problems = unsupported(model)
    if problems:
        raise UnsupportedModelError(problems, "Install TensorFlow to record reference outputs with Keras instead.")
    values = {p.tensor: np.asarray(x, f32) for p, x in zip(model.inputs, inputs)}
    for node in model.nodes:
        outs = EVALUATORS[type(node.op)](node, [values[t] for t in node.inputs])
        for t, v in zip(node.outputs, outs):
            shape = model.tensor(t).shape
            v = np.asarray(v, f32)
            if None not in shape:
                v = v.reshape(shape)
            elif len(shape) > 1:
                v = v.reshape((-1,) + tuple(shape[1:]))
            values[t] = v
    return [values[p.tensor] for p in model.outputs]
