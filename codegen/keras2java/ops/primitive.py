"""Primitive tensor ops that plugins compose (no Keras class of their own):
reverse along the time axis, softmax and sum/mean/max over any axis, numpy
broadcasting multiply and add of two tensors, and the matrix product of two
tensors (a tensor times a weight is a :class:`~keras2java.ops.core.DenseOp`
without bias).

Shapes never include the batch axis, and axes index them: axis 0 is the first
axis after the batch (the timesteps of a sequence), negative axes count from
the end.  Axis 0 may have a variable size (``None``).

Each op has a shape function (``reverse_time``, ``softmax``, ``reduce``,
``broadcast``, ``matmul``) returning a :class:`Converted` with the inferred
output shape, or raising :class:`ConversionProblem` with a clear reason; the
plugin graph builder (:class:`keras2java.plugins.Graph`) calls them.
The Java kernels are ``Tensors`` and ``Broadcast``; no call allocates.
"""
from __future__ import annotations

from dataclasses import dataclass
from math import prod
from typing import ClassVar

import numpy as np

from ..ir import Shape, format_shape
from .base import ConversionProblem, Op, register_op
from .context import Converted
from .view import CallView, Const, Ints, New, Var, ViewContext, comment, dim_size, same_steps

f32 = np.float32

REDUCE_MODES = ("sum", "mean", "max")
BROADCAST_MODES = ("add", "multiply")


class PrimitiveOp(Op):
    """An op with no Keras class of its own: plugins build it through the graph
    methods named in :attr:`graph_methods` (so it is tested through a plugin)."""

    primitive: ClassVar[bool] = True
    #: the :class:`keras2java.plugins.Graph` methods that create this op
    graph_methods: ClassVar[tuple[str, ...]] = ()


def _outer_n_inner(x, axis: int) -> tuple:
    """The ``(outer, n, inner)`` view of tensor ``x`` around ``axis`` (Java values)."""
    shape = x.shape
    outer = dim_size(shape[:axis], x.steps) if axis > 0 else 1
    n = x.step_count() if axis == 0 else shape[axis]
    inner = prod(shape[axis + 1:])     # never the variable axis 0
    return outer, n, inner


@register_op
@dataclass(frozen=True)
class ReverseTimeOp(PrimitiveOp):
    """The tensor with its axis 0 (the timesteps) in reverse order."""

    kind: ClassVar[str] = "reverse_time"
    runtime: ClassVar[tuple[str, ...]] = ("Tensors", "Check")
    graph_methods: ClassVar[tuple[str, ...]] = ("reverse_time",)

    def evaluate(self, inputs):
        return [np.ascontiguousarray(inputs[0][::-1])]

    def view(self, node, ctx: ViewContext) -> CallView:
        x, y = ctx.ins[0], ctx.outs[0]
        return CallView(ctx.field, comment(node), ctx.out_bufs(), "reverseSteps",
                        (Var(x.var), x.step_count(), prod(x.shape[1:]), Var(y.var)), static="Tensors")


@register_op
@dataclass(frozen=True)
class SoftmaxOp(PrimitiveOp):
    """Softmax over ``axis`` (any axis, also the variable timestep axis)."""

    axis: int
    kind: ClassVar[str] = "softmax"
    runtime: ClassVar[tuple[str, ...]] = ("Tensors", "Check")
    graph_methods: ClassVar[tuple[str, ...]] = ("softmax",)

    def evaluate(self, inputs):
        x = np.asarray(inputs[0], np.float64)
        z = np.exp(x - x.max(self.axis, keepdims=True))
        return [np.asarray(z / z.sum(self.axis, keepdims=True), f32)]

    def view(self, node, ctx: ViewContext) -> CallView:
        x = ctx.ins[0]
        return CallView(ctx.field, comment(node), ctx.out_bufs(), "softmax",
                        (Var(x.var), *_outer_n_inner(x, self.axis), Var(ctx.outs[0].var)), static="Tensors")


@register_op
@dataclass(frozen=True)
class ReduceOp(PrimitiveOp):
    """Sum, mean or max over ``axis``; ``keepdims`` keeps it with size 1."""

    mode: str
    axis: int
    keepdims: bool = False
    kind: ClassVar[str] = "reduce"
    runtime: ClassVar[tuple[str, ...]] = ("Tensors", "Check")
    graph_methods: ClassVar[tuple[str, ...]] = REDUCE_MODES

    def evaluate(self, inputs):
        x = np.asarray(inputs[0], np.float64)
        fn = {"sum": np.sum, "mean": np.mean, "max": np.max}[self.mode]
        return [np.asarray(fn(x, axis=self.axis, keepdims=self.keepdims), f32)]

    def view(self, node, ctx: ViewContext) -> CallView:
        x = ctx.ins[0]
        return CallView(ctx.field, comment(node), ctx.out_bufs(), "reduce",
                        (Const("Tensors", self.mode.upper()), Var(x.var), *_outer_n_inner(x, self.axis),
                         Var(ctx.outs[0].var)), static="Tensors")


