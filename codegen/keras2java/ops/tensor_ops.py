"""The one tensor-op IR: elementwise functions, broadcasting binary ops and
``where``, reductions, matrix products, strided copies (slicing, transposes),
stacking, softmax over any axis and the reversal of the timestep axis.

Two front-ends build these ops: the converters of Keras 3 operation nodes
(:mod:`.keras_ops`, :mod:`.keras_ops_shape`) and the composition API of plugins
(:class:`keras2java.plugins.Graph`, through the shape functions of
:mod:`.primitive`).  All of them run on the one runtime class ``TensorOps``;
:mod:`.tensor_layout` lays their tensors out for it.

Reductions and matrix products name how they accumulate: ``"float"`` (in
float32, as Keras does; the ``keras.ops`` front-end) or ``"double"`` (the
plugin primitives, which always summed in double).  Both are kept so that
every converted model computes exactly what it did before the two stacks met.

Shapes never include the batch axis; only axis 0 may be variable (``None``).
"""
from __future__ import annotations

from dataclasses import dataclass
from math import prod
from typing import Any, ClassVar, Optional, Tuple

import numpy as np

from ..ir import Shape, WeightTensor
from .base import Op, register_op
from .merge import ConcatenateOp
from .tensor_layout import (contiguous_strides, elementwise_layout, java_dims, java_shape,
                            java_strides, n0, outer_n_inner, r32)
from .view import Call, CallView, Const, New, Var, ViewContext, comment, same_steps

RUNTIME = ("TensorOps", "Check")

_NP_UNARY = {
    "NEGATIVE": np.negative, "ABS": np.abs, "EXP": np.exp, "LOG": np.log, "SQRT": np.sqrt, "SQUARE": np.square,
    "TANH": np.tanh, "SIGMOID": lambda x: 1 / (1 + np.exp(-x)), "RELU": lambda x: np.maximum(x, 0),
    "RECIPROCAL": lambda x: 1 / x, "SIN": np.sin, "COS": np.cos, "FLOOR": np.floor, "CEIL": np.ceil,
    "ROUND": np.round, "SIGN": np.sign, "LOG1P": np.log1p, "EXPM1": np.expm1,
    "NOT": lambda x: (x == 0).astype(np.float64), "TRUNC": np.trunc, "NONZERO": lambda x: (x != 0).astype(np.float64),
    "SOFTPLUS": lambda x: np.maximum(x, 0) + np.log1p(np.exp(-np.abs(x))), "RSQRT": lambda x: 1 / np.sqrt(x),
    "SILU": lambda x: x / (1 + np.exp(-x)), "ZERO": np.zeros_like, "ONE": np.ones_like, "IDENTITY": lambda x: x,
}
_NP_BINARY = {
    "ADD": np.add, "SUBTRACT": np.subtract, "MULTIPLY": np.multiply, "DIVIDE": np.divide, "POWER": np.power,
    "MAXIMUM": np.maximum, "MINIMUM": np.minimum, "MOD": np.mod, "FLOOR_DIVIDE": lambda a, b: np.floor(a / b),
    "EQUAL": np.equal, "NOT_EQUAL": np.not_equal, "GREATER": np.greater, "GREATER_EQUAL": np.greater_equal,
    "LESS": np.less, "LESS_EQUAL": np.less_equal, "AND": lambda a, b: (a != 0) & (b != 0),
    "OR": lambda a, b: (a != 0) | (b != 0), "XOR": lambda a, b: (a != 0) ^ (b != 0),
}
_NP_REDUCE = {"SUM": np.sum, "MEAN": np.mean, "MAX": np.max, "MIN": np.min, "ANY": np.any, "ALL": np.all,
              "PROD": np.prod}


class PrimitiveOp(Op):
    """An op that plugins build through the graph methods named in :attr:`graph_methods`
    (so it is tested through a plugin); the ``keras.ops`` converters may build it too."""

    primitive: ClassVar[bool] = True
    #: the :class:`keras2java.plugins.Graph` methods that create this op
    graph_methods: ClassVar[tuple[str, ...]] = ()


@register_op
@dataclass(frozen=True)
class UnaryOp(Op):
    """An elementwise function (``fn`` a ``TensorOps`` constant); CLIP uses ``p0, p1``."""

    fn: str
    p0: float = 0.0
    p1: float = 0.0
    kind: ClassVar[str] = "elementwise"
    runtime: ClassVar[tuple[str, ...]] = RUNTIME

    def stream_outputs(self, rank):
        return (0,)

    def evaluate(self, inputs):
        x = np.asarray(inputs[0], np.float64)
        if self.fn == "CLIP":
            return [r32(np.clip(x, self.p0, self.p1))]
        if self.fn == "ERF":
            from math import erf
            return [r32(np.vectorize(erf)(x))]
        with np.errstate(all="ignore"):
            return [r32(_NP_UNARY[self.fn](x))]

    def view(self, node, ctx: ViewContext) -> CallView:
        x, y = ctx.ins[0], ctx.outs[0]
        return CallView(ctx.field, comment(node), ctx.out_bufs(), "unary",
                        (Const("TensorOps", self.fn), Var(x.var), 0, Var(y.var), y.length(),
                         float(self.p0), float(self.p1)), static="TensorOps")


