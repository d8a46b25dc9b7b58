"""Merge layers: Concatenate, the elementwise merges (Add, Subtract, Multiply,
Average, Maximum, Minimum) and Dot."""
from __future__ import annotations

from dataclasses import dataclass, replace
from typing import ClassVar, Optional, Tuple

import numpy as np

from ..ir import format_shape
from ..reader.raw import RawLayer, freeze
from .base import ConversionProblem, MaskRule, Op, converter, fixed_from, legacy_upgrade, register_op
from .context import Converted, LayerContext
from .legacy import UpgradeContext
from .view import Buffers, Call, CallView, Const, Ints, Var, ViewContext, comment, same_extents, same_steps

f32 = np.float32

MERGE_MODES = ("add", "subtract", "multiply", "average", "maximum", "minimum")


@register_op
@dataclass(frozen=True)
class ConcatenateOp(Op):
    """Keras Concatenate along ``axis`` (an index into the shape without batch)."""

    axis: int
    #: inputs of a merge of masked sequences: which carry a mask (the masks follow the data)
    masked: Tuple[bool, ...] = ()
    kind: ClassVar[str] = "concatenate"
    runtime: ClassVar[tuple[str, ...]] = ("Merge", "Check")

    def merged_mask(self, present, keras_major):
        return MaskConcatOp(present) if self.axis == 0 else merged_mask_op(present, keras_major)

    def variable_axes_problem(self, shapes):
        if self.masked:
            return fixed_from(shapes, 1, "the first axis (timesteps)", only=True)
        return fixed_from(shapes, self.axis, f"the concatenation axis {self.axis + 1} and after it")

    def evaluate(self, inputs):
        return [np.concatenate(inputs[:len(self.masked) or len(inputs)], axis=self.axis)]

    def view(self, node, ctx: ViewContext) -> CallView:
        if self.masked:
            ctx = replace(ctx, ins=ctx.ins[:len(self.masked)])
        k = self.axis
        outer = ctx.outs[0].size(0, k)
        parts = tuple(int(np.prod(i.shape[k:])) for i in ctx.ins)  # fixed (variable_axes_problem)
        return CallView(ctx.field, comment(node), ctx.out_bufs(), "concatenate",
                        (Buffers(tuple(i.var for i in ctx.ins)), Ints(parts), outer, Var(ctx.outs[0].var)),
                        static="Merge", same_steps=same_steps(ctx.ins), same_extents=same_extents(ctx.ins, k))


@register_op
@dataclass(frozen=True)
class TimeConcatenateOp(Op):
    """Keras Concatenate along the timestep axis when an input has a variable number of
    timesteps: the output's steps are the sum of the inputs'."""

    #: inputs of a merge of masked sequences: which carry a mask (the masks follow the data)
    masked: Tuple[bool, ...] = ()
    kind: ClassVar[str] = "concatenate"
    runtime: ClassVar[tuple[str, ...]] = ("Merge", "Check")
    time_changing: ClassVar[bool] = True

    def merged_mask(self, present, keras_major):
        return MaskConcatOp(present)

    def evaluate(self, inputs):
        return [np.concatenate(inputs[:len(self.masked) or len(inputs)], axis=0)]

    def view(self, node, ctx: ViewContext) -> CallView:
        ctx = replace(ctx, ins=ctx.ins[:len(self.masked) or len(ctx.ins)])
        y = ctx.outs[0]
        width = int(np.prod(y.shape[1:]))
        counts = tuple(i.step_count() for i in ctx.ins)
        return CallView(ctx.field, comment(node), ctx.out_bufs(), "concatenateSteps",
                        (Buffers(tuple(i.var for i in ctx.ins)), width, Var(y.var), *counts),
                        static="Merge", steps_var=y.steps, steps_value=Call("Merge", "sumSteps", counts))


