"""Shape layers: Flatten and Reshape (the data is unchanged), Permute, and the
layers that change only the time axis (RepeatVector, UpSampling1D,
ZeroPadding1D, Cropping1D)."""
from __future__ import annotations

from dataclasses import dataclass
from math import gcd
from typing import ClassVar, Tuple

import numpy as np

from ..ir import Shape, format_shape, shape_text
from .base import ConversionProblem, MaskRule, Op, converter, register_op
from .context import Converted, LayerContext
from .shape_rules import channels_last, pair, require_rank, sequence_input
from .view import Call, CallView, Ints, Plus, Size, StepsView, Var, ViewContext, comment


@register_op
@dataclass(frozen=True)
class ReshapeOp(Op):
    """Flatten / Reshape: the row-major data is unchanged, only the shape."""

    kind: ClassVar[str] = "reshape"
    alias: ClassVar[bool] = True

    def evaluate(self, inputs):
        return [inputs[0]]   # shapes are applied by the caller


@register_op
@dataclass(frozen=True)
class StepsReshapeOp(Op):
    """Reshape ``(timesteps, ...)`` -> ``(-1, ...)`` with another number of floats per
    timestep: the row-major data is unchanged (an alias), but the output has its own
    timestep count, ``steps * ratio_in / ratio_out`` (the per-step sizes' ratio in lowest
    terms), checked at run time when ``ratio_out`` is not 1."""

    ratio_in: int
    ratio_out: int
    #: the output's variable axis (the target's -1)
    axis: int = 0
    kind: ClassVar[str] = "reshape"
    alias: ClassVar[bool] = True
    time_changing: ClassVar[bool] = True
    runtime: ClassVar[tuple[str, ...]] = ("Reshape",)

    def variable_axes_problem(self, shapes):   # one variable axis in, one out (any axis)
        bad = [s for s in shapes if list(s).count(None) > 1]
        return f"shape {format_shape(bad[0])}: Reshape takes one variable axis" if bad else None

    def evaluate(self, inputs):
        return [inputs[0]]   # shapes are applied by the caller

    def view(self, node, ctx: ViewContext) -> StepsView:
        x, o = ctx.ins[0], ctx.outs[0]
        n = x.dim(x.variable_axes()[0]).name
        if self.ratio_out == 1:
            value = Size(n, self.ratio_in)
        else:
            value = Call("Reshape", "reshapeSteps", (Var(n), self.ratio_in, self.ratio_out,
                                                     f"layer {node.layer_name} ({node.class_name})",
                                                     shape_text(x.shape), shape_text(o.shape)))
        return StepsView(ctx.field, comment(node), o.extents[self.axis], value)  # type: ignore[arg-type]

    def batch_view(self, node, ctx: ViewContext) -> StepsView:
        return self.view(node, ctx)   # the count is per sample; the buffers hold nb samples

    def steps_multiple(self) -> int:
        return self.ratio_out


@register_op
@dataclass(frozen=True)
class PermuteOp(Op):
    """Keras Permute: ``dims`` are 0-based axes of the shape without batch."""

    dims: Tuple[int, ...]
    kind: ClassVar[str] = "permute"
    runtime: ClassVar[tuple[str, ...]] = ("Permute", "Check")

    def evaluate(self, inputs):
        return [np.transpose(inputs[0], self.dims)]

    def view(self, node, ctx: ViewContext) -> CallView:
        x = ctx.ins[0]
        return CallView(ctx.field, comment(node), ctx.out_bufs(), "apply",
                        (Var(x.var), Ints(tuple(x.shape)), Ints(self.dims), Var(ctx.outs[0].var)), static="Permute")


