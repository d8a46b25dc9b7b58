"""Attention layers: Attention and AdditiveAttention (one runtime class) and
MultiHeadAttention, attending over the time axis."""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import ClassVar, Optional

import numpy as np

from ..ir import WeightTensor, format_shape
from .base import ConversionProblem, Op, converter, f64, register_op
from .context import Converted, LayerContext
from .view import CallView, Const, New, Var, ViewContext, comment

f32 = np.float32


def _attention_call(op, node, ctx: ViewContext, init: New) -> CallView:
    """Attention-like layers: one runtime object called on (query, value, key) with an
    optional second output (the attention scores)."""
    q, v = ctx.ins[0], ctx.ins[1]
    k = ctx.ins[2] if len(ctx.ins) > 2 else v
    scores = Var(ctx.outs[1].var) if op.return_scores else None
    return CallView(ctx.field, comment(node), ctx.out_bufs(), "forward",
                    (Var(q.var), q.step_count(), Var(v.var), v.step_count(), Var(k.var), Var(ctx.outs[0].var), scores,
                     Var("ws"), 0),
                    cls=init.cls, init=init, workspace=(q.step_count(), v.step_count()))


@register_op
@dataclass(frozen=True)
class AttentionOp(Op):
    """Keras Attention (``score_mode`` "dot" or "concat") and AdditiveAttention
    ("additive") on inputs (query, value[, key]) of shapes (Tq, d), (Tv, dv),
    (Tv, d).  Scores are ``softmax`` over Tv after ``use_causal_mask`` (masked
    scores lowered by 1e9, as Keras does); output 0 is ``weights . value``,
    output 1 (``return_scores``) the weights."""

    score_mode: str
    causal: bool
    return_scores: bool
    scale: Optional[WeightTensor] = None         # () for Attention, (d,) for AdditiveAttention
    concat_weight: Optional[WeightTensor] = None  # () for score_mode="concat"
    kind: ClassVar[str] = "attention"
    runtime: ClassVar[tuple[str, ...]] = ("Attention", "Check")

    def evaluate(self, inputs):
        return _attention(self, inputs)

    def view(self, node, ctx: ViewContext) -> CallView:
        init = New("Attention", (Var("data"), Const("Attention", self.score_mode.upper()), ctx.ins[0].shape[-1],
                                 ctx.ins[1].shape[-1], self.causal, ctx.offset(self.scale),
                                 ctx.offset(self.concat_weight)))
        return _attention_call(self, node, ctx, init)


@register_op
@dataclass(frozen=True)
class MultiHeadAttentionOp(Op):
    """Keras MultiHeadAttention over (query, value[, key]) sequences, attention
    over the time axis: per head, ``softmax(q k^T / sqrt(key_dim))`` (causal:
    key step j <= query step i) applied to v, then the output projection.
    Kernels are stored flattened: query/key ``(d_in, heads*key_dim)``, value
    ``(d_in, heads*value_dim)``, output ``(heads*value_dim, d_out)``."""

    num_heads: int
    key_dim: int
    value_dim: int
    causal: bool
    return_scores: bool
    query_kernel: WeightTensor
    key_kernel: WeightTensor
    value_kernel: WeightTensor
    output_kernel: WeightTensor
    query_bias: Optional[WeightTensor] = None
    key_bias: Optional[WeightTensor] = None
    value_bias: Optional[WeightTensor] = None
    output_bias: Optional[WeightTensor] = None
    kind: ClassVar[str] = "multi_head_attention"
    runtime: ClassVar[tuple[str, ...]] = ("MultiHeadAttention", "Check")

    def evaluate(self, inputs):
        return _multi_head_attention(self, inputs)

    def view(self, node, ctx: ViewContext) -> CallView:
        k = ctx.ins[2] if len(ctx.ins) > 2 else ctx.ins[1]
        off = ctx.offset
        init = New("MultiHeadAttention", (
            Var("data"), self.num_heads, self.key_dim, self.value_dim, self.causal,
            ctx.ins[0].shape[-1], k.shape[-1], ctx.ins[1].shape[-1], ctx.outs[0].shape[-1],
            off(self.query_kernel), off(self.query_bias), off(self.key_kernel), off(self.key_bias),
            off(self.value_kernel), off(self.value_bias), off(self.output_kernel), off(self.output_bias)))
        return _attention_call(self, node, ctx, init)


# -- numpy reference -----------------------------------------------------------------------

