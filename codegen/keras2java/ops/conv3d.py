"""Convolutions on volumes ``(depth, height, width, channels)``: Conv3D and
Conv3DTranspose, and the shape helpers the other 3-D layers share
(:mod:`.pool3d`, :mod:`.conv_lstm3d`).

As the 2-D image ops (:mod:`.conv2d`), every op here accepts leading axes
before ``(depth, height, width, channels)`` and treats them as a row of
independent volumes (the ``per_frame`` trait), so ``TimeDistributed`` over
``(frames, depth, height, width, channels)`` is the op on the whole tensor;
without leading axes the depth may be variable.  ``channels_first`` layers
become the op between two Permute ops.  Semantics follow Keras 3.15's
TensorFlow backend (``keras/src/layers/convolutional/base_conv.py``,
``base_conv_transpose.py``) and tf-keras 2.x, which agree for these layers.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar, Optional

import numpy as np

from ..ir import Activation, Shape, WeightTensor, format_shape
from .base import ConversionProblem, Op, converter, f64, register_op
from .context import Composite, Converted, LayerContext, Step
from .conv import conv_output
from .conv2d import BLOCK_PIXELS, _each_image, _pad_before, _padding, _size, channels_first
from .conv_transpose import _transpose_size
from .shape import PermuteOp
from .view import Act, Call, CallView, Const, New, Var, ViewContext, comment, dim_size

f32 = np.float32
Triple = tuple[int, int, int]


# -- shared 3-D helpers ----------------------------------------------------------------------

def tuple3(ctx: LayerContext, key: str, default: Any, minimum: int = 1) -> Triple:
    """A 3-D size option: an int (every axis) or three ints."""
    v = ctx.layer.config.get(key, default)
    if v is None:
        v = default
    if isinstance(v, int) and not isinstance(v, bool):
        v = (v, v, v)
    if (not isinstance(v, (list, tuple)) or len(v) != 3
            or not all(isinstance(d, int) and not isinstance(d, bool) and d >= minimum for d in v)):
        raise ConversionProblem(f"config {key!r} is {v!r}, expected an integer >= {minimum} or three of them")
    return int(v[0]), int(v[1]), int(v[2])


def volume_shape(ctx: LayerContext, first: bool) -> tuple[Optional[int], int, int, int]:
    """(depth, height, width, channels) of the single rank-4 input; the depth may be
    variable (channels_last only), the other axes must be known."""
    shape = ctx.single_input()
    if len(shape) != 4:
        raise ConversionProblem(f"input has shape {format_shape(shape)}, expected (depth, height, width, channels) "
                                f"without batch")
    if first:
        if any(d is None for d in shape):
            raise ConversionProblem(f"channels_first input {format_shape(shape)} needs a fixed shape")
        c, d, h, w = shape
    else:
        d, h, w, c = shape
    if h is None or w is None or c is None:
        raise ConversionProblem(f"input shape {format_shape(shape)} has a variable height, width or channel count; "
                                f"only the depth may vary")
    return d, int(h), int(w), int(c)


def build3(ctx: LayerContext, op: Op, out: Shape, first: bool):
    """The op, or for channels_first the op between two transposes."""
    if not first:
        return Converted(op, (out,))
    c, d, h, w = ctx.input_shapes[0]
    od, oh, ow, oc = out
    return Composite((Step(PermuteOp((1, 2, 3, 0)), (0,), ((d, h, w, c),)), Step(op, (1,), (out,)),
                      Step(PermuteOp((3, 0, 1, 2)), (2,), ((oc, od, oh, ow),))), (3,))


def volumes(ctx: ViewContext):
    """(number of volumes, input depth) of the node's first input, as view values."""
    x = ctx.ins[0]
    lead = x.shape[:-4]
    if lead:
        return dim_size(lead, x.steps), x.shape[-4]
    return 1, x.step_count()


def out_depth(ctx: ViewContext, value: Any):
    """(output depth value, steps variable, its value): declares the variable axis when there is one."""
    x, o = ctx.ins[0], ctx.outs[0]
    if o.shape[0] is not None:
        return o.shape[-4], "", None
    if len(o.shape) > 4:   # frames: the same number as the input's
        return o.shape[-4], o.steps, Var(x.steps)  # type: ignore[arg-type]
    return Var(o.steps), o.steps, value  # type: ignore[arg-type]


