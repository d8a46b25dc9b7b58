"""Keras 3 operation nodes that move values rather than compute them: tensor
slicing (``x[...]``, ``GetItem``), ``Transpose``, ``ExpandDims``, ``Squeeze``,
``Reshape``, ``Concatenate`` and ``Stack``.  ``Cast`` and ``ConvertToTensor`` pass values on.  Like the computing ones of
:mod:`.keras_ops` (whose argument readers they share), they are registered as
``ops.<Class>``, read their arguments from the call's saved ``args`` and become
ops of the one tensor-op IR (:mod:`.tensor_ops`) or layer ops (Reshape, Concatenate).
"""
from __future__ import annotations

from math import prod
from typing import Mapping

from ..ir import format_shape
from .base import ConversionProblem, converter
from .context import Converted, LayerContext
from .keras_ops import INT_DTYPES, NONE, _Args, _axis, _is_tensor, _option
from .merge import ConcatenateOp
from .shape import ReshapeOp
from .tensor_layout import check_axes, contiguous_strides
from .tensor_ops import StackOp, StridedOp, TimeSliceOp, UnaryOp


def _slice_bounds(entry: Mapping) -> tuple:
    cfg = entry.get("config", {}) or {}
    vals = []
    for k in ("start", "stop", "step"):
        v = cfg.get(k)
        if v is not None and (isinstance(v, bool) or not isinstance(v, int)):
            raise ConversionProblem(f"slice {k} {v!r} is not an integer (tensor slice bounds are not supported)")
        vals.append(v)
    if vals[2] == 0:
        raise ConversionProblem("slice step 0")
    return tuple(vals)


def _get_item(ctx: LayerContext) -> Converted:
    shape = ctx.single_input()
    args = _Args(ctx)
    if args.count != 1 or len(args.raw) != 2:
        raise ConversionProblem("only keys of ints, slices, None and ... are supported (tensor indices are not)")
    key = args.raw[1]
    entries = list(key) if isinstance(key, (list, tuple)) else [key]
    full = (None,) + tuple(shape)     # with the batch axis
    kinds = []
    for e in entries:
        if isinstance(e, Mapping) and e.get("class_name") == "__ellipsis__":
            kinds.append(("...",))
        elif isinstance(e, Mapping) and e.get("class_name") == "__slice__":
            kinds.append(("slice", _slice_bounds(e)))
        elif e is None:
            kinds.append(("new",))
        elif isinstance(e, int) and not isinstance(e, bool):
            kinds.append(("int", e))
        else:
            raise ConversionProblem(f"index {e!r} is not supported (only ints, slices, None and ...)")
    if sum(k[0] == "..." for k in kinds) > 1:
        raise ConversionProblem("more than one ellipsis in the key")
    used = sum(k[0] in ("slice", "int") for k in kinds)
    if used > len(full):
        raise ConversionProblem(f"too many indices for a tensor of rank {len(full)}")
    expanded = []
    for k in kinds:
        if k[0] == "...":
            expanded += [("slice", (None, None, None))] * (len(full) - used)
        else:
            expanded.append(k)
    if not any(k[0] == "..." for k in kinds):
        expanded += [("slice", (None, None, None))] * (len(full) - used)
    # the batch axis: the first entry that consumes an axis must be ':'
    first = next(i for i, k in enumerate(expanded) if k[0] != "new")
    if expanded[first] != ("slice", (None, None, None)) or any(k[0] == "new" for k in expanded[:first]):
        raise ConversionProblem("the key must keep the batch axis whole (start it with ':' or '...')")
    rest = expanded[first + 1:]
    in_strides = contiguous_strides(shape)
    axis = 0
    strides, out, np_key = [], [], []
    offset = 0
    index0 = slice0 = None
    for k in rest:
        if k[0] == "new":
            strides.append(0)
            out.append(1)
            np_key.append(None)
            continue
        d = shape[axis]
        if k[0] == "int":
            i = k[1]
            if d is None:
                index0 = i
            else:
                if not -d <= i < d:
                    raise ConversionProblem(f"index {i} is out of range for an axis of size {d}")
                offset += (i % d) * in_strides[axis]
            np_key.append(i)
        else:
            start, stop, step = k[1]
            np_key.append((start, stop, step))
            if d is None:
                if (start, stop, step) != (None, None, None):
                    if axis != 0 or out:
                        raise ConversionProblem("slicing a variable axis that does not stay first")
                    slice0 = tuple(NONE if v is None else v for v in (start, stop, step or 1))
                    strides.append(in_strides[axis] * (step or 1))
                else:
                    strides.append(in_strides[axis])
                out.append(None)
            else:
                r = range(*slice(start, stop, step).indices(d))
                if len(r) == 0:
                    raise ConversionProblem(f"the slice {start}:{stop}:{step} of an axis of size {d} is empty")
                offset += r.start * in_strides[axis]
                strides.append(in_strides[axis] * r.step)
                out.append(len(r))
        axis += 1
    out_shape = tuple(out)
    if any(d is None for d in out_shape[1:]):
        raise ConversionProblem("the variable timestep axis must stay the first axis")
    if not out_shape:
        out_shape, strides = (1,), [0]
    cls = TimeSliceOp if slice0 is not None else StridedOp
    return Converted(cls(tuple(strides), offset, index0, slice0, tuple(np_key)), (check_axes(out_shape),))


