"""Transposed convolutions: Conv2DTranspose on images ``(height, width,
channels)``, and Conv1DTranspose on sequences ``(steps, channels)`` as an
image of width 1.  They share the image helpers of :mod:`.conv2d`
(``per_frame`` rows of images, ``channels_first`` between two Permute ops).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, Optional

import numpy as np

from ..ir import Activation, WeightTensor
from .base import ConversionProblem, MaskRule, Op, converter, f64, register_op
from .context import Converted, LayerContext
from .shape_rules import int1, sequence_input
from .conv import conv_output
from .conv2d import (BLOCK_PIXELS, VARIABLE_WIDTH_BLOCK, _build, _each_image, _frames_stream, _image_axes_problem,
                     _out_width, _padding, channels_first, image_shape, tuple2)
from .view import Act, Call, CallView, Const, New, Var, ViewContext, comment, dim_size

f32 = np.float32


# -- transposed convolutions -------------------------------------------------------------------

@register_op
@dataclass(frozen=True)
class ConvTransposeOp(Op):
    """Conv2DTranspose, and Conv1DTranspose as an image of width 1 (``rank=1``).

    ``kernel`` is the ``(in, kh * kw * filters)`` matrix: Keras' ``(kh, kw,
    filters, in)`` kernel with the input channels first.  ``output_padding``
    is None or one amount per axis.
    """

    rank: int
    filters: int
    kernel_size: tuple[int, int]
    strides: tuple[int, int]
    dilation: tuple[int, int]
    padding: str
    output_padding: Optional[tuple[int, int]]
    in_channels: int
    activation: Activation
    kernel: WeightTensor
    bias: Optional[WeightTensor]
    kind: ClassVar[str] = "conv_transpose"
    runtime: ClassVar[tuple[str, ...]] = ("ConvTranspose", "Linear", "Activation", "Check")
    time_changing: ClassVar[bool] = True
    per_frame: ClassVar[bool] = True

    def stream_outputs(self, rank):
        return _frames_stream(rank, self.rank + 1)

    def variable_axes_problem(self, shapes):
        """Conv2DTranspose: images of any size (as Conv2D); Conv1DTranspose: variable steps."""
        return _image_axes_problem(shapes) if self.rank == 2 else super().variable_axes_problem(shapes)

    def _image(self, x: np.ndarray) -> np.ndarray:
        return x[:, None, :] if self.rank == 1 else x

    def evaluate(self, inputs):
        def one(im):
            y = _conv_transpose(self, self._image(im))
            return y[:, 0, :] if self.rank == 1 else y
        return [_each_image(inputs[0], one, self.rank)]

    def view(self, node, ctx: ViewContext) -> CallView:
        x, o = ctx.ins[0], ctx.outs[0]
        frame = self.rank + 1
        lead = x.shape[:-frame]
        if lead:
            images, h = dim_size(lead, x.steps), x.shape[-frame]
        else:
            images, h = 1, x.step_count()
        (kh, kw), (sh, sw), (dh, dw) = self.kernel_size, self.strides, self.dilation
        pad = Const("ConvTranspose", self.padding.upper())
        op_h = -1 if self.output_padding is None else self.output_padding[0]
        value = Call("ConvTranspose", "outSize", (h, kh, sh, dh, pad, op_h))
        if o.shape[0] is not None:
            out_h, var, value = o.shape[-frame], "", None
        elif lead:
            out_h, var, value = o.shape[-frame], o.steps, Var(x.steps)
        else:
            out_h, var = Var(o.steps), o.steps
        w = 1 if self.rank == 1 else x.dim(-2)
        op_w = -1 if self.output_padding is None else self.output_padding[1]
        out_w, dims = (1, ()) if self.rank == 1 else \
            _out_width(ctx, Call("ConvTranspose", "outSize", (w, kw, sw, dw, pad, op_w)))
        fixed_w = isinstance(w, int)   # else the width comes with each call, in blocks of a few rows
        block = max(1, -(-BLOCK_PIXELS // w)) if fixed_w else VARIABLE_WIDTH_BLOCK
        if x.shape[-frame] is not None:
            block = min(block, x.shape[-frame])
        init = New("ConvTranspose", (Var("data"), ctx.offset(self.kernel), ctx.offset(self.bias), kh, kw,
                                     self.in_channels, w if fixed_w else 0, out_w if fixed_w else 0, self.filters,
                                     sh, sw, dh, dw, pad, block, Act(self.activation)))
        ws = Call("ConvTranspose", "workspaceSize", (block, w, kh, kw, self.filters))
        widths = ((), ()) if fixed_w else ((w,), (out_w,))
        return CallView(ctx.field, comment(node), ctx.out_bufs(), "forward",
                        (Var(x.var), images, h, *widths[0], Var(o.var), out_h, *widths[1], Var("ws")),
                        cls="ConvTranspose", init=init, steps_var=var, steps_value=value, workspace_size=ws, dims=dims)


def _transpose_size(n: Optional[int], k: int, s: int, d: int, padding: str, out_pad: Optional[int]) -> Optional[int]:
    if n is None:
        return None
    span = d * (k - 1) + 1
    if padding == "valid":
        return (n - 1) * s + span + (max(span, s) - span if out_pad is None else out_pad)
    return n * s if out_pad is None else (n - 1) * s + span % 2 + out_pad


def _conv_transpose(op: ConvTransposeOp, x: np.ndarray) -> np.ndarray:
    H, W, C = x.shape
    (kh, kw), (sh, sw), (dh, dw) = op.kernel_size, op.strides, op.dilation
    ph, pw = op.output_padding if op.output_padding is not None else (None, None)
    oh = _transpose_size(H, kh, sh, dh, op.padding, ph)
    ow = _transpose_size(W, kw, sw, dw, op.padding, pw)
    span_h, span_w = dh * (kh - 1) + 1, dw * (kw - 1) + 1
    pt = max((H - 1) * sh + span_h - oh, 0) // 2 if op.padding == "same" else 0
    pl = max((W - 1) * sw + span_w - ow, 0) // 2 if op.padding == "same" else 0
    K = f64(op.kernel).reshape(C, kh, kw, op.filters)
    y = np.zeros((oh, ow, op.filters))
    xd = np.asarray(x, np.float64)
    for iy in range(H):
        for ix in range(W):
            contrib = np.tensordot(xd[iy, ix], K, axes=(0, 0))   # (kh, kw, filters)
            for i in range(kh):
                oy = iy * sh - pt + i * dh
                if not 0 <= oy < oh:
                    continue
                for j in range(kw):
                    ox = ix * sw - pl + j * dw
                    if 0 <= ox < ow:
                        y[oy, ox] += contrib[i, j]
    return conv_output(y, op.bias, op.activation)


def _output_padding(ctx: LayerContext, rank: int) -> Optional[tuple[int, int]]:
    v = ctx.layer.config.get("output_padding")
    if v is None:
        return None
    if isinstance(v, int) and not isinstance(v, bool):
        v = (v,) * rank
    if not isinstance(v, (list, tuple)) or len(v) != rank or not all(
            isinstance(d, int) and not isinstance(d, bool) and d >= 0 for d in v):
        raise ConversionProblem(f"output_padding {v!r} is not {rank} non-negative integers")
    return (int(v[0]), int(v[1])) if rank == 2 else (int(v[0]), 0)


def _transpose_kernel(w: WeightTensor) -> WeightTensor:
    """(kh, kw, filters, in) -> (in, kh * kw * filters)."""
    a = np.asarray(w.array, f32)
    kh, kw, f, c = a.shape
    return WeightTensor(w.role + " (input channels first)", w.source,
                        np.ascontiguousarray(a.transpose(3, 0, 1, 2)).reshape(c, kh * kw * f))


@converter("Conv2DTranspose")
def convert_conv2d_transpose(ctx: LayerContext):
    first = channels_first(ctx)
    h, w, c = image_shape(ctx, first, variable_width=True)
    k = tuple2(ctx, "kernel_size", None)
    strides = tuple2(ctx, "strides", 1)
    dilation = tuple2(ctx, "dilation_rate", 1)
    padding = _padding(ctx)
    if max(strides) > 1 and max(dilation) > 1:
        raise ConversionProblem("strides > 1 together with dilation_rate > 1 is not supported")
    out_pad = _output_padding(ctx, 2)
    filters = ctx.get_int("filters", minimum=1)
    use_bias = ctx.get_bool("use_bias", True)
    act = ctx.activation("activation")
    wts = ctx.weights([("kernel", (k[0], k[1], filters, c))] + ([("bias", (filters,))] if use_bias else []))
    op = ConvTransposeOp(2, filters, k, strides, dilation, padding, out_pad, c, act, _transpose_kernel(wts[0]),
                         wts[1] if use_bias else None)
    oh = _transpose_size(h, k[0], strides[0], dilation[0], padding, None if out_pad is None else out_pad[0])
    ow = _transpose_size(w, k[1], strides[1], dilation[1], padding, None if out_pad is None else out_pad[1])
    _check_keras1_output_shape(ctx, first, oh, ow)
    return _build(ctx, op, (oh, ow, filters), first)


def _check_keras1_output_shape(ctx: LayerContext, first: bool, oh, ow) -> None:
    """A Keras 1 Deconvolution2D stored its ``output_shape``; Keras 2 drops it and infers the
    size (``legacy/interfaces.py deconv2d_args_preprocessor``).  Where the two disagree the
    Keras 1 model computed another shape: refused rather than converted differently."""
    stored = ctx.layer.config.get("output_shape")
    if stored is None:
        return
    if not isinstance(stored, (list, tuple)) or len(stored) != 4:
        raise ConversionProblem(f"output_shape {stored!r} is not (batch, rows, cols, channels)")
    rows, cols = (stored[2], stored[3]) if first else (stored[1], stored[2])
    if None not in (oh, ow) and (rows, cols) != (oh, ow):
        raise ConversionProblem(f"Keras 1 output_shape {tuple(stored)} has {rows}x{cols} pixels, but Keras 2 "
                                f"(which drops output_shape) infers {oh}x{ow} for this input, kernel, strides "
                                "and padding")


@converter("Conv1DTranspose", mask=MaskRule.DROP)
def convert_conv1d_transpose(ctx: LayerContext):
    fmt = ctx.layer.config.get("data_format") or "channels_last"
    if fmt != "channels_last":
        raise ConversionProblem(f"data_format={fmt!r} is not supported for Conv1DTranspose; only 'channels_last'")
    steps, c = sequence_input(ctx)
    k = int1(ctx, "kernel_size", None)
    s = int1(ctx, "strides", 1)
    d = int1(ctx, "dilation_rate", 1)
    padding = _padding(ctx)
    if s > 1 and d > 1:
        raise ConversionProblem("strides > 1 together with dilation_rate > 1 is not supported")
    out_pad = _output_padding(ctx, 1)
    filters = ctx.get_int("filters", minimum=1)
    use_bias = ctx.get_bool("use_bias", True)
    act = ctx.activation("activation")
    wts = ctx.weights([("kernel", (k, filters, c))] + ([("bias", (filters,))] if use_bias else []))
    kern = WeightTensor(wts[0].role, wts[0].source, np.asarray(wts[0].array, f32).reshape(k, 1, filters, c))
    op = ConvTransposeOp(1, filters, (k, 1), (s, 1), (d, 1), padding, out_pad, c, act, _transpose_kernel(kern),
                         wts[1] if use_bias else None)
    return Converted(op, ((_transpose_size(steps, k, s, d, padding, None if out_pad is None else out_pad[0]),
                           filters),))