@register_op
@dataclass(frozen=True)
class TimeResampleOp(Op):
    """Ops that change only the time axis of ``(steps, features)``:
    RepeatVector (``mode="repeat"``, input ``(features,)``), UpSampling1D
    (``"upsample"``), ZeroPadding1D (``"pad"``) and Cropping1D (``"crop"``)."""

    mode: str
    size: int = 1               # repeat count / upsampling factor
    before: int = 0             # pad or crop at the start
    after: int = 0              # pad or crop at the end
    kind: ClassVar[str] = "resample"
    runtime: ClassVar[tuple[str, ...]] = ("TimeResample", "Check")
    time_changing: ClassVar[bool] = True

    def evaluate(self, inputs):
        return [_resample(self, inputs[0])]

    def view(self, node, ctx: ViewContext) -> CallView:
        x, o = ctx.ins[0], ctx.outs[0]
        width, out = x.shape[-1], Var(o.var)
        if self.mode == "repeat":
            return CallView(ctx.field, comment(node), ctx.out_bufs(), "repeat", (Var(x.var), width, self.size, out),
                            static="TimeResample")
        steps = x.step_count()
        if self.mode == "upsample":
            value, method = (Size(x.steps, self.size) if x.steps else None), "upsample"
            args = (Var(x.var), steps, width, self.size, out)
        elif self.mode == "pad":
            value, method = (Plus(x.steps, self.before + self.after) if x.steps else None), "pad"
            args = (Var(x.var), steps, width, self.before, self.after, out)
        else:
            value, method = Call("TimeResample", "cropSteps", (steps, self.before, self.after, node.layer_name)), "crop"
            args = None
        variable = o.shape[0] is None
        n_out = Var(o.steps) if variable else o.shape[0]
        if args is None:
            args = (Var(x.var), width, self.before, n_out, out)
        return CallView(ctx.field, comment(node), ctx.out_bufs(), method, args, static="TimeResample",
                        steps_var=o.steps if variable else "", steps_value=value if variable else None)


# -- numpy reference -----------------------------------------------------------------------

def _resample(op: TimeResampleOp, x: np.ndarray) -> np.ndarray:
    if op.mode == "repeat":
        return np.repeat(x[None, :], op.size, axis=0)
    if op.mode == "upsample":
        return np.repeat(x, op.size, axis=0)
    if op.mode == "pad":
        return np.pad(x, ((op.before, op.after), (0, 0)))
    return x[op.before:x.shape[0] - op.after]


# -- shape layers --------------------------------------------------------------


def _fixed(ctx: LayerContext, shape: Shape) -> None:
    if any(d is None for d in shape):
        raise ConversionProblem(f"input shape {format_shape(shape)} has a variable number of timesteps; "
                                f"{ctx.layer.class_name} needs a fixed input shape (set it on the Input)")


@converter("Flatten", mask=MaskRule.DROP)
def convert_flatten(ctx: LayerContext):
    shape = ctx.single_input()
    if shape and shape[0] is None and None not in shape[1:]:
        raise ConversionProblem(
            f"input shape {format_shape(shape)} has a variable number of timesteps; Flatten would give a flat "
            "vector of variable length, which keras2java does not support (set a fixed shape on the Input, "
            "or use Reshape((-1, features)) to keep a timestep axis)")
    _fixed(ctx, shape)
    ctx.weights([])
    n = int(np.prod(shape))
    if ctx.layer.config.get("data_format") == "channels_first" and len(shape) > 1:
        # Keras moves the channels last before flattening (keeps Dense weights valid across formats)
        from .context import Composite, Step
        perm = tuple(range(1, len(shape))) + (0,)
        return Composite((Step(PermuteOp(perm), (0,), (tuple(shape[p] for p in perm),)),
                          Step(ReshapeOp(), (1,), ((n,),))), (2,))
    channels_last(ctx)
    return Converted(ReshapeOp(), ((n,),))