@register_op
@dataclass(frozen=True)
class BroadcastOp(PrimitiveOp):
    """``a fn b`` with NumPy broadcasting to ``out_shape`` (``fn`` a ``TensorOps``
    constant: ADD, MULTIPLY, ...).  An operand may be a constant (``a_const`` /
    ``b_const``, from a ``keras.ops`` call's arguments or a folded bias); the tensor
    operands are the node's inputs, in order."""

    fn: str
    out_shape: Shape
    a_const: Optional[WeightTensor] = None
    b_const: Optional[WeightTensor] = None
    kind: ClassVar[str] = "broadcast"
    runtime: ClassVar[tuple[str, ...]] = RUNTIME
    graph_methods: ClassVar[tuple[str, ...]] = ("multiply", "plus")

    def _operands(self, inputs):
        it = iter(inputs)
        a = self.a_const.array if self.a_const is not None else next(it)
        b = self.b_const.array if self.b_const is not None else next(it)
        return np.asarray(a, np.float64), np.asarray(b, np.float64)

    def evaluate(self, inputs):
        a, b = self._operands(inputs)
        with np.errstate(all="ignore"):
            y = _NP_BINARY[self.fn](a, b)
        return [r32(np.broadcast_to(y, tuple(d for d in np.broadcast(a, b).shape)))]

    def view(self, node, ctx: ViewContext) -> CallView:
        y = ctx.outs[0]
        ins = iter(ctx.ins)
        const = self.a_const if self.a_const is not None else self.b_const
        vars_, shapes = [], []
        for c in (self.a_const, self.b_const):
            if c is not None:
                vars_.append(Var(f"n.{ctx.field}.c"))
                shapes.append(c.shape)
            else:
                info = next(ins)
                vars_.append(Var(info.var))
                shapes.append(info.shape)
        dims, strides = elementwise_layout(y.shape, shapes)
        operands = tuple(x for v, st in zip(vars_, strides) for x in (v, java_strides(st)))
        return CallView(ctx.field, comment(node), ctx.out_bufs(), "binary",
                        (Const("TensorOps", self.fn),) + operands
                        + (Var(y.var), java_strides(contiguous_strides(dims)), java_dims(dims), n0(y)),
                        static="TensorOps", same_steps=same_steps(ctx.ins),
                        cls="TensorOps" if const is not None else "",
                        init=New("TensorOps", (Var("data"), ctx.offset(const), const.size)) if const is not None else None)


@register_op
@dataclass(frozen=True)
class WhereOp(Op):
    """``where(c, a, b)`` with broadcasting; all three operands are tensors."""

    kind: ClassVar[str] = "where"
    runtime: ClassVar[tuple[str, ...]] = RUNTIME

    def evaluate(self, inputs):
        c, a, b = (np.asarray(x, np.float64) for x in inputs)
        return [r32(np.where(c != 0, a, b))]

    def view(self, node, ctx: ViewContext) -> CallView:
        y = ctx.outs[0]
        dims, strides = elementwise_layout(y.shape, [info.shape for info in ctx.ins])
        args = tuple(x for info, st in zip(ctx.ins, strides) for x in (Var(info.var), java_strides(st)))
        return CallView(ctx.field, comment(node), ctx.out_bufs(), "where",
                        args + (Var(y.var), java_strides(contiguous_strides(dims)), java_dims(dims), n0(y)),
                        static="TensorOps", same_steps=same_steps(ctx.ins))