class VolumeOp(Op):
    """The 3-D ops: per frame on a row of frames, streaming one frame per step."""

    per_frame: ClassVar[bool] = True

    def stream_outputs(self, rank):
        return (0,) if rank > 4 else None

    def evaluate(self, inputs):
        return [_each_image(inputs[0], self.one, 3)]

    def one(self, x: np.ndarray) -> np.ndarray:
        """The numpy reference on one volume."""
        raise NotImplementedError


def _span(k: Triple, d: Triple) -> Triple:
    return tuple(di * (ki - 1) + 1 for ki, di in zip(k, d))  # type: ignore[return-value]


def _padded(x: np.ndarray, out: Triple, span: Triple, strides: Triple, padding: str) -> np.ndarray:
    """``x`` in a zero frame wide enough for every window of a convolution, TensorFlow's padding before."""
    before = [_pad_before(n, o, sp, s, padding) for n, o, sp, s in zip(x.shape[:3], out, span, strides)]
    return np.pad(np.asarray(x, np.float64), [(b, 2 * sp + b) for b, sp in zip(before, span)] + [(0, 0)])


# -- ops ---------------------------------------------------------------------------------------

@register_op
@dataclass(frozen=True)
class Conv3DOp(VolumeOp):
    """Conv3D.  ``kernel`` holds ``groups`` matrices of ``(kd * kh * kw * in / groups,
    filters / groups)``, each the rows of Keras' ``(kd, kh, kw, in / groups, filters)``
    kernel for that group's filters."""

    filters: int
    kernel_size: Triple
    strides: Triple
    dilation: Triple
    padding: str
    groups: int
    in_channels: int
    activation: Activation
    kernel: WeightTensor
    bias: Optional[WeightTensor]
    kind: ClassVar[str] = "conv3d"
    runtime: ClassVar[tuple[str, ...]] = ("Conv3D", "FrameConv", "Conv2D", "Linear", "Activation", "Check")
    time_changing: ClassVar[bool] = True

    def one(self, x):
        k, s, dil = self.kernel_size, self.strides, self.dilation
        span = _span(k, dil)
        out = tuple(_size(n, sp, st, self.padding) for n, sp, st in zip(x.shape[:3], span, s))
        xp = _padded(x, out, span, s, self.padding)   # type: ignore[arg-type]
        g, in_g, f_g = self.groups, x.shape[3] // self.groups, self.filters // self.groups
        K = f64(self.kernel).reshape(g, k[0], k[1], k[2], in_g, f_g)
        y = np.zeros(out + (self.filters,))
        for a in range(k[0]):
            for i in range(k[1]):
                for j in range(k[2]):
                    lo = (a * dil[0], i * dil[1], j * dil[2])
                    patch = xp[tuple(slice(b, b + (o - 1) * st + 1, st) for b, o, st in zip(lo, out, s))]
                    for gi in range(g):
                        y[..., gi * f_g:(gi + 1) * f_g] += patch[..., gi * in_g:(gi + 1) * in_g] @ K[gi, a, i, j]
        return conv_output(y, self.bias, self.activation)

    def view(self, node, ctx: ViewContext) -> CallView:
        x, o = ctx.ins[0], ctx.outs[0]
        n, d = volumes(ctx)
        (kd, kh, kw), (sd, sh, sw), (dd, dh, dw) = self.kernel_size, self.strides, self.dilation
        pad = Const("Conv3D", self.padding.upper())
        out_d, var, value = out_depth(ctx, Call("Conv2D", "outSize", (d, kd, sd, dd, pad, node.layer_name)))
        out_h, out_w = o.shape[-3], o.shape[-2]
        rows = out_h if o.shape[-4] is None else out_h * o.shape[-4]
        block = min(max(1, -(-BLOCK_PIXELS // out_w)), rows)
        init = New("Conv3D", (Var("data"), ctx.offset(self.kernel), ctx.offset(self.bias), kd, kh, kw,
                              self.in_channels, x.shape[-3], x.shape[-2], self.filters, sd, sh, sw, dd, dh, dw, pad,
                              self.groups, block, Act(self.activation)))
        ws = Call("Conv3D", "workspaceSize", (block, out_w, kd, kh, kw, self.in_channels, self.filters, self.groups))
        return CallView(ctx.field, comment(node), ctx.out_bufs(), "forward",
                        (Var(x.var), n, d, Var(o.var), out_d, Var("ws")), cls="Conv3D", init=init,
                        steps_var=var, steps_value=value, workspace_size=ws)


@register_op
@dataclass(frozen=True)
class ConvTranspose3DOp(VolumeOp):
    """Conv3DTranspose.  ``kernel`` is the ``(in, kd * kh * kw * filters)`` matrix: Keras'
    ``(kd, kh, kw, filters, in)`` kernel with the input channels first.  ``output_padding``
    is None or one amount per axis."""

    filters: int
    kernel_size: Triple
    strides: Triple
    dilation: Triple
    padding: str
    output_padding: Optional[Triple]
    in_channels: int
    activation: Activation
    kernel: WeightTensor
    bias: Optional[WeightTensor]
    kind: ClassVar[str] = "conv3d_transpose"
    runtime: ClassVar[tuple[str, ...]] = ("ConvTranspose3D", "ConvTranspose", "Linear", "Activation", "Check")
    time_changing: ClassVar[bool] = True

    def out_size(self, n: Optional[int], axis: int) -> Optional[int]:
        op = None if self.output_padding is None else self.output_padding[axis]
        return _transpose_size(n, self.kernel_size[axis], self.strides[axis], self.dilation[axis], self.padding, op)

    def one(self, x):
        k, s, dil = self.kernel_size, self.strides, self.dilation
        span = _span(k, dil)
        out = tuple(self.out_size(n, a) for a, n in enumerate(x.shape[:3]))
        before = [max((n - 1) * st + sp - o, 0) // 2 if self.padding == "same" else 0
                  for n, st, sp, o in zip(x.shape[:3], s, span, out)]
        # every tap of every input voxel, added into a frame wide enough for all of them
        full = [(n - 1) * st + sp for n, st, sp in zip(x.shape[:3], s, span)]
        y = np.zeros(tuple(max(f, b + o) for f, b, o in zip(full, before, out)) + (self.filters,))
        K = f64(self.kernel).reshape(x.shape[3], k[0], k[1], k[2], self.filters)
        xd = np.asarray(x, np.float64)
        for a in range(k[0]):
            for i in range(k[1]):
                for j in range(k[2]):
                    lo = (a * dil[0], i * dil[1], j * dil[2])
                    y[tuple(slice(b, b + (n - 1) * st + 1, st) for b, n, st in zip(lo, x.shape[:3], s))] += (
                        xd @ K[:, a, i, j])
        y = y[before[0]:before[0] + out[0], before[1]:before[1] + out[1], before[2]:before[2] + out[2]]
        return conv_output(y, self.bias, self.activation)

    def view(self, node, ctx: ViewContext) -> CallView:
        x, o = ctx.ins[0], ctx.outs[0]
        n, d = volumes(ctx)
        (kd, kh, kw), (sd, sh, sw), (dd, dh, dw) = self.kernel_size, self.strides, self.dilation
        pad = Const("ConvTranspose", self.padding.upper())
        op_d = -1 if self.output_padding is None else self.output_padding[0]
        out_d, var, value = out_depth(ctx, Call("ConvTranspose", "outSize", (d, kd, sd, dd, pad, op_d)))
        h, w = x.shape[-3], x.shape[-2]
        rows = h if x.shape[-4] is None else h * x.shape[-4]
        block = min(max(1, -(-BLOCK_PIXELS // w)), rows)
        init = New("ConvTranspose3D", (Var("data"), ctx.offset(self.kernel), ctx.offset(self.bias), kd, kh, kw,
                                       self.in_channels, h, w, o.shape[-3], o.shape[-2], self.filters, sd, sh, sw,
                                       dd, dh, dw, pad, block, Act(self.activation)))
        ws = Call("ConvTranspose3D", "workspaceSize", (block, w, kd, kh, kw, self.filters))
        return CallView(ctx.field, comment(node), ctx.out_bufs(), "forward",
                        (Var(x.var), n, d, Var(o.var), out_d, Var("ws")), cls="ConvTranspose3D", init=init,
                        steps_var=var, steps_value=value, workspace_size=ws)


# -- converters ----------------------------------------------------------------------------------

def _grouped_kernel(w: WeightTensor, groups: int) -> WeightTensor:
    """Keras' ``(kd, kh, kw, in/groups, filters)`` kernel as ``groups`` contiguous
    ``(kd*kh*kw*in/groups, filters/groups)`` matrices."""
    a = np.asarray(w.array, f32)
    f = a.shape[-1]
    rows = a.size // f
    if groups == 1:
        return WeightTensor(w.role, w.source, a.reshape(rows, f))
    g = a.reshape(rows, groups, f // groups).transpose(1, 0, 2)
    return WeightTensor(w.role + " (per group)", w.source, np.ascontiguousarray(g).reshape(-1, f // groups))


def _geometry(ctx: LayerContext):
    first = channels_first(ctx)
    d, h, w, c = volume_shape(ctx, first)
    k = tuple3(ctx, "kernel_size", None)
    strides = tuple3(ctx, "strides", 1)
    dilation = tuple3(ctx, "dilation_rate", 1)
    padding = _padding(ctx)
    if max(strides) > 1 and max(dilation) > 1:
        raise ConversionProblem("strides > 1 together with dilation_rate > 1 is not supported (Keras refuses it too)")
    return first, (d, h, w), c, k, strides, dilation, padding


@converter("Conv3D")
def convert_conv3d(ctx: LayerContext):
    first, dims, c, k, strides, dilation, padding = _geometry(ctx)
    span = _span(k, dilation)
    if padding == "valid" and any(n is not None and n < sp for n, sp in zip(dims, span)):
        raise ConversionProblem(f"input {dims} is smaller than the kernel's span {span}")
    filters = ctx.get_int("filters", minimum=1)
    groups = ctx.get_int("groups", 1, minimum=1)
    if c % groups or filters % groups:
        raise ConversionProblem(f"groups={groups} must divide the input channels ({c}) and filters ({filters})")
    use_bias = ctx.get_bool("use_bias", True)
    act = ctx.activation("activation")
    wts = ctx.weights([("kernel", k + (c // groups, filters))] + ([("bias", (filters,))] if use_bias else []))
    op = Conv3DOp(filters, k, strides, dilation, padding, groups, c, act, _grouped_kernel(wts[0], groups),
                  wts[1] if use_bias else None)
    out = tuple(_size(n, sp, s, padding) for n, sp, s in zip(dims, span, strides)) + (filters,)
    return build3(ctx, op, out, first)


def _output_padding(ctx: LayerContext) -> Optional[Triple]:
    if ctx.layer.config.get("output_padding") is None:
        return None
    return tuple3(ctx, "output_padding", None, minimum=0)


@converter("Conv3DTranspose")
def convert_conv3d_transpose(ctx: LayerContext):
    first, dims, c, k, strides, dilation, padding = _geometry(ctx)
    out_pad = _output_padding(ctx)
    if out_pad is not None and any(p >= s for p, s in zip(out_pad, strides)):
        raise ConversionProblem(f"output_padding {out_pad} must be smaller than the strides {strides} "
                                "(Keras refuses it too)")
    filters = ctx.get_int("filters", minimum=1)
    use_bias = ctx.get_bool("use_bias", True)
    act = ctx.activation("activation")
    wts = ctx.weights([("kernel", k + (filters, c))] + ([("bias", (filters,))] if use_bias else []))
    a = np.asarray(wts[0].array, f32)
    kernel = WeightTensor(wts[0].role + " (input channels first)", wts[0].source,
                          np.ascontiguousarray(a.transpose(4, 0, 1, 2, 3)).reshape(c, -1))
    op = ConvTranspose3DOp(filters, k, strides, dilation, padding, out_pad, c, act, kernel,
                           wts[1] if use_bias else None)
    out = tuple(op.out_size(n, a) for a, n in enumerate(dims)) + (filters,)
    return build3(ctx, op, out, first)
