"""Normalization: BatchNormalization (at inference a per-channel scale and
shift), LayerNormalization (also RMS), UnitNormalization, RMSNormalization and
GroupNormalization."""
from __future__ import annotations

from dataclasses import dataclass, replace
from math import prod
from typing import Any, ClassVar, Optional

import numpy as np

from ..ir import Shape, WeightTensor
from .base import ConversionProblem, MaskRule, Op, converter, f64, fixed_from, register_op
from .context import Converted, LayerContext
from .shape_rules import axis_index
from .view import CallView, Const, Ints, New, Var, ViewContext, batched_call, comment

f32 = np.float32


@register_op
@dataclass(frozen=True)
class ScaleShiftOp(Op):
    """``y = x * scale[c] + shift[c]`` with ``c`` the index along ``axis``.

    BatchNormalization at inference: ``scale = gamma * rsqrt(var + eps)`` and
    ``shift = beta - mean * scale``, computed in float32 exactly as
    ``tf.nn.batch_normalization`` does.
    """

    axis: int                   # index into the shape without batch
    scale: WeightTensor
    shift: WeightTensor
    kind: ClassVar[str] = "batch_norm"
    runtime: ClassVar[tuple[str, ...]] = ("ScaleShift", "Check")

    def variable_axes_problem(self, shapes):
        return fixed_from(shapes, self.axis, f"axis {self.axis + 1} and after it")

    def stream_outputs(self, rank):
        return (0,) if self.axis > 0 and rank >= 2 else None

    def evaluate(self, inputs):
        x = inputs[0]
        shape = [1] * x.ndim
        shape[self.axis] = -1
        return [np.asarray(x * self.scale.array.reshape(shape) + self.shift.array.reshape(shape), f32)]

    def frame_rows(self, rank):
        return self.axis == rank - 1   # over the channels (each position's row)

    def planes_view(self, view, flag, x):
        """Over the channels of frames of images: ``forwardPixels`` takes each frame's pixels as
        rows of channels, or as one plane per channel where ``flag`` says so."""
        if self.axis != len(x.shape) - 1:
            return None
        return replace(view, method="forwardPixels",
                       args=(view.args[0], Var(x.steps), prod(x.shape[1:-1]), view.args[3], flag))

    def view(self, node, ctx: ViewContext) -> CallView:
        x = ctx.ins[0]
        k = self.axis
        outer = x.size(0, k)
        inner = prod(x.shape[k + 1:])   # variable axes only before axis k (variable_axes_problem)
        return CallView(ctx.field, comment(node), ctx.out_bufs(), "forward",
                        (Var(x.var), outer, inner, Var(ctx.outs[0].var)), cls="ScaleShift",
                        init=New("ScaleShift", (Var("data"), ctx.offset(self.scale), ctx.offset(self.shift),
                                                x.shape[k])))

    def batch_view(self, node, ctx: ViewContext) -> Optional[CallView]:
        return batched_call(self.view(node, ctx), rows_arg=1)   # a batch is more outer rows


@register_op
@dataclass(frozen=True)
class NormalizeOp(Op):
    """LayerNormalization (``mode="layer"`` or ``"rms"``) or UnitNormalization
    (``mode="unit"``) over the trailing ``axes`` axes."""

    mode: str
    axes: int                   # how many trailing axes are normalized together
    epsilon: float
    gamma: Optional[WeightTensor] = None
    beta: Optional[WeightTensor] = None
    kind: ClassVar[str] = "normalize"
    runtime: ClassVar[tuple[str, ...]] = ("Normalize", "Check")

    def variable_axes_problem(self, shapes):
        return fixed_from(shapes, -self.axes, "the normalized axes")

    def stream_outputs(self, rank):
        return (0,) if self.axes < rank else None

    def evaluate(self, inputs):
        return [_normalize(self, inputs[0])]

    def view(self, node, ctx: ViewContext) -> CallView:
        x = ctx.ins[0]
        lead = len(x.shape) - self.axes
        rows = x.size(0, lead)   # variable axes only before the normalized ones (variable_axes_problem)
        init = New("Normalize", (Var("data"), Const("Normalize", self.mode.upper()), prod(x.shape[lead:]),
                                 float(self.epsilon), ctx.offset(self.gamma), ctx.offset(self.beta)))
        return CallView(ctx.field, comment(node), ctx.out_bufs(), "forward", (Var(x.var), rows, Var(ctx.outs[0].var)),
                        cls="Normalize", init=init)

    def batch_view(self, node, ctx: ViewContext) -> Optional[CallView]:
        return batched_call(self.view(node, ctx), rows_arg=1)   # rows normalized one by one


