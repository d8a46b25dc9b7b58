"""Attention layers: Attention and AdditiveAttention (one runtime class) and
MultiHeadAttention, attending over the time axis."""
from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import ClassVar, Optional, Tuple

import numpy as np

from ..ir import WeightTensor, format_shape
from .base import ConversionProblem, MaskRule, Op, converter, f64, fixed_from, register_op
from .context import Converted, LayerContext
from .view import BATCH, CallView, Const, New, Times, Var, ViewContext, batched_images, comment

f32 = np.float32


def _masks(op, ins) -> tuple:
    """The Keras masks of (query, value, key) as node inputs (following the data
    inputs, for the inputs ``op.masked`` flags), or None each."""
    n = len(op.masked) or len(ins)
    it = iter(ins[n:])
    masks = [next(it) if m else None for m in op.masked]
    return tuple(masks + [None] * (3 - len(masks)))


def _attention_call(op, node, ctx: ViewContext, init: New, key_mask: bool) -> CallView:
    """Attention-like layers: one runtime object called on (query, value, key) and their
    Keras masks (null when none), with an optional second output (the attention scores)."""
    n = len(op.masked) or len(ctx.ins)
    q, v = ctx.ins[0], ctx.ins[1]
    k = ctx.ins[2] if n > 2 else v
    masks = tuple(Var(m.var) if m is not None else None for m in _masks(op, ctx.ins))
    scores = Var(ctx.outs[1].var) if op.return_scores else None
    dims: tuple = ()
    if op.return_scores:   # the scores' (Tq, Tv) axes: their run-time extents are the query's and value's
        o = ctx.outs[1]
        known = {i.steps for i in ctx.ins}
        dims = tuple((o.extents[a], n) for a, n in ((len(o.shape) - 2, q.step_count()), (len(o.shape) - 1, v.step_count()))
                     if o.shape[a] is None and o.extents[a] not in known)
    return CallView(ctx.field, comment(node), ctx.out_bufs(), "forward",
                    (Var(q.var), q.step_count(), Var(v.var), v.step_count(), Var(k.var), *masks[:3 if key_mask else 2],
                     Var(ctx.outs[0].var), scores, Var("ws"), 0),
                    cls=init.cls, init=init, workspace=(q.step_count(), v.step_count()), dims=dims)


class _AttendOp(Op):
    """Attention over the time axis: the inputs vary on their first axis (timesteps) only;
    the attention scores (``(..., Tq, Tv)``) on both their query and value axes."""

    def variable_axes_problem(self, shapes):
        return fixed_from(shapes[:len(shapes) - (2 if self.return_scores else 1)], 1,  # type: ignore[attr-defined]
                          "the first axis (timesteps)", only=True)

    def batch_view(self, node, ctx: ViewContext) -> Optional[CallView]:
        # forwardBatch(q, nb, tq, ...): each sample's tensors and masks one after the other (the
        # projections of MultiHeadAttention one product over all the samples' rows); None where the
        # scores have run-time extents of their own
        v = self.view(node, ctx)  # type: ignore[attr-defined]
        if v.dims:
            return None
        tq, tv = v.workspace
        v = batched_images(v, None, method="forwardBatch", workspace=(Times(BATCH, tq), Times(BATCH, tv)))
        return replace(v, args=(v.args[0], Var(BATCH)) + v.args[1:])


@register_op
@dataclass(frozen=True)
class AttentionOp(_AttendOp):
    """Keras Attention (``score_mode`` "dot" or "concat") and AdditiveAttention
    ("additive") on inputs (query, value[, key]) of shapes (Tq, d), (Tv, dv),
    (Tv, d).  Scores are ``softmax`` over Tv after ``use_causal_mask`` and the
    value's Keras mask (masked scores lowered by 1e9 once, as both Keras versions
    do); output 0 is ``weights . value`` with rows at masked query steps set to 0,
    output 1 (``return_scores``) the weights.  The key's mask is not read (Keras
    reads ``mask[0]`` and ``mask[1]`` only)."""

    score_mode: str
    causal: bool
    return_scores: bool
    scale: Optional[WeightTensor] = None         # () for Attention, (d,) for AdditiveAttention
    concat_weight: Optional[WeightTensor] = None  # () for score_mode="concat"
    #: which of (query, value[, key]) carry a Keras mask; the masks present follow the data inputs
    masked: Tuple[bool, ...] = ()
    kind: ClassVar[str] = "attention"
    runtime: ClassVar[tuple[str, ...]] = ("Attention", "Check")

    def evaluate(self, inputs):
        return _attention(self, inputs)

    def view(self, node, ctx: ViewContext) -> CallView:
        init = New("Attention", (Var("data"), Const("Attention", self.score_mode.upper()), ctx.ins[0].shape[-1],
                                 ctx.ins[1].shape[-1], self.causal, ctx.offset(self.scale),
                                 ctx.offset(self.concat_weight)))
        return _attention_call(self, node, ctx, init, key_mask=False)