def _attention(op: AttentionOp, ins: list[np.ndarray]) -> list[np.ndarray]:
    q, v = np.asarray(ins[0], np.float64), np.asarray(ins[1], np.float64)
    k = np.asarray(ins[2], np.float64) if len(ins) > 2 else v
    if op.score_mode == "dot":
        scores = q @ k.T
        if op.scale is not None:
            scores = scores * float(f64(op.scale).ravel()[0])
    else:
        qk = q[:, None, :] + k[None, :, :]
        if op.score_mode == "concat":
            sc = float(f64(op.scale).ravel()[0]) if op.scale is not None else 1.0
            scores = float(f64(op.concat_weight).ravel()[0]) * np.tanh(sc * qk).sum(-1)
        else:
            scale = f64(op.scale) if op.scale is not None else 1.0
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
        return x @ f64(kernel) + (f64(bias) if bias is not None else 0)

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
    out = att @ f64(op.output_kernel) + (f64(op.output_bias) if op.output_bias is not None else 0)
    return [np.asarray(out, f32)] + ([np.asarray(w, f32)] if op.return_scores else [])


# -- converters --------------------------------------------------------------------------


def _attention_inputs(ctx: LayerContext):
    shapes = ctx.input_shapes
    if len(shapes) not in (2, 3):
        raise ConversionProblem(f"expects [query, value] or [query, value, key], got {len(shapes)} inputs")
    if any(len(s) != 2 for s in shapes):
        raise ConversionProblem("query, value and key must be (timesteps, features) sequences, got "
                                + ", ".join(format_shape(s) for s in shapes))
    q, v = shapes[0], shapes[1]
    k = shapes[2] if len(shapes) == 3 else v
    if q[1] != k[1]:
        raise ConversionProblem(f"query has {q[1]} features and key {k[1]}; they must agree")
    if v[0] != k[0] and None not in (v[0], k[0]):
        raise ConversionProblem(f"value has {v[0]} timesteps and key {k[0]}; they must agree")
    if (v[0] is None) != (k[0] is None):
        raise ConversionProblem("value and key must both have a fixed or both a variable number of timesteps")
    other = ctx.call.other_kwargs if ctx.call is not None else {}
    causal = other.get("use_causal_mask", False) is True
    scores = other.get("return_attention_scores", False) is True
    if scores and v[0] is None:
        raise ConversionProblem("return_attention_scores with a variable number of value timesteps is not supported")
    outs = ((q[0], v[1]),) + (((q[0], v[0]),) if scores else ())
    return int(q[1]), causal, scores, outs


@converter("Attention", reads_masks=True)
def convert_attention(ctx: LayerContext) -> Converted:
    d, causal, scores, outs = _attention_inputs(ctx)
    mode = ctx.get_str("score_mode", "dot")
    if mode not in ("dot", "concat"):
        raise ConversionProblem(f"score_mode {mode!r} is not supported; expected 'dot' or 'concat'")
    use_scale = ctx.get_bool("use_scale", False)
    w = ctx.weights(([("scale", ())] if use_scale else []) + ([("concat_score_weight", ())] if mode == "concat" else []))
    scale = w[0] if use_scale else None
    concat = w[-1] if mode == "concat" else None
    return Converted(AttentionOp(mode, causal, scores, scale, concat), outs)


@converter("AdditiveAttention", reads_masks=True)
def convert_additive_attention(ctx: LayerContext) -> Converted:
    d, causal, scores, outs = _attention_inputs(ctx)
    use_scale = ctx.get_bool("use_scale", True)
    w = ctx.weights([("scale", (d,))] if use_scale else [])
    return Converted(AttentionOp("additive", causal, scores, w[0] if use_scale else None), outs)


#: Keras 3 sub-layer names (``query_dense``...) and tf-keras ones (``query``...) of MultiHeadAttention.
_MHA_PARTS = {"query_dense": "query", "key_dense": "key", "value_dense": "value", "output_dense": "output",
              "query": "query", "key": "key", "value": "value", "attention_output": "output"}


def _mha_weights(ctx: LayerContext) -> dict:
    """The stored weights by (part, "kernel"/"bias"), found by their path segments."""
    found: dict = {}
    for w in ctx.layer.weights:
        segs = w.name.replace(":0", "").split("/")
        if len(segs) >= 3 and segs[-2] == "vars" and segs[-3] in _MHA_PARTS:        # Keras 3: part/vars/i
            key = (_MHA_PARTS[segs[-3]], {"0": "kernel", "1": "bias"}.get(segs[-1], "?"))
        elif len(segs) >= 2 and segs[-2] in _MHA_PARTS:                              # tf-keras: part/kernel
            key = (_MHA_PARTS[segs[-2]], segs[-1])
        else:
            raise ConversionProblem(f"unexpected weight {w.name!r}")
        if key in found:
            raise ConversionProblem(f"two weights for {key[0]} {key[1]}")
        found[key] = w
    return found