# -- numpy reference -----------------------------------------------------------------------

def _normalize(op: NormalizeOp, x: np.ndarray) -> np.ndarray:
    axes = tuple(range(x.ndim - op.axes, x.ndim))
    d = np.asarray(x, np.float64)
    shape = x.shape[x.ndim - op.axes:]
    if op.mode == "unit":
        ss = (d * d).sum(axes, keepdims=True)
        return np.asarray(d * np.minimum(1 / np.sqrt(ss), 1 / op.epsilon), f32)
    mean = d.mean(axes, keepdims=True)
    var = ((d - mean) ** 2).mean(axes, keepdims=True)
    y = (d - mean) / np.sqrt(var + op.epsilon) if op.mode == "layer" else d / np.sqrt(var + op.epsilon)
    if op.gamma is not None:
        y = y * f64(op.gamma).reshape(shape)
    if op.beta is not None:
        y = y + f64(op.beta).reshape(shape)
    return np.asarray(y, f32)


def _scale_shift(op: ScaleShiftOp, x: np.ndarray) -> np.ndarray:
    shape = [1] * x.ndim
    shape[op.axis] = -1
    return np.asarray(x * op.scale.array.reshape(shape) + op.shift.array.reshape(shape), f32)


# -- normalization -------------------------------------------------------------


@converter("BatchNormalization", mask=MaskRule.PASS)
def convert_batch_normalization(ctx: LayerContext) -> Converted:
    shape = ctx.single_input()
    axis = ctx.layer.config.get("axis", -1)
    if isinstance(axis, (list, tuple)):
        if len(axis) != 1:
            raise ConversionProblem(f"axis {axis!r} is not supported; only a single axis")
        axis = axis[0]
    k = axis_index(axis, len(shape))
    n = shape[k]
    if n is None:
        raise ConversionProblem("normalizing along the variable timestep axis is not supported")
    center = ctx.get_bool("center", True)
    scale = ctx.get_bool("scale", True)
    eps = ctx.get_float("epsilon", 1e-3)
    specs = ([("gamma", (n,))] if scale else []) + ([("beta", (n,))] if center else []) \
        + [("moving_mean", (n,)), ("moving_variance", (n,))]
    stored = ctx.weights(specs)
    w = list(stored)
    gamma = w.pop(0).array if scale else None
    beta = w.pop(0).array if center else None
    mean, var = w[0].array, w[1].array
    # tf.nn.batch_normalization: inv = rsqrt(var + eps) * gamma; y = x * inv + (beta - mean * inv)
    f32 = np.float32
    with np.errstate(all="ignore"):
        inv = (f32(1) / np.sqrt(var + f32(eps))).astype(f32)
        if gamma is not None:
            inv = (inv * gamma).astype(f32)
        shift = (-(mean * inv)).astype(f32) if beta is None else (beta - mean * inv).astype(f32)
    src = "derived from " + ", ".join(f"{x.role} {x.source}" for x in stored)
    return Converted(ScaleShiftOp(k, WeightTensor("scale = gamma*rsqrt(var+eps)", src, inv),
                                  WeightTensor("shift = beta - mean*scale", src, shift)), (shape,))


@converter("LayerNormalization", mask=MaskRule.PASS)
def convert_layer_normalization(ctx: LayerContext) -> Converted:
    """Over trailing axes the row kernel (``Normalize``); over any other axes
    ``NormalizeAxes``, gamma and beta along the normalized axes (Keras reshapes them so)."""
    shape = ctx.single_input()
    axes = _axes(ctx, shape, -1)
    dims = _fixed(shape, axes, "normalizing")
    rms = ctx.get_bool("rms_scaling", False)
    scale = ctx.get_bool("scale", True) or rms      # Keras: gamma if scale or rms_scaling
    center = ctx.get_bool("center", True) and not rms
    eps = ctx.get_float("epsilon", 1e-3)
    w = list(ctx.weights(([("gamma", dims)] if scale else []) + ([("beta", dims)] if center else [])))
    gamma = w.pop(0) if scale else None
    beta = w.pop(0) if center else None
    if _is_trailing(shape, axes):
        return Converted(NormalizeOp("rms" if rms else "layer", len(axes), eps, gamma, beta), (shape,))
    return Converted(AxesNormalizeOp("rms_var" if rms else "layer", tuple(shape), axes, axes, eps, gamma, beta),
                     (shape,))