@register_op
@dataclass(frozen=True)
class MergeOp(Op):
    """Elementwise merge of same-shaped inputs: Add, Subtract, Multiply, Average, Maximum, Minimum."""

    mode: str
    #: inputs of a merge of masked sequences ``(steps, width)``: which carry a mask (the masks
    #: follow the data); with ``mask_values`` (Keras 3 Maximum, Minimum, Multiply) masked
    #: steps change the values as Keras' ``_apply_merge_op_and_or_mask`` / Multiply do
    masked: Tuple[bool, ...] = ()
    mask_values: bool = False
    #: the inputs' shapes when axes of size 1 broadcast against the output's (else empty)
    shapes: Tuple[Tuple[Optional[int], ...], ...] = ()
    kind: ClassVar[str] = "merge"
    runtime: ClassVar[tuple[str, ...]] = ("Merge", "MaskedMerge", "Check")

    def merged_mask(self, present, keras_major):
        return merged_mask_op(present, keras_major)

    def variable_axes_problem(self, shapes):   # plain elementwise: any axis (the extents agree at run time)
        if self.masked or self.shapes:
            return fixed_from(shapes, 1, "the first axis (timesteps)", only=True)
        return None

    def evaluate(self, inputs):
        n = len(self.masked) or len(inputs)
        xs = [np.asarray(x, np.float64) for x in inputs[:n]]
        if self.mask_values:
            it = iter(inputs[n:])
            ms = [np.asarray(next(it), np.float64)[:, None] != 0 if m else None for m in self.masked]
            return [np.asarray(_masked_values(self.mode, xs, ms), f32)]
        y = np.asarray(inputs[0], f32)
        if self.shapes:   # the broadcast output, then Keras' order of operations
            y = np.broadcast_to(y, np.broadcast_shapes(*(np.shape(x) for x in inputs[:n]))).copy()
        for x in inputs[1:n]:
            if self.mode in ("add", "average"):
                y = y + x
            elif self.mode == "subtract":
                y = y - x
            elif self.mode == "multiply":
                y = y * x
            elif self.mode == "maximum":
                y = np.maximum(y, x)
            else:
                y = np.minimum(y, x)
        return [y / f32(n) if self.mode == "average" else y]

    def view(self, node, ctx: ViewContext) -> CallView:
        n = len(self.masked) or len(ctx.ins)
        data = ctx.ins[:n]
        if self.mask_values:
            it = iter(ctx.ins[n:])
            masks = Buffers(tuple(next(it).var if m else "null" for m in self.masked))
            x, y = data[0], ctx.outs[0]
            head = (self.mode == "maximum",) if self.mode != "multiply" else ()
            return CallView(ctx.field, comment(node), ctx.out_bufs(),
                            "multiply" if self.mode == "multiply" else "maxMin",
                            head + (Buffers(tuple(i.var for i in data)), masks, x.step_count(), x.shape[-1],
                                    Var(y.var)), static="MaskedMerge", same_steps=same_steps(ctx.ins))
        if self.shapes:
            y = ctx.outs[0]
            dims = tuple(-1 if d is None else d for d in y.shape)
            strides = tuple(st for i in data for st in _strides(i.shape, y.shape))
            return CallView(ctx.field, comment(node), ctx.out_bufs(), "broadcast",
                            (Const("Merge", self.mode.upper()), Buffers(tuple(i.var for i in data)), Ints(strides),
                             Ints(dims), y.step_count() if y.shape[0] is None else 0, Var(y.var)),
                            static="Merge", same_steps=same_steps(ctx.ins))
        return CallView(ctx.field, comment(node), ctx.out_bufs(), "elementwise",
                        (Const("Merge", self.mode.upper()), Buffers(tuple(i.var for i in data)),
                         ctx.outs[0].length(), Var(ctx.outs[0].var)),
                        static="Merge", same_steps=same_steps(ctx.ins), same_extents=same_extents(data))


def _strides(shape: tuple, out: tuple) -> tuple:
    """Row-major strides of an input along each output axis, 0 where it is broadcast
    (size 1 against a larger or variable size)."""
    strides, step = [], 1
    for d, o in zip(reversed(shape), reversed(out)):
        strides.append(0 if d == 1 and o != 1 else step)
        step *= d if d is not None else 1   # a variable axis is the first: nothing outside it
    strides += [0] * (len(out) - len(shape))   # a lower-rank input: broadcast along the leading axes
    return tuple(reversed(strides))


