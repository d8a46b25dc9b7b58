"""Normalization: BatchNormalization (at inference a per-channel scale and
shift), LayerNormalization (also RMS) and UnitNormalization."""
from __future__ import annotations

from dataclasses import dataclass
from math import prod
from typing import Any, ClassVar, Optional

import numpy as np

from ..ir import Shape, WeightTensor
from .base import ConversionProblem, MaskRule, Op, converter, f64, register_op
from .context import Converted, LayerContext, axis_index
from .view import CallView, Const, New, Var, ViewContext, comment, dim_size

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

    def stream_outputs(self, rank):
        return (0,) if self.axis > 0 and rank >= 2 else None

    def evaluate(self, inputs):
        x = inputs[0]
        shape = [1] * x.ndim
        shape[self.axis] = -1
        return [np.asarray(x * self.scale.array.reshape(shape) + self.shift.array.reshape(shape), f32)]

    def view(self, node, ctx: ViewContext) -> CallView:
        x = ctx.ins[0]
        k = self.axis
        outer = dim_size(x.shape[:k], x.steps) if k > 0 else 1
        inner = prod(x.shape[k + 1:])   # the converter keeps the variable axis out of it
        return CallView(ctx.field, comment(node), ctx.out_bufs(), "forward",
                        (Var(x.var), outer, inner, Var(ctx.outs[0].var)), cls="ScaleShift",
                        init=New("ScaleShift", (Var("data"), ctx.offset(self.scale), ctx.offset(self.shift),
                                                x.shape[k])))


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

    def stream_outputs(self, rank):
        return (0,) if self.axes < rank else None

    def evaluate(self, inputs):
        return [_normalize(self, inputs[0])]

    def view(self, node, ctx: ViewContext) -> CallView:
        x = ctx.ins[0]
        lead = len(x.shape) - self.axes
        rows = dim_size(x.shape[:lead], x.steps) if lead > 0 else 1
        init = New("Normalize", (Var("data"), Const("Normalize", self.mode.upper()), prod(x.shape[lead:]),
                                 float(self.epsilon), ctx.offset(self.gamma), ctx.offset(self.beta)))
        return CallView(ctx.field, comment(node), ctx.out_bufs(), "forward", (Var(x.var), rows, Var(ctx.outs[0].var)),
                        cls="Normalize", init=init)


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


def _trailing_axes(ctx: LayerContext, shape: Shape, default: Any) -> int:
    """How many trailing axes the ``axis`` option names (they must be trailing and contiguous)."""
    axis = ctx.layer.config.get("axis", default)
    axes = list(axis) if isinstance(axis, (list, tuple)) else [axis]
    if not axes:
        raise ConversionProblem("axis is empty")
    idx = sorted({axis_index(a, len(shape)) for a in axes})
    if idx != list(range(len(shape) - len(idx), len(shape))):
        raise ConversionProblem(f"axis {axis!r} is not supported; only the last axis or several trailing axes")
    if any(shape[i] is None for i in idx):
        raise ConversionProblem("normalizing along the variable timestep axis is not supported")
    return len(idx)


@converter("LayerNormalization", mask=MaskRule.PASS)
def convert_layer_normalization(ctx: LayerContext) -> Converted:
    shape = ctx.single_input()
    n_axes = _trailing_axes(ctx, shape, -1)
    dims = tuple(int(d) for d in shape[len(shape) - n_axes:])  # type: ignore[arg-type]
    rms = ctx.get_bool("rms_scaling", False)
    scale = ctx.get_bool("scale", True) or rms      # Keras: gamma if scale or rms_scaling
    center = ctx.get_bool("center", True) and not rms
    eps = ctx.get_float("epsilon", 1e-3)
    w = list(ctx.weights(([("gamma", dims)] if scale else []) + ([("beta", dims)] if center else [])))
    gamma = w.pop(0) if scale else None
    beta = w.pop(0) if center else None
    return Converted(NormalizeOp("rms" if rms else "layer", n_axes, eps, gamma, beta), (shape,))


@converter("UnitNormalization", mask=MaskRule.PASS)
def convert_unit_normalization(ctx: LayerContext) -> Converted:
    shape = ctx.single_input()
    n_axes = _trailing_axes(ctx, shape, -1)
    ctx.weights([])
    return Converted(NormalizeOp("unit", n_axes, 1e-12), (shape,))
