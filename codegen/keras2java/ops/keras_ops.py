"""Keras 3 operation nodes: ``keras.ops`` calls (and tensor slicing) that
Functional configs record next to layers, with ``module: keras.src.ops.*``.

They are registered as ``ops.<Class>`` so the ``Concatenate`` operation and the
``Concatenate`` layer stay apart (see :func:`keras2java.builder.keras3_graph.spec_name`).
Their arguments are read from the call's saved ``args`` (tensors mixed with
plain numbers, lists and slice keys) and their config (axis, keepdims, ...).
Booleans are 0/1 floats and integers are integral floats, so a boolean tensor
of one value per timestep can serve as a Keras mask.  A reduction to a scalar
gives shape ``(1,)``.
"""
from __future__ import annotations

from dataclasses import dataclass
from math import prod
from typing import Any, ClassVar, Mapping, Optional, Tuple

import numpy as np

from ..ir import Shape, WeightTensor, format_shape
from .base import ConversionProblem, Op, converter, register_op
from .context import Converted, LayerContext
from .view import CallView, Const, Ints, New, Var, ViewContext, comment

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
_NP_UNARY = {
    "NEGATIVE": np.negative, "ABS": np.abs, "EXP": np.exp, "LOG": np.log, "SQRT": np.sqrt, "SQUARE": np.square,
    "TANH": np.tanh, "SIGMOID": lambda x: 1 / (1 + np.exp(-x)), "RELU": lambda x: np.maximum(x, 0),
    "RECIPROCAL": lambda x: 1 / x, "SIN": np.sin, "COS": np.cos, "FLOOR": np.floor, "CEIL": np.ceil,
    "ROUND": np.round, "SIGN": np.sign, "LOG1P": np.log1p, "EXPM1": np.expm1,
    "NOT": lambda x: (x == 0).astype(np.float64), "TRUNC": np.trunc, "NONZERO": lambda x: (x != 0).astype(np.float64),
    "SOFTPLUS": lambda x: np.maximum(x, 0) + np.log1p(np.exp(-np.abs(x))), "RSQRT": lambda x: 1 / np.sqrt(x),
    "SILU": lambda x: x / (1 + np.exp(-x)), "ZERO": np.zeros_like, "ONE": np.ones_like, "IDENTITY": lambda x: x,
}

BINARY = {
    "Add": "ADD", "Subtract": "SUBTRACT", "Multiply": "MULTIPLY", "Divide": "DIVIDE", "TrueDivide": "DIVIDE",
    "Power": "POWER", "Maximum": "MAXIMUM", "Minimum": "MINIMUM", "Mod": "MOD", "FloorDivide": "FLOOR_DIVIDE",
    "Equal": "EQUAL", "NotEqual": "NOT_EQUAL", "Greater": "GREATER", "GreaterEqual": "GREATER_EQUAL",
    "Less": "LESS", "LessEqual": "LESS_EQUAL", "LogicalAnd": "AND", "LogicalOr": "OR", "LogicalXor": "XOR",
}
_NP_BINARY = {
    "ADD": np.add, "SUBTRACT": np.subtract, "MULTIPLY": np.multiply, "DIVIDE": np.divide, "POWER": np.power,
    "MAXIMUM": np.maximum, "MINIMUM": np.minimum, "MOD": np.mod, "FLOOR_DIVIDE": lambda a, b: np.floor(a / b),
    "EQUAL": np.equal, "NOT_EQUAL": np.not_equal, "GREATER": np.greater, "GREATER_EQUAL": np.greater_equal,
    "LESS": np.less, "LESS_EQUAL": np.less_equal, "AND": lambda a, b: (a != 0) & (b != 0),
    "OR": lambda a, b: (a != 0) | (b != 0), "XOR": lambda a, b: (a != 0) ^ (b != 0),
}

