"""Convolution and pooling on sequences ``(steps, channels)``: Conv1D,
DepthwiseConv1D, SeparableConv1D, MaxPooling1D, AveragePooling1D and the
global poolings.

Semantics follow Keras 3.15's TensorFlow backend (``keras/src/layers/...``,
``keras/src/ops/nn.py``) and tf-keras 2.x, which agree for these layers.
Ops that change the number of timesteps declare a local ``s<k>`` holding their
output length when it is only known at run time.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from typing import ClassVar, Optional

import numpy as np

from ..activations import evaluate as activate
from ..ir import Activation, WeightTensor
from .base import ConversionProblem, MaskRule, Op, converter, f64, register_op
from .context import Converted, LayerContext
from .shape_rules import channels_last, int1, out_steps, sequence_input
from .view import BATCH, Act, Call, CallView, Const, New, Times, Var, ViewContext, batched_images, comment

f32 = np.float32
CONV_PADDINGS = ("valid", "same", "causal")


def _out_steps(ctx: ViewContext, value) -> tuple:
    """(output timesteps, (variable, value) to declare it when only known at run time)."""
    o = ctx.outs[0]
    if o.shape and o.shape[0] is None:
        return Var(o.steps), o.steps, value  # type: ignore[arg-type]
    return o.shape[0], "", None


@register_op
@dataclass(frozen=True)
class Conv1DOp(Op):
    """Keras Conv1D / DepthwiseConv1D / SeparableConv1D on ``(steps, channels)``.

    ``kernel`` is ``(kernel_size, in_channels // groups, out)`` as Keras stores
    Conv1D kernels; a DepthwiseConv1D becomes a grouped convolution with
    ``groups = in_channels`` (output channel ``c * multiplier + m``, as
    TensorFlow orders them).  ``pointwise`` (SeparableConv1D only) is the
    ``(in * multiplier, filters)`` matrix applied after the depthwise step;
    the bias and the activation come last.
    """

    filters: int                # output channels of the (depthwise) convolution
    kernel_size: int
    strides: int
    dilation: int
    padding: str                # "valid", "same" or "causal"
    groups: int
    activation: Activation
    kernel: WeightTensor
    bias: Optional[WeightTensor]
    pointwise: Optional[WeightTensor] = None
    kind: ClassVar[str] = "conv1d"
    runtime: ClassVar[tuple[str, ...]] = ("Conv1D", "Activation", "Check")
    time_changing: ClassVar[bool] = True

    @property
    def out_channels(self) -> int:
        return int(self.pointwise.shape[1]) if self.pointwise is not None else self.filters

    def evaluate(self, inputs):
        return [_conv1d(self, inputs[0])]

    def view(self, node, ctx: ViewContext) -> CallView:
        x = ctx.ins[0]
        steps = x.step_count()
        pad = Const("Conv1D", self.padding.upper())
        n_out, var, value = _out_steps(ctx, Call("Conv1D", "outSteps", (steps, self.kernel_size, self.strides,
                                                                         self.dilation, pad, node.layer_name)))
        init = New("Conv1D", (Var("data"), ctx.offset(self.kernel), ctx.offset(self.bias), ctx.offset(self.pointwise),
                              self.kernel_size, x.shape[-1], self.filters, self.out_channels, self.strides,
                              self.dilation, pad, self.groups, Act(self.activation)))
        return CallView(ctx.field, comment(node), ctx.out_bufs(), "forward",
                        (Var(x.var), steps, Var(ctx.outs[0].var), n_out, Var("ws"), 0), cls="Conv1D", init=init,
                        steps_var=var, steps_value=value, workspace=(n_out,))

    def batch_view(self, node, ctx: ViewContext) -> CallView:
        # forwardBatch(x, nb, steps, ...): every sequence's windows are rows of one matrix product
        v = batched_images(self.view(node, ctx), None, method="forwardBatch")
        return replace(v, args=(v.args[0], Var(BATCH)) + v.args[1:], workspace=(Times(BATCH, v.workspace[0]),))


@register_op
@dataclass(frozen=True)
class Pool1DOp(Op):
    """MaxPooling1D / AveragePooling1D (average excludes padding, as TensorFlow does)."""

    mode: str                   # "max" or "avg"
    pool_size: int
    strides: int
    padding: str                # "valid" or "same"
    kind: ClassVar[str] = "pool1d"
    runtime: ClassVar[tuple[str, ...]] = ("Pool1D", "Check")
    time_changing: ClassVar[bool] = True

    def evaluate(self, inputs):
        return [_pool1d(self, inputs[0])]

    def view(self, node, ctx: ViewContext) -> CallView:
        x = ctx.ins[0]
        steps = x.step_count()
        same = self.padding == "same"
        n_out, var, value = _out_steps(ctx, Call("Pool1D", "outSteps", (steps, self.pool_size, self.strides, same,
                                                                         node.layer_name)))
        return CallView(ctx.field, comment(node), ctx.out_bufs(), "pool",
                        (Const("Pool1D", self.mode.upper()), Var(x.var), steps, x.shape[-1], self.pool_size,
                         self.strides, same, Var(ctx.outs[0].var), n_out),
                        static="Pool1D", steps_var=var, steps_value=value)

    def batch_view(self, node, ctx: ViewContext) -> CallView:
        v = batched_images(self.view(node, ctx), None, method="poolBatch")   # poolBatch(mode, x, nb, steps, ...)
        return replace(v, args=v.args[:2] + (Var(BATCH),) + v.args[2:])


@register_op
@dataclass(frozen=True)
class GlobalPool1DOp(Op):
    """GlobalMaxPooling1D / GlobalAveragePooling1D over the time axis.

    With ``masked`` the node's last input is the Keras mask and the average
    counts only unmasked steps (Keras: ``sum(where(mask, x, 0)) / sum(mask)``).
    """

    mode: str                   # "max" or "avg"
    keepdims: bool
    masked: bool = False
    kind: ClassVar[str] = "global_pool1d"
    runtime: ClassVar[tuple[str, ...]] = ("Pool1D", "Check")

    def reference_problem(self):
        return "the numpy reference does not implement masks as inputs" if self.masked else None

    def evaluate(self, inputs):
        x = inputs[0]
        y = x.max(0) if self.mode == "max" else np.asarray(x, np.float64).mean(0)
        y = np.asarray(y, f32)
        return [y[None, :] if self.keepdims else y]

    def view(self, node, ctx: ViewContext) -> CallView:
        x = ctx.ins[0]
        mask = Var(ctx.ins[1].var) if self.masked else None
        return CallView(ctx.field, comment(node), ctx.out_bufs(), "global",
                        (Const("Pool1D", self.mode.upper()), Var(x.var), x.step_count(), x.shape[-1], mask,
                         Var(ctx.outs[0].var)), static="Pool1D")

    def batch_view(self, node, ctx: ViewContext) -> Optional[CallView]:
        if self.masked:
            return None
        v = batched_images(self.view(node, ctx), None, method="globalBatch")
        # globalBatch(mode, x, nb, steps, channels, y): no mask argument
        return replace(v, args=v.args[:2] + (Var(BATCH),) + v.args[2:4] + v.args[5:])


# -- numpy reference -----------------------------------------------------------------------

def _conv1d(op: Conv1DOp, x: np.ndarray) -> np.ndarray:
    T, C = x.shape
    k, s, dil = op.kernel_size, op.strides, op.dilation
    span = dil * (k - 1) + 1
    if op.padding == "valid":
        out_t, pad = (T - span) // s + 1, 0
    else:
        out_t = -(-T // s)
        pad = span - 1 if op.padding == "causal" else max((out_t - 1) * s + span - T, 0) // 2
    K = f64(op.kernel)
    g, in_g, f_g = op.groups, C // op.groups, op.filters // op.groups
    y = np.zeros((out_t, op.filters))
    xd = np.asarray(x, np.float64)
    for t in range(out_t):
        for j in range(k):
            src = t * s - pad + j * dil
            if 0 <= src < T:
                for gi in range(g):
                    y[t, gi * f_g:(gi + 1) * f_g] += xd[src, gi * in_g:(gi + 1) * in_g] @ K[j, :, gi * f_g:(gi + 1) * f_g]
    return conv_output(y, op.bias, op.activation, op.pointwise)


def conv_output(y: np.ndarray, bias: Optional[WeightTensor], activation: Activation,
                pointwise: Optional[WeightTensor] = None) -> np.ndarray:
    """The end of a convolution (numpy reference): the pointwise matrix of a separable
    convolution if any, the bias if any, the activation."""
    if pointwise is not None:
        y = y @ f64(pointwise)
    if bias is not None:
        y = y + f64(bias)
    return activate(activation, y)


def _pool1d(op: Pool1DOp, x: np.ndarray) -> np.ndarray:
    T, C = x.shape
    p, s = op.pool_size, op.strides
    if op.padding == "valid":
        out_t, pad = (T - p) // s + 1, 0
    else:
        out_t = -(-T // s)
        pad = max((out_t - 1) * s + p - T, 0) // 2
    y = np.zeros((out_t, C), f32)
    for t in range(out_t):
        lo, hi = max(t * s - pad, 0), min(t * s - pad + p, T)
        win = np.asarray(x[lo:hi], np.float64)
        y[t] = win.max(axis=0) if op.mode == "max" else win.mean(axis=0)
    return y


# -- convolution ---------------------------------------------------------------


def _conv_common(ctx: LayerContext) -> tuple[Optional[int], int, int, int, int, str]:
    steps, channels = sequence_input(ctx)
    channels_last(ctx)
    k = int1(ctx, "kernel_size", None)
    strides = int1(ctx, "strides", 1)
    dilation = int1(ctx, "dilation_rate", 1)
    padding = ctx.get_str("padding", "valid").lower()
    if padding not in ("valid", "same", "causal"):
        raise ConversionProblem(f"padding={padding!r} is not supported; expected 'valid', 'same' or 'causal'")
    if strides > 1 and dilation > 1:
        raise ConversionProblem("strides > 1 together with dilation_rate > 1 is not supported (Keras refuses it too)")
    span = dilation * (k - 1) + 1
    if padding == "valid" and steps is not None and steps < span:
        raise ConversionProblem(f"input has {steps} timesteps, fewer than the kernel's span {span}")
    return steps, channels, k, strides, dilation, padding


@converter("Conv1D", mask=MaskRule.DROP)
def convert_conv1d(ctx: LayerContext) -> Converted:
    steps, channels, k, strides, dilation, padding = _conv_common(ctx)
    filters = ctx.get_int("filters", minimum=1)
    groups = ctx.get_int("groups", 1, minimum=1)
    if channels % groups or filters % groups:
        raise ConversionProblem(f"groups={groups} must divide the input channels ({channels}) and filters ({filters})")
    use_bias = ctx.get_bool("use_bias", True)
    act = ctx.activation("activation")
    w = ctx.weights([("kernel", (k, channels // groups, filters))] + ([("bias", (filters,))] if use_bias else []))
    op = Conv1DOp(filters, k, strides, dilation, padding, groups, act, w[0], w[1] if use_bias else None)
    return Converted(op, ((out_steps(steps, dilation * (k - 1) + 1, strides, padding), filters),))


def _depthwise_as_grouped(w: WeightTensor, channels: int, mult: int) -> WeightTensor:
    """(k, C, M) depthwise kernel -> (k, 1, C*M) grouped kernel; output c*M+m."""
    return WeightTensor(w.role, w.source, np.asarray(w.array).reshape(w.shape[0], 1, channels * mult))


@converter("DepthwiseConv1D", mask=MaskRule.DROP)
def convert_depthwise_conv1d(ctx: LayerContext) -> Converted:
    steps, channels, k, strides, dilation, padding = _conv_common(ctx)
    mult = ctx.get_int("depth_multiplier", 1, minimum=1)
    use_bias = ctx.get_bool("use_bias", True)
    act = ctx.activation("activation")
    w = ctx.weights([("depthwise_kernel", (k, channels, mult))]
                    + ([("bias", (channels * mult,))] if use_bias else []))
    op = Conv1DOp(channels * mult, k, strides, dilation, padding, channels, act,
                  _depthwise_as_grouped(w[0], channels, mult), w[1] if use_bias else None)
    return Converted(op, ((out_steps(steps, dilation * (k - 1) + 1, strides, padding), channels * mult),))


@converter("SeparableConv1D", mask=MaskRule.DROP)
def convert_separable_conv1d(ctx: LayerContext) -> Converted:
    steps, channels, k, strides, dilation, padding = _conv_common(ctx)
    mult = ctx.get_int("depth_multiplier", 1, minimum=1)
    filters = ctx.get_int("filters", minimum=1)
    use_bias = ctx.get_bool("use_bias", True)
    act = ctx.activation("activation")
    w = ctx.weights([("depthwise_kernel", (k, channels, mult)), ("pointwise_kernel", (1, channels * mult, filters))]
                    + ([("bias", (filters,))] if use_bias else []))
    pointwise = WeightTensor(w[1].role, w[1].source, np.asarray(w[1].array).reshape(channels * mult, filters))
    op = Conv1DOp(channels * mult, k, strides, dilation, padding, channels, act,
                  _depthwise_as_grouped(w[0], channels, mult), w[2] if use_bias else None, pointwise)
    return Converted(op, ((out_steps(steps, dilation * (k - 1) + 1, strides, padding), filters),))


# -- pooling -------------------------------------------------------------------


def _pool(ctx: LayerContext, mode: str) -> Converted:
    steps, channels = sequence_input(ctx)
    channels_last(ctx)
    size = int1(ctx, "pool_size", 2)
    strides = size if ctx.layer.config.get("strides") is None else int1(ctx, "strides", size)
    padding = ctx.get_str("padding", "valid").lower()
    if padding not in ("valid", "same"):
        raise ConversionProblem(f"padding={padding!r} is not supported; expected 'valid' or 'same'")
    if padding == "valid" and steps is not None and steps < size:
        raise ConversionProblem(f"input has {steps} timesteps, fewer than pool_size {size}")
    ctx.weights([])
    return Converted(Pool1DOp(mode, size, strides, padding), ((out_steps(steps, size, strides, padding), channels),))


@converter("MaxPooling1D", mask=MaskRule.DROP)
def convert_max_pooling1d(ctx: LayerContext) -> Converted:
    return _pool(ctx, "max")


@converter("AveragePooling1D", mask=MaskRule.DROP)
def convert_average_pooling1d(ctx: LayerContext) -> Converted:
    return _pool(ctx, "avg")


def _global_pool(ctx: LayerContext, mode: str) -> Converted:
    _, channels = sequence_input(ctx)
    channels_last(ctx)
    keepdims = ctx.get_bool("keepdims", False)
    ctx.weights([])
    masked = ctx.input_mask and mode == "avg"
    return Converted(GlobalPool1DOp(mode, keepdims, masked), (((1, channels) if keepdims else (channels,)),))


@converter("GlobalMaxPooling1D", mask=MaskRule.DROP)
def convert_global_max_pooling1d(ctx: LayerContext) -> Converted:
    return _global_pool(ctx, "max")


@converter("GlobalAveragePooling1D", mask=MaskRule.POOL)
def convert_global_average_pooling1d(ctx: LayerContext) -> Converted:
    return _global_pool(ctx, "avg")