def _transpose(ctx: LayerContext) -> Converted:
    shape = ctx.single_input()
    axes = _option(ctx, "axes")
    rank = len(shape)
    if axes is None:
        raise ConversionProblem("transpose without axes reverses the batch axis too; not supported")
    if not isinstance(axes, (list, tuple)) or sorted(axes) != list(range(rank + 1)) or axes[0] != 0:
        raise ConversionProblem(f"axes {axes!r} must be a permutation that keeps the batch axis 0 first")
    perm = tuple(a - 1 for a in axes[1:])
    out = tuple(shape[p] for p in perm)
    if any(d is None for d in out[1:]):
        raise ConversionProblem("the variable timestep axis must stay the first axis")
    own = contiguous_strides(shape)
    return Converted(StridedOp(tuple(own[p] for p in perm), 0, perm=perm), (check_axes(out),))


def _expand_dims(ctx: LayerContext) -> Converted:
    shape = ctx.single_input()
    axis = _option(ctx, "axis")
    axes = list(axis) if isinstance(axis, (list, tuple)) else [axis]
    out = list(shape)
    for a in sorted(_axis(a, len(shape) + i, new=True) for i, a in enumerate(axes)):
        out.insert(a, 1)
    if any(d is None for d in out[1:]):
        raise ConversionProblem("the variable timestep axis must stay the first axis")
    return Converted(ReshapeOp(), (tuple(out),))


def _squeeze(ctx: LayerContext) -> Converted:
    shape = ctx.single_input()
    axis = _option(ctx, "axis")
    if axis is None:
        axes = {i for i, d in enumerate(shape) if d == 1}
    else:
        axes = {_axis(a, len(shape)) for a in (axis if isinstance(axis, (list, tuple)) else [axis])}
        if any(shape[a] != 1 for a in axes):
            raise ConversionProblem(f"cannot squeeze axes of size other than 1 in {format_shape(shape)}")
    out = tuple(d for i, d in enumerate(shape) if i not in axes)
    return Converted(ReshapeOp(), (out or (1,),))