def _masked_values(mode: str, xs: list, ms: list) -> np.ndarray:
    """Keras 3 Maximum / Minimum (``_apply_merge_op_and_or_mask``) and Multiply on masked inputs."""
    if mode == "multiply":
        out = None
        for x, m in zip(xs, ms):
            x = np.where(m, x, 1.0) if m is not None else x
            out = x if out is None else out * x
        if all(m is not None for m in ms):
            any_m = np.logical_or.reduce([np.broadcast_to(m, out.shape) for m in ms])
            out = np.where(any_m, out, 0.0)
        return out
    fn = np.maximum if mode == "maximum" else np.minimum
    out, om = xs[0], ms[0]
    for x, m in zip(xs[1:], ms[1:]):
        if m is not None:
            x = np.where(m, x, out)
        if om is not None:
            out = np.where(om, out, x)
        om = (om | m) if (m is not None and om is not None) else None
        out = fn(out, x)
    return out


@register_op
@dataclass(frozen=True)
class MaskMergeOp(Op):
    """The Keras mask of a merge of masked sequences: the AND (tf-keras: ``K.all``) or
    the OR (Keras 3: ``logical_or`` / ``any``) of the inputs' masks."""

    conjunction: bool
    kind: ClassVar[str] = "merge_mask"
    runtime: ClassVar[tuple[str, ...]] = ("MaskedMerge", "Check")

    def evaluate(self, inputs):
        ms = [np.asarray(m) != 0 for m in inputs]
        red = np.logical_and.reduce(ms) if self.conjunction else np.logical_or.reduce(ms)
        return [np.asarray(red, f32)]

    def view(self, node, ctx: ViewContext) -> CallView:
        y = ctx.outs[0]
        return CallView(ctx.field, comment(node), ctx.out_bufs(), "combine",
                        (self.conjunction, Buffers(tuple(i.var for i in ctx.ins)), y.step_count(), Var(y.var)),
                        static="MaskedMerge", same_steps=same_steps(ctx.ins))


@register_op
@dataclass(frozen=True)
class MaskConcatOp(Op):
    """The Keras mask of a Concatenate of masked sequences along the timestep axis (both
    Keras versions' ``Concatenate.compute_mask``): the inputs' masks one after the other,
    all true for an input without one.  Its inputs: each data input's mask where ``present``,
    else the data input itself (for its number of timesteps)."""

    present: Tuple[bool, ...]
    kind: ClassVar[str] = "merge_mask"
    runtime: ClassVar[tuple[str, ...]] = ("Merge", "MaskedMerge", "Check")
    time_changing: ClassVar[bool] = True
    mask_of_each_input: ClassVar[bool] = True

    def evaluate(self, inputs):
        return [np.concatenate([np.asarray(np.asarray(x) != 0, f32) if m else np.ones(len(x), f32)
                                for x, m in zip(inputs, self.present)])]

    def view(self, node, ctx: ViewContext) -> CallView:
        y = ctx.outs[0]
        counts = tuple(i.step_count() for i in ctx.ins)
        masks = Buffers(tuple(i.var if m else "null" for i, m in zip(ctx.ins, self.present)))
        variable = y.shape[0] is None
        return CallView(ctx.field, comment(node), ctx.out_bufs(), "concatenate", (masks, Var(y.var), *counts),
                        static="MaskedMerge", steps_var=y.steps if variable else "",
                        steps_value=Call("Merge", "sumSteps", counts) if variable else None)


def merged_mask_op(present: tuple, keras_major: int) -> Optional[Op]:
    """How Keras merges the masks of merge-layer inputs.  Keras 3 (``base_merge.compute_mask``
    and ``Concatenate.compute_mask``): the OR of the masks, none if an input has none (an
    all-true mask for Concatenate).  tf-keras: the AND of the masks present."""
    if keras_major >= 3:
        return MaskMergeOp(False) if all(present) else None
    return MaskMergeOp(True)