REDUCE = {"Sum": "SUM", "Mean": "MEAN", "Max": "MAX", "Amax": "MAX", "Min": "MIN", "Amin": "MIN",
          "Any": "ANY", "All": "ALL", "Prod": "PROD"}
_NP_REDUCE = {"SUM": np.sum, "MEAN": np.mean, "MAX": np.max, "MIN": np.min, "ANY": np.any, "ALL": np.all,
              "PROD": np.prod}

INT_DTYPES = ("int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64")


def _contiguous_strides(shape: Shape) -> tuple[int, ...]:
    out, acc = [], 1
    for d in reversed(shape):
        out.append(acc)
        acc *= 1 if d is None else d
    return tuple(reversed(out))


def _broadcast_strides(shape: Shape, out: Shape) -> tuple[int, ...]:
    """Strides of a contiguous operand of ``shape`` read over ``out`` (right-aligned, 0 = broadcast)."""
    own = _contiguous_strides(shape)
    pad = len(out) - len(shape)
    return tuple(0 if i < pad or shape[i - pad] == 1 and out[i] != 1 else own[i - pad] for i in range(len(out)))


#: The runtime's index space: ``TensorOps`` takes shapes and strides of this many axes.
AXES = 5


def _axes(shape: Shape) -> Shape:
    """``shape`` if the ``TensorOps`` kernels can walk it, else a refusal."""
    if len(shape) > AXES:
        raise ConversionProblem(f"shape {format_shape(shape)} has more than {AXES} axes besides the batch axis")
    return shape


def _padded(values: tuple, fill: int) -> Ints:
    if len(values) > AXES:   # the converters refuse such shapes (_axes)
        raise RuntimeError(f"internal error: {len(values)} axes for TensorOps")
    return Ints((fill,) * (AXES - len(values)) + tuple(values))


def _java_shape(shape: Shape) -> Ints:
    """A shape in ``TensorOps``' five axes (leading axes of size 1), -1 for a variable axis."""
    return _padded(tuple(-1 if d is None else d for d in shape), 1)


def _java_strides(strides: tuple[int, ...]) -> Ints:
    """Strides in ``TensorOps``' five axes (leading axes of stride 0)."""
    return _padded(strides, 0)


def _n0(info) -> Any:
    return Var(info.steps) if info.shape and info.shape[0] is None else 0


def _r32(x) -> np.ndarray:
    return np.asarray(np.asarray(x, np.float64), f32)


# -- ops ----------------------------------------------------------------------------------------


@register_op
@dataclass(frozen=True)
class UnaryOp(Op):
    """An elementwise function (``fn`` a ``TensorOps`` constant); CLIP uses ``p0, p1``."""

    fn: str
    p0: float = 0.0
    p1: float = 0.0
    kind: ClassVar[str] = "elementwise"
    runtime: ClassVar[tuple[str, ...]] = ("TensorOps", "Check")

    def stream_outputs(self, rank):
        return (0,)

    def evaluate(self, inputs):
        x = np.asarray(inputs[0], np.float64)
        if self.fn == "CLIP":
            return [_r32(np.clip(x, self.p0, self.p1))]
        if self.fn == "ERF":
            from math import erf
            return [_r32(np.vectorize(erf)(x))]
        with np.errstate(all="ignore"):
            return [_r32(_NP_UNARY[self.fn](x))]

    def view(self, node, ctx: ViewContext) -> CallView:
        x, y = ctx.ins[0], ctx.outs[0]
        return CallView(ctx.field, comment(node), ctx.out_bufs(), "unary",
                        (Const("TensorOps", self.fn), Var(x.var), 0, Var(y.var), y.length(),
                         float(self.p0), float(self.p1)), static="TensorOps")


def _const_weight(value: Any, role: str, name: str) -> WeightTensor:
    return WeightTensor(role, f"{name} argument", np.asarray(value, f32))