@register_op
@dataclass(frozen=True)
class ReduceOp(PrimitiveOp):
    """A reduction ``fn`` (SUM, MEAN, MAX, MIN, ANY, ALL, PROD) over ``axes``;
    ``keepdims`` keeps them with size 1.  ``accumulate="double"`` (one axis, SUM,
    MEAN or MAX) sums in double with ``TensorOps.reduceInDouble``."""

    fn: str
    axes: Tuple[int, ...]
    keepdims: bool = False
    accumulate: str = "float"
    kind: ClassVar[str] = "reduce"
    runtime: ClassVar[tuple[str, ...]] = RUNTIME
    graph_methods: ClassVar[tuple[str, ...]] = ("sum", "mean", "max")

    def evaluate(self, inputs):
        x = np.asarray(inputs[0], np.float64)
        y = _NP_REDUCE[self.fn](x, axis=self.axes, keepdims=self.keepdims)
        return [r32(np.reshape(y, (1,)) if np.ndim(y) == 0 else y)]

    def view(self, node, ctx: ViewContext) -> CallView:
        x, y = ctx.ins[0], ctx.outs[0]
        if self.accumulate == "double":
            (axis,) = self.axes
            return CallView(ctx.field, comment(node), ctx.out_bufs(), "reduceInDouble",
                            (Const("TensorOps", self.fn), Var(x.var), *outer_n_inner(x, axis), Var(y.var)),
                            static="TensorOps")
        kept = tuple(1 if i in self.axes else d for i, d in enumerate(x.shape))
        own = contiguous_strides(kept)
        ystr = tuple(0 if i in self.axes else own[i] for i in range(len(x.shape)))
        return CallView(ctx.field, comment(node), ctx.out_bufs(), "reduce",
                        (Const("TensorOps", self.fn), Var(x.var), java_strides(contiguous_strides(x.shape)),
                         java_shape(x.shape), n0(x), Var(y.var), java_strides(ystr), y.length()),
                        static="TensorOps")


@register_op
@dataclass(frozen=True)
class MatMulOp(PrimitiveOp):
    """The matrix product ``op(a) @ op(b)``, ``op`` transposing the last two axes
    with ``transpose_a`` / ``transpose_b``.  With ``accumulate="float"``: operands
    of rank >= 2, ``(..., m, k) @ (..., k, n)`` with the batch axes broadcast, no
    transposes.  With ``"double"``: two rank-2 operands, optionally transposed
    (contracting over the variable timestep axis is allowed)."""

    transpose_a: bool = False
    transpose_b: bool = False
    accumulate: str = "float"
    kind: ClassVar[str] = "matmul"
    runtime: ClassVar[tuple[str, ...]] = RUNTIME
    graph_methods: ClassVar[tuple[str, ...]] = ("matmul",)

    def evaluate(self, inputs):
        a, b = (np.asarray(x, np.float64) for x in inputs)
        a = np.swapaxes(a, -1, -2) if self.transpose_a else a
        b = np.swapaxes(b, -1, -2) if self.transpose_b else b
        return [r32(a @ b)]

    def view(self, node, ctx: ViewContext) -> CallView:
        a, b = ctx.ins
        y = ctx.outs[0]
        if self.accumulate == "double":
            rows_a, cols_a = a.step_count(), a.shape[1]
            rows_b, cols_b = b.step_count(), b.shape[1]
            m, k = (cols_a, rows_a) if self.transpose_a else (rows_a, cols_a)
            n = rows_b if self.transpose_b else cols_b
            return CallView(ctx.field, comment(node), ctx.out_bufs(), "matmulInDouble",
                            (Var(a.var), m, k, self.transpose_a, Var(b.var), n, self.transpose_b, Var(y.var)),
                            static="TensorOps", same_steps=same_steps(ctx.ins))
        batch = y.shape[:-2]
        m = Var(a.steps) if a.shape[-2] is None else a.shape[-2]
        k, n = a.shape[-1], b.shape[-1]
        # y is contiguous: batch strides in matrices of m x n (m is fixed when there are batch axes)
        y_strides = tuple(s * y.shape[-2] * n for s in contiguous_strides(batch))
        return CallView(ctx.field, comment(node), ctx.out_bufs(), "matmul",
                        (Var(a.var), java_strides(_mat_batch_strides(a.shape, batch)), Var(b.var),
                         java_strides(_mat_batch_strides(b.shape, batch)), Var(y.var), java_strides(y_strides),
                         java_shape(batch), n0(y) if batch else 0, m, k, n), static="TensorOps")


def _mat_batch_strides(shape: Shape, batch: Shape) -> tuple[int, ...]:
    """Batch strides of a matrix operand (``shape`` = batch + (rows, cols)) over ``batch``."""
    own = contiguous_strides(shape)[:-2]
    bs = shape[:-2]
    pad = len(batch) - len(bs)
    return tuple(0 if i < pad or bs[i - pad] == 1 and batch[i] != 1 else own[i - pad] for i in range(len(batch)))