def _masked_inputs(ctx: LayerContext, sequences: bool = True) -> tuple:
    """The mask flags of a merge of masked inputs; with ``sequences`` checked to be
    ``(steps, width)`` (where Keras broadcasts a mask against the values)."""
    if sequences and ctx.input_masks and any(len(s) != 2 for s in ctx.input_shapes):
        raise ConversionProblem("merging masked inputs other than sequences (timesteps, features) is not supported")
    return ctx.input_masks


@register_op
@dataclass(frozen=True)
class DotOp(Op):
    """Keras Dot of two inputs of rank 1 or 2 (without batch), contracting
    ``axes[0]`` of the first with ``axes[1]`` of the second.  With
    ``normalize`` both are first L2-normalized along those axes as
    ``x * min(rsqrt(sum(x^2)), inv_cap)`` (Keras 3: ``1/epsilon = 1e7``;
    tf-keras' ``l2_normalize``: ``rsqrt(max(sum, 1e-12))``, a cap of 1e6)."""

    axes: Tuple[int, int]
    normalize: bool
    inv_cap: float = 1e7
    kind: ClassVar[str] = "dot"
    runtime: ClassVar[tuple[str, ...]] = ("Merge", "Check")

    def evaluate(self, inputs):
        a, b = (np.asarray(x, np.float64) for x in inputs)
        if self.normalize:
            a = a * np.minimum(1 / np.sqrt((a * a).sum(self.axes[0], keepdims=True)), self.inv_cap)
            b = b * np.minimum(1 / np.sqrt((b * b).sum(self.axes[1], keepdims=True)), self.inv_cap)
        if a.ndim == 1:
            return [np.asarray([a @ b], f32)]
        return [np.asarray(np.moveaxis(a, self.axes[0], -1) @ np.moveaxis(b, self.axes[1], 0), f32)]

    def view(self, node, ctx: ViewContext) -> CallView:
        def dims(info, axis: int) -> tuple:
            if len(info.shape) == 1:
                return (1, info.shape[0], 1)
            return (info.step_count(), info.shape[1], axis)

        x, y = ctx.ins
        xd, yd = dims(x, self.axes[0]), dims(y, self.axes[1])
        return CallView(ctx.field, comment(node), ctx.out_bufs(), "dot",
                        (Var(x.var), *xd, Var(y.var), *yd, self.normalize, float(self.inv_cap),
                         Var(ctx.outs[0].var), Var("ws"), 0),
                        static="Merge", workspace=(xd[0], xd[1], yd[0], yd[1]), same_steps=same_steps(ctx.ins))


# -- converters --------------------------------------------------------------------------

def _check_time(ctx: LayerContext) -> None:
    """Inputs with a variable number of timesteps must agree at run time (the
    generated code checks it); a fixed and a variable timestep axis never do."""
    shapes = [s for s in ctx.input_shapes if s]
    if any(s[0] is None for s in shapes) and any(s[0] is not None and len(s) > 1 for s in shapes) \
            and all(len(s) > 1 for s in shapes):
        raise ConversionProblem("inputs mix a fixed and a variable number of timesteps: "
                                + ", ".join(format_shape(s) for s in shapes))