@converter("MultiHeadAttention", reads_masks=True)
def convert_multi_head_attention(ctx: LayerContext) -> Converted:
    other = ctx.call.other_kwargs if ctx.call is not None else {}
    if len(ctx.input_shapes) == 1 and "value" in other:
        raise ConversionProblem("the value passed as a keyword argument (tf-keras configs) is not supported yet; "
                                "call the layer as layer(query, value) in Keras 3")
    shapes = ctx.input_shapes
    if len(shapes) not in (2, 3) or any(len(x) != 2 for x in shapes):
        raise ConversionProblem("expects query, value[, key] sequences (timesteps, features), got "
                                + ", ".join(format_shape(x) for x in shapes))
    if len(shapes) == 3 and (shapes[1][0] is None) != (shapes[2][0] is None) or \
            (len(shapes) == 3 and None not in (shapes[1][0], shapes[2][0]) and shapes[1][0] != shapes[2][0]):
        raise ConversionProblem("value and key must have the same number of timesteps")
    causal = other.get("use_causal_mask", False) is True
    scores = other.get("return_attention_scores", False) is True
    if scores and shapes[1][0] is None:
        raise ConversionProblem("return_attention_scores with a variable number of value timesteps is not supported")
    q, v = ctx.input_shapes[0], ctx.input_shapes[1]
    k = ctx.input_shapes[2] if len(ctx.input_shapes) == 3 else v
    heads = ctx.get_int("num_heads", minimum=1)
    key_dim = ctx.get_int("key_dim", minimum=1)
    value_dim = ctx.get_int("value_dim", key_dim, minimum=1) if ctx.layer.config.get("value_dim") is not None \
        else key_dim
    use_bias = ctx.get_bool("use_bias", True)
    axes = ctx.layer.config.get("attention_axes")
    if axes not in (None, [1], (1,), 1, [-2], (-2,), -2):
        raise ConversionProblem(f"attention_axes {axes!r} is not supported; only attention over the time axis")
    ctx.reject_true("use_gate", why="(gated attention) is not supported")
    if ctx.layer.config.get("sliding_window") is not None:
        raise ConversionProblem("sliding_window is not supported")
    out_shape = ctx.layer.config.get("output_shape")
    if isinstance(out_shape, (list, tuple)) and len(out_shape) == 1:
        out_shape = out_shape[0]
    if out_shape is not None and (not isinstance(out_shape, int) or out_shape < 1):
        raise ConversionProblem(f"output_shape {out_shape!r} is not supported; only one positive size")
    d_out = int(out_shape) if out_shape is not None else int(q[-1])
    parts = _mha_weights(ctx)
    want = {("query", "kernel"): (q[-1], heads, key_dim), ("key", "kernel"): (k[-1], heads, key_dim),
            ("value", "kernel"): (v[-1], heads, value_dim), ("output", "kernel"): (heads, value_dim, d_out)}
    if use_bias:
        want.update({("query", "bias"): (heads, key_dim), ("key", "bias"): (heads, key_dim),
                     ("value", "bias"): (heads, value_dim), ("output", "bias"): (d_out,)})
    problems = [f"missing weight {p} {kind} {shape}" for (p, kind), shape in want.items() if (p, kind) not in parts]
    problems += [f"weight {p} {kind} has shape {parts[(p, kind)].shape}, expected {shape}"
                 for (p, kind), shape in want.items() if (p, kind) in parts and parts[(p, kind)].shape != shape]
    problems += [f"unexpected weight {w.name!r}" for key, w in parts.items() if key not in want]
    if problems:
        raise ConversionProblem(*problems)

    def tensor(part, kind, rows=None):
        w = parts.get((part, kind))
        if w is None:
            return None
        arr = w.array if rows is None else w.array.reshape(rows, -1)
        return WeightTensor(f"{part} {kind}", w.name, arr.reshape(-1) if kind == "bias" else arr)

    op = MultiHeadAttentionOp(heads, key_dim, value_dim, causal, scores,
                              tensor("query", "kernel", q[-1]), tensor("key", "kernel", k[-1]),
                              tensor("value", "kernel", v[-1]), tensor("output", "kernel", heads * value_dim),
                              tensor("query", "bias"), tensor("key", "bias"), tensor("value", "bias"),
                              tensor("output", "bias"))
    outs = ((q[0], d_out),) + (((heads, q[0], v[0]),) if scores else ())
    if scores and q[0] is None:
        raise ConversionProblem("return_attention_scores with a variable number of query timesteps is not supported")
    return Converted(op, outs)