@register_op
@dataclass(frozen=True)
class BroadcastOp(PrimitiveOp):
    """``a * b`` or ``a + b`` with numpy broadcasting (shapes aligned at the
    last axis; a variable timestep axis must be axis 0 of the output)."""

    mode: str
    kind: ClassVar[str] = "broadcast"
    runtime: ClassVar[tuple[str, ...]] = ("Broadcast", "Check")
    graph_methods: ClassVar[tuple[str, ...]] = ("multiply", "plus")

    def evaluate(self, inputs):
        a, b = (np.asarray(x, f32) for x in inputs)
        return [np.asarray(a * b if self.mode == "multiply" else a + b, f32)]

    def view(self, node, ctx: ViewContext) -> CallView:
        a, b = ctx.ins
        y = ctx.outs[0]
        dims, sa, sb = broadcast_layout(a.shape, b.shape)
        init = New("Broadcast", (Const("Broadcast", self.mode.upper()), Ints(dims), Ints(sa), Ints(sb)))
        steps = y.step_count() if y.shape[0] is None else 0
        return CallView(ctx.field, comment(node), ctx.out_bufs(), "apply", (Var(a.var), Var(b.var), steps, Var(y.var)),
                        cls="Broadcast", init=init, same_steps=same_steps(ctx.ins))


@register_op
@dataclass(frozen=True)
class MatMulOp(PrimitiveOp):
    """The matrix product of two rank-2 tensors, ``op(a) . op(b)`` where
    ``op`` transposes with ``transpose_a`` / ``transpose_b``.  Contracting
    over the variable timestep axis is allowed (``transpose_a`` with ``a`` and
    ``b`` both ``(timesteps, ...)``)."""

    transpose_a: bool = False
    transpose_b: bool = False
    kind: ClassVar[str] = "matmul"
    runtime: ClassVar[tuple[str, ...]] = ("Tensors", "Check")
    graph_methods: ClassVar[tuple[str, ...]] = ("matmul",)

    def evaluate(self, inputs):
        a, b = (np.asarray(x, np.float64) for x in inputs)
        return [np.asarray((a.T if self.transpose_a else a) @ (b.T if self.transpose_b else b), f32)]

    def view(self, node, ctx: ViewContext) -> CallView:
        a, b = ctx.ins
        rows_a, cols_a = a.step_count(), a.shape[1]
        rows_b, cols_b = b.step_count(), b.shape[1]
        m, k = (cols_a, rows_a) if self.transpose_a else (rows_a, cols_a)
        n = rows_b if self.transpose_b else cols_b
        return CallView(ctx.field, comment(node), ctx.out_bufs(), "matmul",
                        (Var(a.var), m, k, self.transpose_a, Var(b.var), n, self.transpose_b, Var(ctx.outs[0].var)),
                        static="Tensors", same_steps=same_steps(ctx.ins))


# -- shape functions: the op and its output shape, or a clear refusal --------------------------

def _axis(axis: object, shape: Shape) -> int:
    rank = len(shape)
    if isinstance(axis, bool) or not isinstance(axis, int):
        raise ConversionProblem(f"axis {axis!r} is not an integer")
    if not -rank <= axis < rank:
        raise ConversionProblem(f"axis {axis} is out of range for shape {format_shape(shape)} "
                                "(axes count the shape without the batch axis: 0 is the timestep axis)")
    return axis % rank


def _ranked(shape: Shape, what: str) -> Shape:
    shape = tuple(shape)
    if not shape:
        raise ConversionProblem(f"{what} is a scalar; expected at least one axis")
    return shape


def reverse_time(shape: Shape) -> Converted:
    """Reverse along axis 0."""
    shape = _ranked(shape, "the reversed tensor")
    return Converted(ReverseTimeOp(), (shape,))


def softmax(shape: Shape, axis: int = -1) -> Converted:
    shape = _ranked(shape, "the softmax input")
    return Converted(SoftmaxOp(_axis(axis, shape)), (shape,))


def reduce(mode: str, shape: Shape, axis: int, keepdims: bool = False) -> Converted:
    if mode not in REDUCE_MODES:
        raise ConversionProblem(f"reduction {mode!r} is not one of {', '.join(REDUCE_MODES)}")
    shape = _ranked(shape, f"the {mode} input")
    k = _axis(axis, shape)
    out = shape[:k] + ((1,) if keepdims else ()) + shape[k + 1:]
    if not out:
        raise ConversionProblem(f"{mode} over the only axis of {format_shape(shape)} leaves a scalar; "
                                "use keepdims=True")
    return Converted(ReduceOp(mode, k, bool(keepdims)), (out,))


