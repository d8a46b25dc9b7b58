"""Keras 3 operation nodes: ``keras.ops`` calls (and tensor slicing) that
Functional configs record next to layers, with ``module: keras.src.ops.*``.

They are registered as ``ops.<Class>`` so the ``Concatenate`` operation and the
``Concatenate`` layer stay apart (see :func:`keras2java.builder.keras3_graph.spec_name`).
Their arguments are read from the call's saved ``args`` (tensors mixed with
plain numbers, lists and slice keys) and their config (axis, keepdims, ...).
Booleans are 0/1 floats and integers are integral floats, so a boolean tensor
of one value per timestep can serve as a Keras mask.  A reduction to a scalar
gives shape ``(1,)``.  The ops they become are those of the one tensor-op IR,
:mod:`.tensor_ops`, which plugins compose too.
"""
from __future__ import annotations

from typing import Any, Mapping, Optional

import numpy as np

from ..ir import Shape, WeightTensor, format_shape
from .base import ConversionProblem, converter
from .context import Converted, LayerContext
from .tensor_layout import broadcast_shapes, check_axes
from .tensor_ops import BroadcastOp, MatMulOp, ReduceOp, UnaryOp, WhereOp

f32 = np.float32
NONE = -(2 ** 31)   # Java Integer.MIN_VALUE: a slice bound that is None

# -- elementwise functions -------------------------------------------------------------------

UNARY = {
    "Negative": "NEGATIVE", "Absolute": "ABS", "Exp": "EXP", "Log": "LOG",
    "Sqrt": "SQRT", "Square": "SQUARE", "Tanh": "TANH", "Sigmoid": "SIGMOID", "Relu": "RELU",
    "Reciprocal": "RECIPROCAL", "Sin": "SIN", "Cos": "COS", "Floor": "FLOOR", "Ceil": "CEIL", "Round": "ROUND",
    "Sign": "SIGN", "Log1p": "LOG1P", "Expm1": "EXPM1", "LogicalNot": "NOT", "Trunc": "TRUNC",
    "Softplus": "SOFTPLUS", "Rsqrt": "RSQRT", "Erf": "ERF", "Silu": "SILU", "ZerosLike": "ZERO",
    "OnesLike": "ONE", "Clip": "CLIP",
}
BINARY = {
    "Add": "ADD", "Subtract": "SUBTRACT", "Multiply": "MULTIPLY", "Divide": "DIVIDE", "TrueDivide": "DIVIDE",
    "Power": "POWER", "Maximum": "MAXIMUM", "Minimum": "MINIMUM", "Mod": "MOD", "FloorDivide": "FLOOR_DIVIDE",
    "Equal": "EQUAL", "NotEqual": "NOT_EQUAL", "Greater": "GREATER", "GreaterEqual": "GREATER_EQUAL",
    "Less": "LESS", "LessEqual": "LESS_EQUAL", "LogicalAnd": "AND", "LogicalOr": "OR", "LogicalXor": "XOR",
}
REDUCE = {"Sum": "SUM", "Mean": "MEAN", "Max": "MAX", "Amax": "MAX", "Min": "MIN", "Amin": "MIN",
          "Any": "ANY", "All": "ALL", "Prod": "PROD"}

INT_DTYPES = ("int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64")


def _const_weight(value: Any, role: str, name: str) -> WeightTensor:
    return WeightTensor(role, f"{name} argument", np.asarray(value, f32))


# -- reading a call's arguments -------------------------------------------------------------------


def _is_tensor(v: Any) -> bool:
    return isinstance(v, Mapping) and v.get("class_name") == "__keras_tensor__"


class _Args:
    """The call's positional arguments with tensors numbered as the builder feeds them."""

    def __init__(self, ctx: LayerContext) -> None:
        self.ctx = ctx
        self.raw = tuple(ctx.call.raw_args) if ctx.call is not None and ctx.call.raw_args is not None else ()
        self.count = 0
        self.index: dict[int, int] = {}
        self._number(self.raw)

    def _number(self, v: Any) -> None:
        if _is_tensor(v):
            self.index[id(v)] = self.count
            self.count += 1
        elif isinstance(v, Mapping):
            for x in v.values():
                self._number(x)
        elif isinstance(v, (list, tuple)):
            for x in v:
                self._number(x)

    def tensor(self, v: Any) -> Optional[int]:
        return self.index.get(id(v)) if _is_tensor(v) else None

    def arg(self, i: int, key: str = "", default: Any = None) -> Any:
        if i < len(self.raw):
            return self.raw[i]
        cfg = self.ctx.layer.config
        other = self.ctx.call.other_kwargs if self.ctx.call is not None else {}
        if key and key in other:
            return other[key]
        if key and key in cfg:
            return cfg[key]
        return default


def _name(ctx: LayerContext) -> str:
    return ctx.layer.class_name


def _option(ctx: LayerContext, key: str, default: Any = None) -> Any:
    other = ctx.call.other_kwargs if ctx.call is not None else {}
    return other[key] if key in other else ctx.layer.config.get(key, default)


def _number_value(v: Any, what: str) -> np.ndarray:
    if isinstance(v, Mapping) and v.get("class_name") == "__numpy__":   # a NumPy array argument
        v = (v.get("config") or {}).get("value")
    try:
        arr = np.asarray(v, np.float64)
    except (TypeError, ValueError):
        raise ConversionProblem(f"{what} {v!r} is neither a tensor nor a number or list of numbers") from None
    if arr.dtype == object or arr.size > 1 << 16:
        raise ConversionProblem(f"{what} is not a small numeric constant")
    return arr