@converter("UnitNormalization", mask=MaskRule.PASS)
def convert_unit_normalization(ctx: LayerContext) -> Converted:
    shape = ctx.single_input()
    axes = _axes(ctx, shape, -1)
    ctx.weights([])
    if _is_trailing(shape, axes) and all(shape[a] is not None for a in axes):
        return Converted(NormalizeOp("unit", len(axes), 1e-12), (shape,))
    return Converted(AxesNormalizeOp("unit", tuple(shape), axes, (), 1e-12), (shape,))


# -- normalization over any axes ----------------------------------------------------------

#: AxesNormalizeOp modes -> runtime NormalizeAxes constants
AXES_MODES = {"layer": "LAYER", "rms_var": "RMS_VAR", "rms": "RMS", "unit": "UNIT"}


@register_op
@dataclass(frozen=True)
class AxesNormalizeOp(Op):
    """Normalization over any set of axes, with parameters along any axes.

    ``dims`` is the tensor's shape as the op sees it (GroupNormalization splits the
    channel axis into (groups, channels per group)); the first axis may be the
    variable one (None).  The axes in ``reduced`` are normalized together, one group
    per position along the others; ``param_axes`` are the axes gamma and beta run
    along (row-major over them).  Modes, in Keras' order of operations:
    ``layer`` (``ops.layer_normalization``, GroupNormalization), ``rms_var``
    (LayerNormalization(rms_scaling=True): the variance, mean subtracted), ``rms``
    (RMSNormalization: the mean of squares) and ``unit`` (UnitNormalization).
    """

    mode: str
    dims: tuple[Optional[int], ...]
    reduced: tuple[int, ...]
    param_axes: tuple[int, ...]
    epsilon: float
    gamma: Optional[WeightTensor] = None
    beta: Optional[WeightTensor] = None
    kind: ClassVar[str] = "normalize_axes"
    runtime: ClassVar[tuple[str, ...]] = ("NormalizeAxes", "Check")

    def stream_outputs(self, rank):
        return (0,) if self.dims and self.dims[0] is None and 0 not in self.reduced else None

    def _strides(self, axes: tuple[int, ...]) -> tuple[int, ...]:
        """Per axis, its stride in the row-major index over ``axes`` (0 for the other axes)."""
        out = [0] * len(self.dims)
        stride = 1
        for a in sorted(axes, reverse=True):
            out[a] = stride
            stride *= self.dims[a] if self.dims[a] is not None else 1
        return tuple(out)

    def evaluate(self, inputs):
        x = np.asarray(inputs[0], np.float64)
        dims = tuple(x.shape[0] if d is None else d for d in self.dims)
        d = x.reshape(dims)
        axes = self.reduced
        if self.mode == "unit":
            ss = (d * d).sum(axes, keepdims=True)
            y = d * np.minimum(1 / np.sqrt(ss), 1 / self.epsilon)
        elif self.mode == "rms":
            y = d / np.sqrt((d * d).mean(axes, keepdims=True) + self.epsilon)
        else:
            mean = d.mean(axes, keepdims=True)
            var = ((d - mean) ** 2).mean(axes, keepdims=True)
            y = (d - mean if self.mode == "layer" else d) / np.sqrt(var + self.epsilon)
        shape = [d if a in self.param_axes else 1 for a, d in enumerate(dims)]
        if self.gamma is not None:
            y = y * f64(self.gamma).reshape(shape)
        if self.beta is not None:
            y = y + f64(self.beta).reshape(shape)
        return [np.asarray(y.reshape(x.shape), f32)]

    def view(self, node, ctx: ViewContext) -> CallView:
        x = ctx.ins[0]
        group_axes = tuple(a for a in range(len(self.dims)) if a not in self.reduced)
        dims = tuple(-1 if d is None else d for d in self.dims)
        init = New("NormalizeAxes", (Var("data"), Const("NormalizeAxes", AXES_MODES[self.mode]), Ints(dims),
                                     Ints(self._strides(group_axes)), Ints(self._strides(self.param_axes)),
                                     float(self.epsilon), ctx.offset(self.gamma), ctx.offset(self.beta)))
        lead = x.step_count() if self.dims and self.dims[0] is None else (self.dims[0] if self.dims else 1)
        return CallView(ctx.field, comment(node), ctx.out_bufs(), "forward", (Var(x.var), lead, Var(ctx.outs[0].var)),
                        cls="NormalizeAxes", init=init)