@register_op
@dataclass(frozen=True)
class BinaryOp(Op):
    """``a op b`` with NumPy broadcasting; an operand may be a constant from the call's
    arguments (``a_const`` / ``b_const``), the tensor operands are the node's inputs."""

    fn: str
    out_shape: Shape
    a_const: Optional[WeightTensor] = None
    b_const: Optional[WeightTensor] = None
    kind: ClassVar[str] = "broadcast"
    runtime: ClassVar[tuple[str, ...]] = ("TensorOps", "Check")

    def _operands(self, inputs):
        it = iter(inputs)
        a = self.a_const.array if self.a_const is not None else next(it)
        b = self.b_const.array if self.b_const is not None else next(it)
        return np.asarray(a, np.float64), np.asarray(b, np.float64)

    def evaluate(self, inputs):
        a, b = self._operands(inputs)
        with np.errstate(all="ignore"):
            y = _NP_BINARY[self.fn](a, b)
        return [_r32(np.broadcast_to(y, tuple(d for d in np.broadcast(a, b).shape)))]

    def view(self, node, ctx: ViewContext) -> CallView:
        y = ctx.outs[0]
        ins = iter(ctx.ins)
        operands = []
        const = self.a_const if self.a_const is not None else self.b_const
        for c in (self.a_const, self.b_const):
            if c is not None:
                operands += [Var(f"n.{ctx.field}.c"), _java_strides(_broadcast_strides(c.shape, y.shape))]
            else:
                info = next(ins)
                operands += [Var(info.var), _java_strides(_broadcast_strides(info.shape, y.shape))]
        return CallView(ctx.field, comment(node), ctx.out_bufs(), "binary",
                        (Const("TensorOps", self.fn),) + tuple(operands)
                        + (Var(y.var), _java_strides(_contiguous_strides(y.shape)), _java_shape(y.shape), _n0(y)),
                        static="TensorOps",
                        cls="TensorOps" if const is not None else "",
                        init=New("TensorOps", (Var("data"), ctx.offset(const), const.size)) if const is not None else None)

    def stream_outputs(self, rank):
        return None


@register_op
@dataclass(frozen=True)
class WhereOp(Op):
    """``where(c, a, b)`` with broadcasting; all three operands are tensors."""

    kind: ClassVar[str] = "where"
    runtime: ClassVar[tuple[str, ...]] = ("TensorOps", "Check")

    def evaluate(self, inputs):
        c, a, b = (np.asarray(x, np.float64) for x in inputs)
        return [_r32(np.where(c != 0, a, b))]

    def view(self, node, ctx: ViewContext) -> CallView:
        y = ctx.outs[0]
        args = []
        for info in ctx.ins:
            args += [Var(info.var), _java_strides(_broadcast_strides(info.shape, y.shape))]
        return CallView(ctx.field, comment(node), ctx.out_bufs(), "where",
                        tuple(args) + (Var(y.var), _java_strides(_contiguous_strides(y.shape)),
                                       _java_shape(y.shape), _n0(y)), static="TensorOps")


@register_op
@dataclass(frozen=True)
class ReduceOp(Op):
    """A reduction over ``axes`` (indices into the shape without batch)."""

    fn: str
    axes: Tuple[int, ...]
    keepdims: bool
    kind: ClassVar[str] = "reduce"
    runtime: ClassVar[tuple[str, ...]] = ("TensorOps", "Check")

    def evaluate(self, inputs):
        x = np.asarray(inputs[0], np.float64)
        y = _NP_REDUCE[self.fn](x, axis=self.axes, keepdims=self.keepdims)
        return [_r32(np.reshape(y, (1,)) if np.ndim(y) == 0 else y)]

    def view(self, node, ctx: ViewContext) -> CallView:
        x, y = ctx.ins[0], ctx.outs[0]
        kept = tuple(1 if i in self.axes else d for i, d in enumerate(x.shape))
        own = _contiguous_strides(kept)
        ystr = tuple(0 if i in self.axes else own[i] for i in range(len(x.shape)))
        return CallView(ctx.field, comment(node), ctx.out_bufs(), "reduce",
                        (Const("TensorOps", self.fn), Var(x.var), _java_strides(_contiguous_strides(x.shape)),
                         _java_shape(x.shape), _n0(x), Var(y.var), _java_strides(ystr), y.length()),
                        static="TensorOps")