@register_op
@dataclass(frozen=True)
class MultiHeadAttentionOp(_AttendOp):
    """Keras MultiHeadAttention over (query, value[, key]) sequences, attention
    over the time axis: per head, ``softmax(q k^T / sqrt(key_dim))`` (causal:
    key step j <= query step i) applied to v, then the output projection.
    Kernels are stored flattened: query/key ``(d_in, heads*key_dim)``, value
    ``(d_in, heads*value_dim)``, output ``(heads*value_dim, d_out)``.

    The Keras masks of query, value and key are ANDed with the causal mask
    (``_compute_attention_mask``); a row masked entirely gets ``fully_masked``:
    "subtract" (tf-keras: ``scores + (1 - mask) * -1e9``, softmax), "uniform"
    (Keras 3's ``dot_product_attention`` path, tf-keras' robust masking) or
    "zero" (Keras 3's ``Softmax(mask=)`` path: with scores returned or dropout)."""

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
    masked: Tuple[bool, ...] = ()
    fully_masked: str = "subtract"
    #: Keras 3 GroupedQueryAttention ``use_gate``: the heads' outputs times ``sigmoid(query @ gate_kernel +
    #: gate_bias)`` (``(d_in, heads*value_dim)``) before the output projection
    gate_kernel: Optional[WeightTensor] = None
    gate_bias: Optional[WeightTensor] = None
    kind: ClassVar[str] = "multi_head_attention"
    runtime: ClassVar[tuple[str, ...]] = ("MultiHeadAttention", "Check")

    def evaluate(self, inputs):
        return _multi_head_attention(self, inputs)

    def view(self, node, ctx: ViewContext) -> CallView:
        k = ctx.ins[2] if (len(self.masked) or len(ctx.ins)) > 2 else ctx.ins[1]
        off = ctx.offset
        init = New("MultiHeadAttention", (
            Var("data"), self.num_heads, self.key_dim, self.value_dim, self.causal,
            Const("MultiHeadAttention", self.fully_masked.upper()),
            ctx.ins[0].shape[-1], k.shape[-1], ctx.ins[1].shape[-1], ctx.outs[0].shape[-1],
            off(self.query_kernel), off(self.query_bias), off(self.key_kernel), off(self.key_bias),
            off(self.value_kernel), off(self.value_bias), off(self.output_kernel), off(self.output_bias))
            + ((off(self.gate_kernel), off(self.gate_bias)) if self.gate_kernel is not None else ()))
        return _attention_call(self, node, ctx, init, key_mask=True)


# -- numpy reference -----------------------------------------------------------------------

def _attention(op: AttentionOp, ins: list[np.ndarray]) -> list[np.ndarray]:
    qm, vm, _ = _masks(op, ins)
    ins = ins[:len(op.masked) or len(ins)]
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
    tq, tv = scores.shape
    drop = np.zeros((tq, tv), bool)
    if op.causal:
        drop |= np.arange(tv)[None, :] > np.arange(tq)[:, None]
    if vm is not None:
        drop |= (np.asarray(vm) == 0)[None, :]
    scores = np.where(drop, np.asarray(scores, f32) - f32(1e9), scores)
    z = np.exp(scores - scores.max(-1, keepdims=True))
    w = z / z.sum(-1, keepdims=True)
    out = w @ v
    if qm is not None:
        out = np.where((np.asarray(qm) != 0)[:, None], out, 0.0)
    return [np.asarray(out, f32)] + ([np.asarray(w, f32)] if op.return_scores else [])