@register_op
@dataclass(frozen=True)
class StridedOp(Op):
    """A strided copy of the input: slicing (``GetItem``) and ``Transpose``.  ``strides``
    are the input's strides per output axis (0 for a new axis), ``offset`` the fixed
    start; on a variable first axis ``index0`` (an int index, output without that axis)
    or ``slice0`` ((start, stop, step), None as ``Integer.MIN_VALUE``) select the timesteps."""

    strides: Tuple[int, ...]
    offset: int
    index0: Optional[int] = None
    slice0: Optional[Tuple[int, int, int]] = None
    #: numpy: the key over the sample (tuple of ints / slices / None) or the transpose axes
    key: Any = None
    perm: Optional[Tuple[int, ...]] = None
    kind: ClassVar[str] = "slice"
    runtime: ClassVar[tuple[str, ...]] = RUNTIME

    def evaluate(self, inputs):
        x = np.asarray(inputs[0])
        if self.perm is not None:
            return [np.ascontiguousarray(np.transpose(x, self.perm))]
        key = tuple(slice(*k) if isinstance(k, tuple) else k for k in self.key)
        return [np.ascontiguousarray(x[key])]

    def view(self, node, ctx: ViewContext) -> CallView:
        x, y = ctx.ins[0], ctx.outs[0]
        stride0 = prod(d for d in x.shape[1:]) if x.shape else 1
        if self.index0 is not None:
            start = Call("TensorOps", "index", (self.index0, Var(x.steps)))
        elif self.slice0 is not None:
            start = Call("TensorOps", "sliceStart", (Var(x.steps), self.slice0[0], self.slice0[2]))
        else:
            start, stride0 = 0, 0
        steps_var, steps_value = "", None
        if self.time_changing:
            steps_var = y.steps
            steps_value = Call("TensorOps", "sliceLength", (Var(x.steps),) + tuple(self.slice0))
        out_strides = contiguous_strides(tuple(y.shape))
        return CallView(ctx.field, comment(node), ctx.out_bufs(), "copy",
                        (Var(x.var), self.offset, java_strides(self.strides), start, stride0, Var(y.var),
                         java_strides(out_strides), java_shape(y.shape), n0(y)), static="TensorOps",
                        steps_var=steps_var, steps_value=steps_value)


@register_op
@dataclass(frozen=True)
class TimeSliceOp(StridedOp):
    """A slice of the variable timestep axis other than ``:``: its output has its own length."""

    time_changing: ClassVar[bool] = True


@register_op
@dataclass(frozen=True)
class StackOp(Op):
    """``stack(xs, axis)``: the inputs become entries of a new axis ``axis``."""

    axis: int
    kind: ClassVar[str] = "stack"
    runtime: ClassVar[tuple[str, ...]] = ConcatenateOp.runtime

    def evaluate(self, inputs):
        return [np.stack(inputs, axis=self.axis)]

    def view(self, node, ctx: ViewContext) -> CallView:
        # Contiguous blocks as a concatenation along ``axis`` of the inputs' trailing parts.
        return ConcatenateOp(self.axis).view(node, ctx)


@register_op
@dataclass(frozen=True)
class ReverseTimeOp(PrimitiveOp):
    """The tensor with its axis 0 (the timesteps) in reverse order."""

    kind: ClassVar[str] = "reverse_time"
    runtime: ClassVar[tuple[str, ...]] = RUNTIME
    graph_methods: ClassVar[tuple[str, ...]] = ("reverse_time",)

    def evaluate(self, inputs):
        return [np.ascontiguousarray(inputs[0][::-1])]

    def view(self, node, ctx: ViewContext) -> CallView:
        x, y = ctx.ins[0], ctx.outs[0]
        return CallView(ctx.field, comment(node), ctx.out_bufs(), "reverseSteps",
                        (Var(x.var), x.step_count(), prod(x.shape[1:]), Var(y.var)), static="TensorOps")


@register_op
@dataclass(frozen=True)
class SoftmaxOp(PrimitiveOp):
    """Softmax over ``axis`` (any axis, also the variable timestep axis), summed in double."""

    axis: int
    kind: ClassVar[str] = "softmax"
    runtime: ClassVar[tuple[str, ...]] = RUNTIME
    graph_methods: ClassVar[tuple[str, ...]] = ("softmax",)

    def evaluate(self, inputs):
        x = np.asarray(inputs[0], np.float64)
        z = np.exp(x - x.max(self.axis, keepdims=True))
        return [np.asarray(z / z.sum(self.axis, keepdims=True), np.float32)]

    def view(self, node, ctx: ViewContext) -> CallView:
        x = ctx.ins[0]
        return CallView(ctx.field, comment(node), ctx.out_bufs(), "softmax",
                        (Var(x.var), *outer_n_inner(x, self.axis), Var(ctx.outs[0].var)), static="TensorOps")


def primitive_ops() -> tuple[type, ...]:
    """The ops plugins build through :class:`keras2java.plugins.Graph` (for the completeness checks)."""
    return (ReverseTimeOp, SoftmaxOp, ReduceOp, BroadcastOp, MatMulOp)


__all__ = ["BroadcastOp", "MatMulOp", "PrimitiveOp", "ReduceOp", "ReverseTimeOp", "SoftmaxOp",
           "StackOp", "StridedOp", "TimeSliceOp", "UnaryOp", "WhereOp", "primitive_ops"]