@converter("Concatenate", mask=MaskRule.MERGE)
def convert_concatenate(ctx: LayerContext) -> Converted:
    shapes = ctx.input_shapes
    if len(shapes) < 2:
        raise ConversionProblem(f"expects at least two inputs, got {len(shapes)}")
    ctx.weights([])
    rank = len(shapes[0])
    if any(len(s) != rank for s in shapes):
        raise ConversionProblem("inputs have different ranks: " + ", ".join(format_shape(s) for s in shapes))
    axis = ctx.get_int("axis", -1)
    k = axis - 1 if axis > 0 else rank + axis   # config axis counts the batch axis
    if not 0 <= k < rank:
        raise ConversionProblem(f"axis {axis} is out of range for inputs of rank {rank + 1} (with batch)")
    if k == 0 and any(s[0] is None for s in shapes):
        return _concatenate_time(ctx)
    _check_time(ctx)
    for i in range(1, rank):
        if i != k and any(s[i] is None for s in shapes) and any(s[i] is not None for s in shapes):
            raise ConversionProblem(f"inputs mix a fixed and a variable size on axis {i + 1}: "
                                    + ", ".join(format_shape(s) for s in shapes))
    for s in shapes[1:]:
        for i in range(rank):
            if i != k and s[i] != shapes[0][i] and None not in (s[i], shapes[0][i]):
                raise ConversionProblem("input shapes " + ", ".join(format_shape(t) for t in shapes)
                                        + f" differ outside the concatenation axis {axis}")
    out = list(shapes[0])
    out[k] = sum(s[k] for s in shapes)  # type: ignore[misc]
    if any(s[0] is None for s in shapes):
        out[0] = None
    masked = _masked_inputs(ctx)
    return Converted(ConcatenateOp(axis=k, masked=masked), (tuple(out),))


def _concatenate_time(ctx: LayerContext) -> Converted:
    """Concatenate along a variable timestep axis (fixed and variable inputs may mix)."""
    shapes = ctx.input_shapes
    if any(s[1:] != shapes[0][1:] for s in shapes):
        raise ConversionProblem("input shapes " + ", ".join(format_shape(t) for t in shapes)
                                + " differ outside the timestep axis")
    return Converted(TimeConcatenateOp(_masked_inputs(ctx)), ((None,) + tuple(shapes[0][1:]),))


def _elementwise(mode: str):
    def convert(ctx: LayerContext) -> Converted:
        shapes = ctx.input_shapes
        if len(shapes) < 2 or (mode == "subtract" and len(shapes) != 2):
            raise ConversionProblem(f"expects {'exactly two' if mode == 'subtract' else 'at least two'} inputs, got {len(shapes)}")
        ctx.weights([])
        if any(s != shapes[0] for s in shapes):
            return _broadcasting(ctx, mode)
        _check_time(ctx)
        values = bool(ctx.input_masks) and ctx.keras_major >= 3 and mode in ("maximum", "minimum", "multiply")
        masked = _masked_inputs(ctx, sequences=values)
        return Converted(MergeOp(mode, masked, values), (shapes[0],))
    return convert


def _broadcasting(ctx: LayerContext, mode: str) -> Converted:
    """A merge of inputs whose axes of size 1 broadcast, as both Keras versions compute it
    (``_merge_function``: elementwise with broadcasting).  Inputs of a lower rank first get
    axes of size 1 after the batch axis until they have the highest rank (``Merge.call``:
    ``expand_dims(x, axis=1)``), so their axes line up with the trailing ones."""
    shapes = ctx.input_shapes
    listed = ", ".join(format_shape(s) for s in shapes)
    if ctx.input_masks:
        raise ConversionProblem(f"merging masked inputs of different shapes ({listed}) is not supported")
    rank = max(len(s) for s in shapes)
    shapes = tuple((1,) * (rank - len(s)) + tuple(s) for s in shapes)
    if ctx.keras_major >= 3 and any(None in s for s in shapes):
        # Keras 3 (TensorFlow backend) gives outputs of the wrong length or transposed
        # operands here depending on the lengths it traced first: no semantics to follow
        raise ConversionProblem(f"broadcasting inputs {listed} with a variable number of timesteps is not "
                                "supported for Keras 3 files (Keras 3 itself computes it inconsistently)")
    out = []
    for i in range(len(shapes[0])):
        sizes = {s[i] for s in shapes} - {1}
        if len(sizes) > 1:
            raise ConversionProblem(f"input shapes {listed} do not broadcast (sizes differ where neither is 1)"
                                    if None not in sizes else
                                    f"inputs mix a fixed and a variable number of timesteps: {listed}")
        out.append(sizes.pop() if sizes else 1)
    return Converted(MergeOp(mode, shapes=tuple(tuple(s) for s in shapes)), (tuple(out),))


