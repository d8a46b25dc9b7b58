"""Adaptive pooling (Keras 3): AdaptiveAveragePooling1D/2D and AdaptiveMaxPooling1D/2D.

Keras' TensorFlow backend pools with two window sizes (``small = ceil(in / out)``
and ``small + 1``) and gathers, per output index ``i``, the window of the size
that ``[floor(i * in / out), ceil((i + 1) * in / out))`` has, starting at its
start: so each output is the mean or max of exactly that window (along each
spatial axis in turn).  Inputs need a fixed length (Keras requires it).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from .base import ConversionProblem, Op, converter, register_op
from .context import Composite, Converted, LayerContext, Step
from .conv2d import _build, channels_first, image_shape
from .shape import PermuteOp
from .view import CallView, Const, Var, ViewContext, comment

f32 = np.float32


def windows(n_in: int, n_out: int) -> list[tuple[int, int]]:
    """Keras' adaptive windows ``[start, end)`` along one axis."""
    return [(min(i * n_in // n_out, n_in - 1), min(-(-(i + 1) * n_in // n_out), n_in)) for i in range(n_out)]


@register_op
@dataclass(frozen=True)
class AdaptivePoolOp(Op):
    """Adaptive ``mode`` ("max" or "avg") pooling of ``(h, w, c)`` images to ``(out_h, out_w, c)``;
    a sequence ``(steps, c)`` is an image of width 1."""

    mode: str
    rank: int          # 1: (steps, channels); 2: (height, width, channels)
    out_h: int
    out_w: int
    kind: ClassVar[str] = "adaptive_pool"
    runtime: ClassVar[tuple[str, ...]] = ("AdaptivePool", "Check")

    def evaluate(self, inputs):
        x = np.asarray(inputs[0], np.float64)
        im = x[:, None, :] if self.rank == 1 else x
        h, w, c = im.shape
        reduce = np.max if self.mode == "max" else np.mean
        y = np.zeros((self.out_h, self.out_w, c))
        for i, (r0, r1) in enumerate(windows(h, self.out_h)):
            for j, (c0, c1) in enumerate(windows(w, self.out_w)):
                y[i, j] = reduce(im[r0:r1, c0:c1], axis=(0, 1))
        return [np.asarray(y[:, 0, :] if self.rank == 1 else y, f32)]

    def view(self, node, ctx: ViewContext) -> CallView:
        x = ctx.ins[0]
        h, w = (x.shape[0], 1) if self.rank == 1 else (x.shape[0], x.shape[1])
        args = (Const("AdaptivePool", self.mode.upper()), Var(x.var), h, w, x.shape[-1], self.out_h, self.out_w,
                Var(ctx.outs[0].var))
        return CallView(ctx.field, comment(node), ctx.out_bufs(), "pool", args, static="AdaptivePool")


def _sizes(ctx: LayerContext, n: int) -> tuple[int, ...]:
    v = ctx.layer.config.get("output_size")
    v = (v,) * n if isinstance(v, int) and not isinstance(v, bool) else v
    if (not isinstance(v, (list, tuple)) or len(v) != n
            or not all(isinstance(d, int) and not isinstance(d, bool) and d >= 1 for d in v)):
        raise ConversionProblem(f"config 'output_size' is {v!r}, expected {n} positive integer(s)")
    return tuple(int(d) for d in v)


def _convert_1d(ctx: LayerContext, mode: str):
    first = channels_first(ctx)
    shape = ctx.single_input()
    if len(shape) != 2:
        raise ConversionProblem(f"input has shape {shape}, expected (steps, channels) without batch")
    steps, c = (shape[1], shape[0]) if first else shape
    if steps is None or c is None:
        raise ConversionProblem("adaptive pooling needs a fixed length (Keras requires it too)")
    (out,) = _sizes(ctx, 1)
    ctx.weights([])
    op = AdaptivePoolOp(mode, 1, out, 1)
    if not first:
        return Converted(op, ((out, c),))
    return Composite((Step(PermuteOp((1, 0)), (0,), ((steps, c),)), Step(op, (1,), ((out, c),)),
                      Step(PermuteOp((1, 0)), (2,), ((c, out),))), (3,))


def _convert_2d(ctx: LayerContext, mode: str):
    first = channels_first(ctx)
    h, w, c = image_shape(ctx, first)
    if h is None:
        raise ConversionProblem("adaptive pooling needs a fixed height (Keras requires it too)")
    oh, ow = _sizes(ctx, 2)
    ctx.weights([])
    return _build(ctx, AdaptivePoolOp(mode, 2, oh, ow), (oh, ow, c), first)


converter("AdaptiveAveragePooling1D")(lambda ctx: _convert_1d(ctx, "avg"))
converter("AdaptiveMaxPooling1D")(lambda ctx: _convert_1d(ctx, "max"))
converter("AdaptiveAveragePooling2D")(lambda ctx: _convert_2d(ctx, "avg"))
converter("AdaptiveMaxPooling2D")(lambda ctx: _convert_2d(ctx, "max"))