def _multi_head_attention(op, ins: list[np.ndarray]) -> list[np.ndarray]:
    masks = _masks(op, ins)
    ins = ins[:len(op.masked) or len(ins)]
    q, v = np.asarray(ins[0], np.float64), np.asarray(ins[1], np.float64)
    k = np.asarray(ins[2], np.float64) if len(ins) > 2 else v

    def proj(x, kernel, bias):
        return x @ f64(kernel) + (f64(bias) if bias is not None else 0)

    h, dk, dv = op.num_heads, op.key_dim, op.value_dim
    pq = proj(q, op.query_kernel, op.query_bias).reshape(len(q), h, dk) / math.sqrt(dk)
    pk = proj(k, op.key_kernel, op.key_bias).reshape(len(k), h, dk)
    pv = proj(v, op.value_kernel, op.value_bias).reshape(len(v), h, dv)
    scores = np.einsum("ihc,jhc->hij", pq, pk)
    tq, tv = scores.shape[1:]
    keep = np.ones((tq, tv), bool)
    if op.causal:
        keep &= np.arange(tv)[None, :] <= np.arange(tq)[:, None]
    for axis, m in zip((1, 0, 0), masks):
        if m is not None:
            keep &= np.expand_dims(np.asarray(m) != 0, axis)
    full = ~keep.any(-1)        # rows masked entirely
    if op.fully_masked == "subtract":
        scores = np.where(keep[None] | full[None, :, None], scores, -np.inf)
        scores = np.where(full[None, :, None], np.asarray(scores, f32) + f32(-1e9), scores)
    else:
        scores = np.where(keep[None], scores, -np.inf)
        scores = np.where(full[None, :, None], 0.0, scores)
    z = np.exp(scores - scores.max(-1, keepdims=True))
    w = z / z.sum(-1, keepdims=True)
    if op.fully_masked == "zero":
        w = np.where(full[None, :, None], 0.0, w)
    att = np.einsum("hij,jhc->ihc", w, pv).reshape(len(q), h * dv)
    if op.gate_kernel is not None:
        att = att * (1.0 / (1.0 + np.exp(-proj(q, op.gate_kernel, op.gate_bias))))
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
    outs = ((q[0], v[1]),) + (((q[0], v[0]),) if scores else ())
    return int(q[1]), causal, scores, outs


@converter("Attention", mask=MaskRule.ATTEND, reads_masks=True)
def convert_attention(ctx: LayerContext) -> Converted:
    d, causal, scores, outs = _attention_inputs(ctx)
    mode = ctx.get_str("score_mode", "dot")
    if mode not in ("dot", "concat"):
        raise ConversionProblem(f"score_mode {mode!r} is not supported; expected 'dot' or 'concat'")
    use_scale = ctx.get_bool("use_scale", False)
    w = ctx.weights(([("scale", ())] if use_scale else []) + ([("concat_score_weight", ())] if mode == "concat" else []))
    scale = w[0] if use_scale else None
    concat = w[-1] if mode == "concat" else None
    return Converted(AttentionOp(mode, causal, scores, scale, concat, masked=ctx.input_masks), outs)


@converter("AdditiveAttention", mask=MaskRule.ATTEND, reads_masks=True)
def convert_additive_attention(ctx: LayerContext) -> Converted:
    d, causal, scores, outs = _attention_inputs(ctx)
    use_scale = ctx.get_bool("use_scale", True)
    w = ctx.weights([("scale", (d,))] if use_scale else [])
    return Converted(AttentionOp("additive", causal, scores, w[0] if use_scale else None,
                                 masked=ctx.input_masks), outs)


#: Keras 3 sub-layer names (``query_dense``...) and tf-keras ones (``query``...) of MultiHeadAttention.
_MHA_PARTS = {"query_dense": "query", "key_dense": "key", "value_dense": "value", "output_dense": "output",
              "_gate_dense": "gate", "query": "query", "key": "key", "value": "value", "attention_output": "output",
              "gate": "gate"}


def _mha_weights(ctx: LayerContext, names: Optional[dict] = None) -> dict:
    """The stored weights by (part, "kernel"/"bias"), found by their path segments
    (``names``: sub-layer name -> part, MultiHeadAttention's by default)."""
    names = _MHA_PARTS if names is None else names
    found: dict = {}
    for w in ctx.layer.weights:
        segs = w.name.replace(":0", "").split("/")
        if len(segs) >= 3 and segs[-2] == "vars" and segs[-3] in names:        # Keras 3: part/vars/i
            key = (names[segs[-3]], {"0": "kernel", "1": "bias"}.get(segs[-1], "?"))
        elif len(segs) >= 2 and segs[-2] in names:                              # tf-keras: part/kernel
            key = (names[segs[-2]], segs[-1])
        else:
            raise ConversionProblem(f"unexpected weight {w.name!r}")
        if key in found:
            raise ConversionProblem(f"two weights for {key[0]} {key[1]}")
        found[key] = w
    return found