def broadcast_shape(a: Shape, b: Shape) -> Shape:
    """numpy's broadcast of two shapes without batch; refuses what the Java cannot run."""
    a, b = _ranked(a, "the first operand"), _ranked(b, "the second operand")
    rank = max(len(a), len(b))
    pa = (1,) * (rank - len(a)) + a
    pb = (1,) * (rank - len(b)) + b
    out = []
    for i, (x, y) in enumerate(zip(pa, pb)):
        if x is None or y is None:
            other = y if x is None else x
            if other not in (None, 1):
                raise ConversionProblem(f"cannot broadcast {format_shape(a)} with {format_shape(b)}: a variable "
                                        f"number of timesteps against {other}")
            if i != 0:
                raise ConversionProblem(f"cannot broadcast {format_shape(a)} with {format_shape(b)}: the variable "
                                        "timestep axis would not be the first axis of the result")
            out.append(None)
        elif x == y or y == 1:
            out.append(x)
        elif x == 1:
            out.append(y)
        else:
            raise ConversionProblem(f"cannot broadcast {format_shape(a)} with {format_shape(b)} "
                                    f"(sizes {x} and {y} at axis {i})")
    return tuple(out)


def broadcast_layout(a: Shape, b: Shape) -> tuple[tuple[int, ...], tuple[int, ...], tuple[int, ...]]:
    """What ``Broadcast`` needs: the output sizes per axis (-1: the variable
    timestep axis) and each input's stride along them (0 where broadcast),
    with size-1 axes dropped and adjacent axes merged where both inputs allow."""
    out = broadcast_shape(a, b)
    rank = len(out)

    def strides(shape: Shape) -> list[int]:
        padded = (1,) * (rank - len(shape)) + tuple(shape)
        st, s = [0] * rank, 1
        for i in range(rank - 1, -1, -1):
            d = padded[i]
            st[i] = 0 if d == 1 and out[i] != 1 else s
            s *= d if d is not None else 1   # a variable axis is axis 0: nothing comes before it
        return st

    sa, sb = strides(a), strides(b)
    axes = [(-1 if d is None else d, sa[i], sb[i]) for i, d in enumerate(out) if d != 1]
    merged: list[tuple[int, int, int]] = []
    for d, x, y in axes:
        if merged:
            pd, px, py = merged[-1]
            if pd > 0 and px == x * d and py == y * d:   # the previous axis steps over this one whole
                merged[-1] = (pd * d, x, y)
                continue
        merged.append((d, x, y))
    if not merged:
        merged = [(1, 0, 0)]
    return tuple(m[0] for m in merged), tuple(m[1] for m in merged), tuple(m[2] for m in merged)


def broadcast(mode: str, a: Shape, b: Shape) -> Converted:
    if mode not in BROADCAST_MODES:
        raise ConversionProblem(f"broadcast {mode!r} is not one of {', '.join(BROADCAST_MODES)}")
    return Converted(BroadcastOp(mode), (broadcast_shape(a, b),))


def matmul(a: Shape, b: Shape, transpose_a: bool = False, transpose_b: bool = False) -> Converted:
    """Two rank-2 tensors: ``(m, k) . (k, n)`` after the optional transposes."""
    a, b = tuple(a), tuple(b)
    if len(a) != 2 or len(b) != 2:
        raise ConversionProblem(f"matmul of {format_shape(a)} and {format_shape(b)}: only two tensors of rank 2 "
                                "(without batch) are supported")
    m, k1 = (a[1], a[0]) if transpose_a else a
    k2, n = (b[1], b[0]) if transpose_b else b
    if n is None:
        raise ConversionProblem("matmul: the variable timestep axis cannot become the last axis of the result")
    if k1 is None or k2 is None:
        if not (k1 is None and k2 is None):
            raise ConversionProblem(f"matmul of {format_shape(a)} and {format_shape(b)}: contracts a variable "
                                    "number of timesteps with a fixed size")
    elif k1 != k2:
        raise ConversionProblem(f"matmul of {format_shape(a)} and {format_shape(b)}: contracted sizes {k1} and {k2} "
                                "differ")
    return Converted(MatMulOp(bool(transpose_a), bool(transpose_b)), ((m, n),))


def primitive_ops() -> tuple[type, ...]:
    """The primitive op classes (for the completeness checks)."""
    return (ReverseTimeOp, SoftmaxOp, ReduceOp, BroadcastOp, MatMulOp)


__all__ = ["BROADCAST_MODES", "BroadcastOp", "MatMulOp", "PrimitiveOp", "REDUCE_MODES", "ReduceOp", "ReverseTimeOp",
           "SoftmaxOp", "broadcast", "broadcast_layout", "broadcast_shape", "matmul", "primitive_ops", "reduce",
           "reverse_time", "softmax"]