def _axis(axis: Any, rank: int, what: str = "axis", new: bool = False) -> int:
    """A Keras axis (counting the batch axis) as an index into the shape without batch."""
    if isinstance(axis, bool) or not isinstance(axis, int):
        raise ConversionProblem(f"{what} {axis!r} is not an integer")
    full = rank + 1 + (1 if new else 0)
    k = axis if axis >= 0 else full + axis
    if not 1 <= k < full:
        raise ConversionProblem(f"{what} {axis} is the batch axis or out of range for rank {rank + 1} (with batch)")
    return k - 1


# -- converters -----------------------------------------------------------------------------------


def _unary(ctx: LayerContext) -> Converted:
    shape = ctx.single_input()
    fn = UNARY[_name(ctx)]
    args = _Args(ctx)
    if args.count != 1:
        raise ConversionProblem(f"expects one tensor argument, got {args.count}")
    if fn == "CLIP":
        lo, hi = args.arg(1, "x_min"), args.arg(2, "x_max")
        if any(isinstance(v, bool) or not isinstance(v, (int, float)) for v in (lo, hi)):
            raise ConversionProblem(f"clip bounds {lo!r}, {hi!r} must be numbers")
        return Converted(UnaryOp(fn, float(lo), float(hi)), (shape,))
    return Converted(UnaryOp(fn), (shape,))


def _binary(ctx: LayerContext) -> Converted:
    fn = BINARY[_name(ctx)]
    args = _Args(ctx)
    if len(args.raw) != 2:
        raise ConversionProblem(f"expects two arguments, got {len(args.raw)}")
    shapes = []
    consts: list[Optional[WeightTensor]] = []
    for i, v in enumerate(args.raw):
        t = args.tensor(v)
        if t is not None:
            shapes.append(ctx.input_shapes[t])
            consts.append(None)
        else:
            arr = _number_value(v, f"argument {i}")
            consts.append(_const_weight(arr, "a" if i == 0 else "b", ctx.layer.name))
            shapes.append(tuple(arr.shape))
    tensor_ranks = {len(s) for s, c in zip(shapes, consts) if c is None}
    if len(tensor_ranks) > 1:
        raise ConversionProblem("tensor operands of different ranks are not supported: "
                                + ", ".join(format_shape(s) for s in shapes))
    rank = tensor_ranks.pop()
    for i, c in enumerate(consts):   # a constant with the batch axis: drop its leading 1
        if c is not None and len(c.shape) > rank:
            if len(c.shape) == rank + 1 and c.shape[0] == 1:
                consts[i] = WeightTensor(c.role, c.source, c.array.reshape(c.shape[1:]))
                shapes[i] = c.shape[1:]
            else:
                raise ConversionProblem(f"constant of shape {format_shape(c.shape)} does not broadcast over "
                                        "the batch axis")
    out = check_axes(broadcast_shapes(shapes)) or (1,)
    return Converted(BroadcastOp(fn, out, consts[0], consts[1]), (out,))


def _reduce(ctx: LayerContext) -> Converted:
    shape = check_axes(ctx.single_input())
    fn = REDUCE[_name(ctx)]
    axis = _option(ctx, "axis")
    keepdims = _option(ctx, "keepdims", False)
    if not isinstance(keepdims, bool):
        raise ConversionProblem(f"keepdims {keepdims!r} is not true or false")
    if axis is None:
        raise ConversionProblem("reducing over every axis (axis=None) includes the batch axis; not supported")
    raw = list(axis) if isinstance(axis, (list, tuple)) else [axis]
    axes = tuple(sorted({_axis(a, len(shape)) for a in raw}))
    out = tuple(1 if i in axes else d for i, d in enumerate(shape)) if keepdims else \
        tuple(d for i, d in enumerate(shape) if i not in axes)
    return Converted(ReduceOp(fn, axes, keepdims), (out or (1,),))


def _where(ctx: LayerContext) -> Converted:
    args = _Args(ctx)
    if len(args.raw) != 3 or args.count != 3:
        raise ConversionProblem("only where(condition, x, y) with three tensors is supported")
    shapes = list(ctx.input_shapes)
    if len({len(s) for s in shapes}) > 1:
        raise ConversionProblem("operands of different ranks are not supported: "
                                + ", ".join(format_shape(s) for s in shapes))
    return Converted(WhereOp(), (check_axes(broadcast_shapes(shapes)),))


def _matmul(ctx: LayerContext) -> Converted:
    args = _Args(ctx)
    if args.count != 2 or len(args.raw) != 2:
        raise ConversionProblem("expects two tensors")
    a, b = ctx.input_shapes
    if len(a) < 2 or len(b) < 2:
        raise ConversionProblem("only operands of rank >= 3 (with batch) are supported")
    if a[-1] is None or b[-1] is None or b[-2] is None or a[-1] != b[-2]:
        raise ConversionProblem(f"shapes {format_shape(a)} and {format_shape(b)} do not multiply")
    if len(a) != len(b):
        raise ConversionProblem("operands of different ranks are not supported")
    if a[-2] is None and len(a) > 2:
        raise ConversionProblem("the variable timestep axis must stay the first axis")
    batch = check_axes(broadcast_shapes([a[:-2], b[:-2]])) if len(a) > 2 else ()
    return Converted(MatMulOp(), (tuple(batch) + (a[-2], b[-1]),))


for _cls in UNARY:
    converter("ops." + _cls)(_unary)
for _cls in BINARY:
    converter("ops." + _cls)(_binary)
for _cls in REDUCE:
    converter("ops." + _cls)(_reduce)
converter("ops.Where")(_where)
converter("ops.Matmul")(_matmul)