def _fully_masked(ctx: LayerContext, scores: bool) -> str:
    """What a Keras version computes for a query step whose attention row is masked entirely."""
    if ctx.keras_major >= 3:
        # ``_compute_attention``: ``ops.dot_product_attention`` (masked logits at -0.7 * float32
        # max: equal weights) unless scores are returned or dropout > 0, where ``Softmax(mask=)``
        # zeroes every masked weight
        dropout = ctx.layer.config.get("dropout", 0.0)
        return "zero" if scores or (isinstance(dropout, (int, float)) and dropout > 0) else "uniform"
    return "uniform" if ctx.layer.config.get("softmax_robust_masking") is True else "subtract"


@converter("MultiHeadAttention", mask=MaskRule.ATTEND, reads_masks=True, tensor_kwargs=("value", "key"),
           keras3_clears_masks=True)
def convert_multi_head_attention(ctx: LayerContext) -> Converted:
    # tf-keras configs record value and key as keyword arguments: they follow the query
    other = ctx.call.other_kwargs if ctx.call is not None else {}
    shapes = ctx.input_shapes
    if len(shapes) not in (2, 3) or any(len(x) != 2 for x in shapes):
        raise ConversionProblem("expects query, value[, key] sequences (timesteps, features), got "
                                + ", ".join(format_shape(x) for x in shapes))
    if len(shapes) == 3 and (shapes[1][0] is None) != (shapes[2][0] is None) or \
            (len(shapes) == 3 and None not in (shapes[1][0], shapes[2][0]) and shapes[1][0] != shapes[2][0]):
        raise ConversionProblem("value and key must have the same number of timesteps")
    causal = other.get("use_causal_mask", False) is True
    scores = other.get("return_attention_scores", False) is True
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
    use_gate = ctx.get_bool("use_gate", False)   # Keras 3: output_dense(attention * sigmoid(gate_dense(query)))
    if ctx.layer.config.get("sliding_window") is not None:
        raise ConversionProblem("sliding_window is not supported")
    if ctx.keras_major >= 3 and use_bias and heads > 1:
        for part, dim, steps in (("query", key_dim, q[0]), ("key", key_dim, k[0]), ("value", value_dim, v[0])):
            if dim == 1 and steps == heads:
                raise ConversionProblem(
                    f"Keras 3's TensorFlow backend adds the {part} projection's bias along the timestep axis here, "
                    f"not per head: keras.ops.add takes a ({heads}, 1) bias for a channels-first bias_add when the "
                    f"{part} has {heads} timesteps (backend/tensorflow/numpy.py add), so Keras computes something "
                    "other than the layer (its other backends, and other lengths, do not); keras2java does not "
                    f"copy that (use key_dim and value_dim above 1, or a length other than {heads})")
    out_shape = ctx.layer.config.get("output_shape")
    if isinstance(out_shape, (list, tuple)) and len(out_shape) == 1:
        out_shape = out_shape[0]
    if out_shape is not None and (not isinstance(out_shape, int) or out_shape < 1):
        raise ConversionProblem(f"output_shape {out_shape!r} is not supported; only one positive size")
    d_out = int(out_shape) if out_shape is not None else int(q[-1])
    parts = _mha_weights(ctx)
    want = {("query", "kernel"): (q[-1], heads, key_dim), ("key", "kernel"): (k[-1], heads, key_dim),
            ("value", "kernel"): (v[-1], heads, value_dim), ("output", "kernel"): (heads, value_dim, d_out)}
    if use_gate:
        want[("gate", "kernel")] = (q[-1], heads, value_dim)
    if use_bias:
        want.update({("query", "bias"): (heads, key_dim), ("key", "bias"): (heads, key_dim),
                     ("value", "bias"): (heads, value_dim), ("output", "bias"): (d_out,)})
        if use_gate:
            want[("gate", "bias")] = (heads, value_dim)
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
                              tensor("output", "bias"), masked=ctx.input_masks,
                              fully_masked=_fully_masked(ctx, scores), gate_kernel=tensor("gate", "kernel", q[-1]),
                              gate_bias=tensor("gate", "bias"))
    outs = ((q[0], d_out),) + (((heads, q[0], v[0]),) if scores else ())
    return Converted(op, outs)