for _mode in MERGE_MODES:
    converter(_mode.capitalize(), mask=MaskRule.MERGE)(_elementwise(_mode))


@converter("Dot", mask=MaskRule.DROP)
def convert_dot(ctx: LayerContext) -> Converted:
    shapes = ctx.input_shapes
    if len(shapes) != 2:
        raise ConversionProblem(f"expects exactly two inputs, got {len(shapes)}")
    a, b = shapes
    if len(a) != len(b) or len(a) not in (1, 2) or None in a[1:] + b[1:]:
        raise ConversionProblem("only inputs of equal rank 1 or 2 (without batch) are supported, got "
                                + ", ".join(format_shape(s) for s in shapes))
    axes = ctx.layer.config.get("axes", -1)
    if isinstance(axes, int) and not isinstance(axes, bool):
        axes = (axes, axes)
    if (not isinstance(axes, (list, tuple)) or len(axes) != 2
            or not all(isinstance(x, int) and not isinstance(x, bool) for x in axes)):
        raise ConversionProblem(f"axes {axes!r} is not an integer or a pair of integers")
    rank = len(a) + 1   # Keras counts the batch axis
    ks = []
    for ax in axes:
        ax = ax % rank if ax < 0 else ax
        if not 1 <= ax < rank:
            raise ConversionProblem(f"axes {list(axes)!r} name the batch axis or are out of range")
        ks.append(ax - 1)
    if a[ks[0]] != b[ks[1]]:
        raise ConversionProblem(f"the dot axes have different sizes: {a[ks[0]]} and {b[ks[1]]}"
                                if None not in (a[ks[0]], b[ks[1]]) else
                                "the dot axes mix a fixed and a variable number of timesteps")
    normalize = ctx.get_bool("normalize", False)
    ctx.weights([])
    out = tuple(d for i, d in enumerate(a) if i != ks[0]) + tuple(d for i, d in enumerate(b) if i != ks[1])
    if None in out[1:]:
        # contracting the features of variable-length inputs: a variable axis that is not the first
        raise ConversionProblem(f"the output {format_shape(out)} would have a variable number of timesteps on "
                                "an axis other than the first; only contracting over the variable timestep axis "
                                "(or the features of the first input only) is supported")
    return Converted(DotOp((ks[0], ks[1]), normalize, 1e7 if ctx.keras_major >= 3 else 1e6), (out or (1,),))


#: Keras 1 ``Merge`` modes (1.2.2 ``engine/topology.py``) -> Keras 2 merge layers.
KERAS1_MERGE_MODES = {"sum": "Add", "mul": "Multiply", "concat": "Concatenate", "ave": "Average", "max": "Maximum"}


@legacy_upgrade("Merge")
def upgrade_merge(layer: RawLayer, ctx: UpgradeContext) -> RawLayer:
    """Keras 1 ``Merge`` layers (``merge([a, b], mode=...)``, and ``keras.legacy.layers.Merge``
    in Keras 2) with modes sum, mul, concat, ave, max become Add, Multiply,
    Concatenate(axis=concat_axis), Average, Maximum."""
    cfg = dict(layer.config)
    mode, mode_type = cfg.get("mode"), cfg.get("mode_type", "raw")
    if mode_type != "raw" or not isinstance(mode, str) or mode not in KERAS1_MERGE_MODES:
        # reported by the builder as an unsupported class, naming the mode (dot, cos, Python functions)
        what = f"mode={mode!r}" if isinstance(mode, str) and mode_type == "raw" else "a Python function as mode"
        return replace(layer, class_name=f"Merge({what})", config=freeze(cfg))
    new = {"name": cfg.get("name", layer.name)}
    if mode == "concat":
        new["axis"] = cfg.get("concat_axis", -1)
    ctx.note(layer.name, f"class Merge(mode={mode!r}) -> {KERAS1_MERGE_MODES[mode]}")
    return replace(layer, class_name=KERAS1_MERGE_MODES[mode], config=freeze(new))