def _reshape(ctx: LayerContext) -> Converted:
    shape = ctx.single_input()
    target = _option(ctx, "newshape", _option(ctx, "new_shape"))
    if not isinstance(target, (list, tuple)) or not target:
        raise ConversionProblem(f"new shape {target!r} is not a list")
    dims = list(target[1:]) if target[0] in (-1, None) else None
    if dims is None or any(isinstance(d, bool) or not isinstance(d, int) or (d < 1 and d != -1) for d in dims):
        raise ConversionProblem(f"new shape {list(target)!r} must keep the batch axis first (-1 or None) "
                                "and give the other sizes")
    if any(d is None for d in shape):
        raise ConversionProblem("reshaping a tensor with a variable number of timesteps would mix the batch "
                                "and timestep axes; use a Reshape layer")
    total = prod(shape)
    known = prod(d for d in dims if d != -1)
    if dims.count(-1) > 1 or (-1 in dims and total % known) or (-1 not in dims and known != total):
        raise ConversionProblem(f"cannot reshape {format_shape(shape)} to {tuple(target)}")
    return Converted(ReshapeOp(), (tuple(total // known if d == -1 else d for d in dims) or (1,),))


def _cast(ctx: LayerContext) -> Converted:
    shape = ctx.single_input()
    dtype = _option(ctx, "dtype")
    if isinstance(dtype, Mapping):
        dtype = (dtype.get("config") or {}).get("name")
    if dtype in ("float32", "float64"):
        return Converted(ReshapeOp(), (shape,))
    if dtype in INT_DTYPES and not dtype.startswith("uint"):
        return Converted(UnaryOp("TRUNC"), (shape,))
    if dtype == "bool":
        return Converted(UnaryOp("NONZERO"), (shape,))
    raise ConversionProblem(f"cast to {dtype!r} is not supported (float32, int8..int64, bool)")


def _convert_to_tensor(ctx: LayerContext) -> Converted:
    """``keras.ops.convert_to_tensor`` (Keras 3 records it for the mask an Attention layer
    passes on): the value itself, or cast to ``dtype`` when one is given."""
    if _option(ctx, "dtype") is None:
        return Converted(ReshapeOp(), (ctx.single_input(),))
    return _cast(ctx)


def _tensor_list(ctx: LayerContext) -> list:
    args = _Args(ctx)
    xs = args.raw[0] if args.raw else None
    if not isinstance(xs, (list, tuple)) or not all(_is_tensor(x) for x in xs) or args.count != len(xs):
        raise ConversionProblem("expects a list of tensors")
    return [ctx.input_shapes[args.tensor(x)] for x in xs]


def _concatenate(ctx: LayerContext) -> Converted:
    shapes = _tensor_list(ctx)
    rank = len(shapes[0])
    if any(len(s) != rank for s in shapes):
        raise ConversionProblem("inputs have different ranks: " + ", ".join(format_shape(s) for s in shapes))
    k = _axis(_option(ctx, "axis", 0), rank)
    if any(s[k] is None for s in shapes):
        raise ConversionProblem("concatenating along the variable timestep axis is not supported")
    other = [tuple(d for i, d in enumerate(s) if i != k) for s in shapes]
    if any(o != other[0] for o in other):
        raise ConversionProblem("input shapes " + ", ".join(format_shape(s) for s in shapes)
                                + " differ outside the concatenation axis")
    out = list(shapes[0])
    out[k] = sum(s[k] for s in shapes)
    return Converted(ConcatenateOp(axis=k), (tuple(out),))


def _stack(ctx: LayerContext) -> Converted:
    shapes = _tensor_list(ctx)
    if any(s != shapes[0] for s in shapes):
        raise ConversionProblem("inputs have different shapes: " + ", ".join(format_shape(s) for s in shapes))
    k = _axis(_option(ctx, "axis", 0), len(shapes[0]), new=True)
    out = list(shapes[0])
    out.insert(k, len(shapes))
    if any(d is None for d in out[1:]):
        raise ConversionProblem("the variable timestep axis must stay the first axis")
    return Converted(StackOp(k), (tuple(out),))


converter("ops.GetItem")(_get_item)
converter("ops.Transpose")(_transpose)
converter("ops.ExpandDims")(_expand_dims)
converter("ops.Squeeze")(_squeeze)
converter("ops.Reshape")(_reshape)
converter("ops.Concatenate")(_concatenate)
converter("ops.Stack")(_stack)
converter("ops.Cast")(_cast)
converter("ops.ConvertToTensor")(_convert_to_tensor)