def _axes(ctx: LayerContext, shape: Shape, default: Any) -> tuple[int, ...]:
    """The sorted indices (into the shape without batch) the ``axis`` option names."""
    axis = ctx.layer.config.get("axis", default)
    axes = list(axis) if isinstance(axis, (list, tuple)) else [axis]
    if not axes:
        raise ConversionProblem("axis is empty")
    return tuple(sorted({axis_index(a, len(shape)) for a in axes}))


def _fixed(shape: Shape, axes: tuple[int, ...], why: str) -> tuple[int, ...]:
    if any(shape[a] is None for a in axes):
        raise ConversionProblem(f"{why} along the variable timestep axis is not supported")
    return tuple(int(shape[a]) for a in axes)  # type: ignore[arg-type]


def _is_trailing(shape: Shape, axes: tuple[int, ...]) -> bool:
    return list(axes) == list(range(len(shape) - len(axes), len(shape)))


@converter("RMSNormalization", mask=MaskRule.DROP)
def convert_rms_normalization(ctx: LayerContext) -> Converted:
    """Keras 3 ``RMSNormalization``: ``x * rsqrt(mean(x^2 over axis) + epsilon) * scale``;
    ``scale`` (shaped like the axes) multiplies with numpy broadcasting, i.e. along the
    trailing axes, as ``ops.rms_normalization`` does."""
    shape = ctx.single_input()
    axes = _axes(ctx, shape, -1)
    dims = _fixed(shape, axes, "normalizing")
    eps = ctx.get_float("epsilon", 1e-6)
    (scale,) = ctx.weights([("scale", dims)])
    trailing = tuple(range(len(shape) - len(dims), len(shape)))
    if len(dims) > len(shape) or any(shape[a] != d for a, d in zip(trailing, dims)):
        raise ConversionProblem(f"scale of shape {dims} does not broadcast along the trailing axes of the "
                                f"input; Keras' ops.rms_normalization fails on it")
    return Converted(AxesNormalizeOp("rms", tuple(shape), axes, trailing, eps, scale), (shape,))


@converter("GroupNormalization", mask=MaskRule.PASS, keras2_mask=MaskRule.REFUSE)
def convert_group_normalization(ctx: LayerContext) -> Converted:
    """``GroupNormalization``: the channel axis split into ``groups`` groups, each
    normalized over its channels and every other axis; gamma and beta per channel.
    Keras 3 ignores a mask and passes it on.  tf-keras weights the moments by the mask
    broadcast to the input's shape (``tf.broadcast_to``): a (batch, timesteps) mask
    aligns with the last axes, the channels, so it only builds where those sizes agree
    and then weights channels by timestep (of other samples of the batch): refused."""
    shape = ctx.single_input()
    axis = ctx.layer.config.get("axis", -1)
    if isinstance(axis, (list, tuple)):
        if len(axis) != 1:
            raise ConversionProblem(f"axis {axis!r} is not supported; GroupNormalization takes one axis")
        axis = axis[0]
    k = axis_index(axis, len(shape))
    (c,) = _fixed(shape, (k,), "grouping")
    groups = ctx.get_int("groups", 32)
    groups = c if groups == -1 else groups
    if groups < 1 or c % groups:
        raise ConversionProblem(f"groups={groups} does not divide the {c} channels")
    center, scale = ctx.get_bool("center", True), ctx.get_bool("scale", True)
    w = list(ctx.weights(([("gamma", (c,))] if scale else []) + ([("beta", (c,))] if center else [])))
    gamma = w.pop(0) if scale else None
    beta = w.pop(0) if center else None
    dims = tuple(shape[:k]) + (groups, c // groups) + tuple(shape[k + 1:])
    reduced = tuple(a for a in range(len(dims)) if a != k)
    op = AxesNormalizeOp("layer", dims, reduced, (k, k + 1), ctx.get_float("epsilon", 1e-3), gamma, beta)
    return Converted(op, (shape,))
