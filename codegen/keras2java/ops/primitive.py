"""The plugin front-end of the one tensor-op IR (:mod:`.tensor_ops`): the shape
functions behind the primitive methods of :class:`keras2java.plugins.Graph` --
reverse along the time axis, softmax and sum/mean/max over any axis, numpy
broadcasting multiply and add of two tensors, and the matrix product of two
tensors (a tensor times a weight is a :class:`~keras2java.ops.core.DenseOp`
without bias).

Shapes never include the batch axis, and axes index them: axis 0 is the first
axis after the batch (the timesteps of a sequence), negative axes count from
the end.  Axis 0 may have a variable size (``None``).

Each function (``reverse_time``, ``softmax``, ``reduce``, ``broadcast``,
``matmul``) returns a :class:`Converted` with the op and its inferred output
shape, or raises :class:`ConversionProblem` with a clear reason.  The ops are
those the ``keras.ops`` converters build; reductions and matrix products here
accumulate in double.  The Java kernels are ``TensorOps``'; no call allocates.
"""
from __future__ import annotations

from ..ir import Shape, format_shape
from .base import ConversionProblem
from .context import Converted
from .tensor_layout import AXES, broadcast_shapes, elementwise_layout
from .tensor_ops import (BroadcastOp, MatMulOp, PrimitiveOp, ReduceOp, ReverseTimeOp, SoftmaxOp,
                         primitive_ops)

REDUCE_MODES = ("sum", "mean", "max")
BROADCAST_MODES = ("add", "multiply")


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
    return Converted(ReduceOp(mode.upper(), (k,), bool(keepdims), accumulate="double"), (out,))


def broadcast_shape(a: Shape, b: Shape) -> Shape:
    """numpy's broadcast of two shapes without batch; refuses what the Java cannot run."""
    return broadcast_shapes([_ranked(a, "the first operand"), _ranked(b, "the second operand")])


def broadcast_layout(a: Shape, b: Shape) -> tuple[tuple[int, ...], tuple[int, ...], tuple[int, ...]]:
    """The index space ``TensorOps.binary`` walks for ``a (op) b``: the output sizes per
    axis (-1: the variable timestep axis) and each input's stride along them (0 where
    broadcast), with size-1 axes dropped and adjacent axes merged where both inputs allow."""
    dims, (sa, sb) = elementwise_layout(broadcast_shape(a, b), [a, b])
    return dims, sa, sb


def broadcast(mode: str, a: Shape, b: Shape) -> Converted:
    if mode not in BROADCAST_MODES:
        raise ConversionProblem(f"broadcast {mode!r} is not one of {', '.join(BROADCAST_MODES)}")
    out = broadcast_shape(a, b)
    if len(elementwise_layout(out, [a, b])[0]) > AXES:
        raise ConversionProblem(f"{mode} of {format_shape(a)} and {format_shape(b)}: more than {AXES} axes that "
                                "cannot be merged")
    return Converted(BroadcastOp(mode.upper(), out), (out,))


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
    return Converted(MatMulOp(bool(transpose_a), bool(transpose_b), accumulate="double"), ((m, n),))


__all__ = ["BROADCAST_MODES", "BroadcastOp", "MatMulOp", "PrimitiveOp", "REDUCE_MODES", "ReduceOp", "ReverseTimeOp",
           "SoftmaxOp", "broadcast", "broadcast_layout", "broadcast_shape", "matmul", "primitive_ops", "reduce",
           "reverse_time", "softmax"]
