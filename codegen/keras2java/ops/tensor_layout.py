"""How the ops of :mod:`.tensor_ops` lay tensors out for the ``TensorOps`` kernels:
row-major strides, broadcasting strides, the kernels' five-axis index space
(shapes padded with leading axes of size 1, -1 for the variable timestep axis)
and the merged layout of an elementwise op (size-1 axes dropped, adjacent axes
merged where every operand walks them as one).

Shapes never include the batch axis; only axis 0 may be variable (``None``).
"""
from __future__ import annotations

from math import prod
from typing import Any, Sequence

import numpy as np

from ..ir import Shape, format_shape
from .base import ConversionProblem
from .view import Ints, Var, dim_size

f32 = np.float32

#: The runtime's index space: ``TensorOps`` takes shapes and strides of this many axes.
AXES = 5


def broadcast_shapes(shapes: Sequence[Shape]) -> Shape:
    """NumPy's broadcast of shapes without batch (right-aligned); refuses what the Java
    cannot run: a variable number of timesteps against a fixed size, or a variable axis
    that would not be the first axis of the result."""
    shapes = [tuple(s) for s in shapes]
    rank = max(len(s) for s in shapes)
    listed = ", ".join(format_shape(s) for s in shapes[:-1]) + " with " + format_shape(shapes[-1])
    out: list = []
    for i in range(rank):
        dims = [s[i - rank + len(s)] for s in shapes if i - rank + len(s) >= 0]
        fixed = sorted({d for d in dims if d is not None and d != 1})
        if None in dims:
            if fixed:
                raise ConversionProblem(f"cannot broadcast {listed}: a variable number of timesteps against "
                                        f"{fixed[0]}")
            if i != 0:
                raise ConversionProblem(f"cannot broadcast {listed}: the variable timestep axis would not be the "
                                        "first axis of the result")
            out.append(None)
        elif len(fixed) > 1:
            sizes = ", ".join(map(str, fixed[:-1])) + f" and {fixed[-1]}"
            raise ConversionProblem(f"cannot broadcast {listed} (sizes {sizes} at axis {i})")
        else:
            out.append(fixed[0] if fixed else 1)
    return tuple(out)


def contiguous_strides(shape: Shape) -> tuple[int, ...]:
    """Row-major strides of ``shape`` (a variable axis counts as size 1: it is axis 0)."""
    out, acc = [], 1
    for d in reversed(shape):
        out.append(acc)
        acc *= 1 if d is None else d
    return tuple(reversed(out))


def broadcast_strides(shape: Shape, out: Shape) -> tuple[int, ...]:
    """Strides of a contiguous operand of ``shape`` read over ``out`` (right-aligned, 0 = broadcast)."""
    own = contiguous_strides(shape)
    pad = len(out) - len(shape)
    return tuple(0 if i < pad or shape[i - pad] == 1 and out[i] != 1 else own[i - pad] for i in range(len(out)))


def elementwise_layout(out: Shape, operands: Sequence[Shape]) -> tuple[tuple[int, ...], tuple[tuple[int, ...], ...]]:
    """The index space of an elementwise op over ``out`` with broadcast ``operands``:
    the sizes per axis (-1: the variable timestep axis) and each operand's stride
    along them (0 where broadcast), with size-1 axes dropped and adjacent axes merged
    where every operand steps over the next axis whole.  The output is contiguous."""
    strides = [broadcast_strides(tuple(s), out) for s in operands]
    axes = [(-1 if d is None else d, tuple(st[i] for st in strides)) for i, d in enumerate(out) if d != 1]
    merged: list[tuple[int, tuple[int, ...]]] = []
    for d, st in axes:
        if merged:
            pd, pst = merged[-1]
            if pd > 0 and all(p == x * d for p, x in zip(pst, st)):   # the previous axis steps over this one whole
                merged[-1] = (pd * d, st)
                continue
        merged.append((d, st))
    if not merged:
        merged = [(1, (0,) * len(operands))]
    return tuple(m[0] for m in merged), tuple(tuple(m[1][k] for m in merged) for k in range(len(operands)))


def check_axes(shape: Shape) -> Shape:
    """``shape`` if the ``TensorOps`` kernels can walk it, else a refusal."""
    if len(shape) > AXES:
        raise ConversionProblem(f"shape {format_shape(shape)} has more than {AXES} axes besides the batch axis")
    return shape


def _padded(values: tuple, fill: int) -> Ints:
    if len(values) > AXES:   # the converters refuse such shapes (check_axes)
        raise RuntimeError(f"internal error: {len(values)} axes for TensorOps")
    return Ints((fill,) * (AXES - len(values)) + tuple(values))


def java_shape(shape: Shape) -> Ints:
    """A shape in ``TensorOps``' five axes (leading axes of size 1), -1 for a variable axis."""
    return _padded(tuple(-1 if d is None else d for d in shape), 1)


def java_dims(dims: tuple[int, ...]) -> Ints:
    """Sizes already in the kernels' form (-1 for the variable axis), padded to five axes."""
    return _padded(dims, 1)


def java_strides(strides: tuple[int, ...]) -> Ints:
    """Strides in ``TensorOps``' five axes (leading axes of stride 0)."""
    return _padded(strides, 0)


def n0(info) -> Any:
    """The size of the variable first axis in this call (0 when every axis is fixed)."""
    return Var(info.steps) if info.shape and info.shape[0] is None else 0


def r32(x) -> np.ndarray:
    """A numpy evaluator's float64 result rounded to float32."""
    return np.asarray(np.asarray(x, np.float64), f32)


def outer_n_inner(x, axis: int) -> tuple:
    """The ``(outer, n, inner)`` view of tensor ``x`` around ``axis`` (Java values)."""
    shape = x.shape
    outer: Any = dim_size(shape[:axis], x.steps) if axis > 0 else 1
    n = x.step_count() if axis == 0 else shape[axis]
    inner = prod(shape[axis + 1:])     # never the variable axis 0
    return outer, n, inner


__all__ = ["AXES", "broadcast_shapes", "broadcast_strides", "check_axes", "contiguous_strides", "elementwise_layout", "java_dims",
           "java_shape", "java_strides", "n0", "outer_n_inner", "r32"]