@register_op
@dataclass(frozen=True)
class MatmulOp(Op):
    """``matmul(a, b)`` of tensors of rank >= 2: ``(..., m, k) @ (..., k, n)``, batch axes broadcast."""

    kind: ClassVar[str] = "matmul"
    runtime: ClassVar[tuple[str, ...]] = ("TensorOps", "Check")

    def evaluate(self, inputs):
        a, b = (np.asarray(x, np.float64) for x in inputs)
        return [_r32(a @ b)]

    def view(self, node, ctx: ViewContext) -> CallView:
        a, b = ctx.ins
        y = ctx.outs[0]
        batch = y.shape[:-2]
        m = Var(a.steps) if a.shape[-2] is None else a.shape[-2]
        k, n = a.shape[-1], b.shape[-1]
        # y is contiguous: batch strides in matrices of m x n (m is fixed when there are batch axes)
        y_strides = tuple(s * y.shape[-2] * n for s in _contiguous_strides(batch))
        return CallView(ctx.field, comment(node), ctx.out_bufs(), "matmul",
                        (Var(a.var), _java_strides(_mat_batch_strides(a.shape, batch)), Var(b.var),
                         _java_strides(_mat_batch_strides(b.shape, batch)), Var(y.var), _java_strides(y_strides),
                         _java_shape(batch), _n0(y) if batch else 0, m, k, n), static="TensorOps")


def _mat_batch_strides(shape: Shape, batch: Shape) -> tuple[int, ...]:
    """Batch strides of a matrix operand (``shape`` = batch + (rows, cols)) over ``batch``."""
    own = _contiguous_strides(shape)[:-2]
    bs = shape[:-2]
    pad = len(batch) - len(bs)
    return tuple(0 if i < pad or bs[i - pad] == 1 and batch[i] != 1 else own[i - pad] for i in range(len(batch)))


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


def broadcast_shapes(shapes: list, what: str = "operands") -> Shape:
    rank = max(len(s) for s in shapes)
    out = []
    for i in range(rank):
        dims = [s[i - rank + len(s)] for s in shapes if i - rank + len(s) >= 0]
        fixed = {d for d in dims if d is not None and d != 1}
        if None in dims:
            if fixed:
                raise ConversionProblem(f"{what} {', '.join(format_shape(s) for s in shapes)} broadcast a variable "
                                        "number of timesteps against a fixed one")
            if i != 0:
                raise ConversionProblem("a variable axis away from the first axis is not supported")
            out.append(None)
        elif len(fixed) > 1:
            raise ConversionProblem(f"{what} {', '.join(format_shape(s) for s in shapes)} do not broadcast")
        else:
            out.append(fixed.pop() if fixed else 1)
    return tuple(out)


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
    out = _axes(broadcast_shapes(shapes)) or (1,)
    return Converted(BinaryOp(fn, out, consts[0], consts[1]), (out,))


def _reduce(ctx: LayerContext) -> Converted:
    shape = _axes(ctx.single_input())
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
    return Converted(WhereOp(), (_axes(broadcast_shapes(shapes)),))


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
    batch = _axes(broadcast_shapes([a[:-2], b[:-2]])) if len(a) > 2 else ()
    return Converted(MatmulOp(), (tuple(batch) + (a[-2], b[-1]),))


for _cls in UNARY:
    converter("ops." + _cls)(_unary)
for _cls in BINARY:
    converter("ops." + _cls)(_binary)
for _cls in REDUCE:
    converter("ops." + _cls)(_reduce)
converter("ops.Where")(_where)
converter("ops.Matmul")(_matmul)