@converter("Reshape", mask=MaskRule.DROP)
def convert_reshape(ctx: LayerContext):
    shape = ctx.single_input()
    target = ctx.layer.config.get("target_shape")
    if not isinstance(target, (list, tuple)) or not target or not all(
            isinstance(d, int) and not isinstance(d, bool) and (d > 0 or d == -1) for d in target):
        raise ConversionProblem(f"target_shape {target!r} is not a list of positive sizes (one may be -1)")
    if list(shape).count(None) == 1:
        return _reshape_steps(ctx, shape, tuple(target))
    _fixed(ctx, shape)
    total = int(np.prod(shape))
    known = int(np.prod([d for d in target if d != -1]))
    if list(target).count(-1) > 1 or (-1 in target and total % known) or (-1 not in target and known != total):
        raise ConversionProblem(f"cannot reshape {format_shape(shape)} to {tuple(target)}")
    out = tuple(total // known if d == -1 else d for d in target)
    ctx.weights([])
    return Converted(ReshapeOp(), (out,))


def _reshape_steps(ctx: LayerContext, shape: Shape, target: Tuple[int, ...]) -> Converted:
    """Reshape of an input with one variable axis: Keras gives the variable size to the
    target's -1, on whichever axis it is (``(T, 4)`` -> ``Reshape((2, -1))`` -> ``(2, 2T)``)."""
    if list(target).count(-1) != 1:
        raise ConversionProblem(
            f"input shape {format_shape(shape)} has a variable size; Reshape to {tuple(target)} would put it "
            + ("on several axes" if -1 in target else "on no axis (no -1)")
            + "; a target_shape with one -1 is supported (or set a fixed shape on the Input)")
    if len(target) < 2:
        raise ConversionProblem(
            f"input shape {format_shape(shape)} has a variable size; Reshape to {tuple(target)} "
            "gives a flat vector of variable length, which keras2java does not support "
            "(reshape to (-1, features) instead)")
    axis = list(target).index(-1)
    per_in = int(np.prod([d for d in shape if d is not None], dtype=np.int64))
    per_out = int(np.prod([d for d in target if d != -1], dtype=np.int64))
    out = tuple(None if d == -1 else d for d in target)
    ctx.weights([])
    if per_in == per_out and axis == 0 and shape[0] is None:
        return Converted(ReshapeOp(), (out,))
    g = gcd(per_in, per_out)
    return Converted(StepsReshapeOp(per_in // g, per_out // g, axis), (out,))


@converter("Permute", mask=MaskRule.DROP)
def convert_permute(ctx: LayerContext) -> Converted:
    shape = ctx.single_input()
    _fixed(ctx, shape)
    dims = ctx.layer.config.get("dims")
    if not isinstance(dims, (list, tuple)) or sorted(dims) != list(range(1, len(shape) + 1)):
        raise ConversionProblem(f"dims {dims!r} is not a permutation of 1..{len(shape)}")
    perm = tuple(int(d) - 1 for d in dims)
    ctx.weights([])
    return Converted(PermuteOp(perm), (tuple(shape[p] for p in perm),))


@converter("RepeatVector")
def convert_repeat_vector(ctx: LayerContext) -> Converted:
    shape = ctx.single_input()
    require_rank(shape, 1)
    n = ctx.get_int("n", minimum=1)
    ctx.weights([])
    return Converted(TimeResampleOp("repeat", size=n), ((n, shape[0]),))


@converter("UpSampling1D", mask=MaskRule.DROP)
def convert_up_sampling1d(ctx: LayerContext) -> Converted:
    steps, channels = sequence_input(ctx)
    size = ctx.get_int("size", 2, minimum=1)
    ctx.weights([])
    return Converted(TimeResampleOp("upsample", size=size), ((None if steps is None else steps * size, channels),))


@converter("ZeroPadding1D", mask=MaskRule.DROP)
def convert_zero_padding1d(ctx: LayerContext) -> Converted:
    steps, channels = sequence_input(ctx)
    before, after = pair(ctx, "padding", 1)
    ctx.weights([])
    return Converted(TimeResampleOp("pad", before=before, after=after),
                     ((None if steps is None else steps + before + after, channels),))


@converter("Cropping1D", mask=MaskRule.DROP)
def convert_cropping1d(ctx: LayerContext) -> Converted:
    steps, channels = sequence_input(ctx)
    before, after = pair(ctx, "cropping", (1, 1))
    if steps is not None and steps - before - after < 1:
        raise ConversionProblem(f"cropping {before}+{after} steps leaves nothing of {steps} timesteps")
    ctx.weights([])
    return Converted(TimeResampleOp("crop", before=before, after=after),
                     ((None if steps is None else steps - before - after, channels),))
