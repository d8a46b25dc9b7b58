"""Pooling and resampling on volumes ``(depth, height, width, channels)``:
MaxPooling3D, AveragePooling3D, AdaptiveMax/AveragePooling3D, the global
3-D poolings, ZeroPadding3D, Cropping3D and UpSampling3D.

Per frame on leading axes, variable depth and channels_first as the 3-D
convolutions (:mod:`.conv3d`).  Pooling follows TensorFlow (``same`` pads
``total / 2`` before; an average never counts padding); adaptive pooling
follows Keras 3.15's ``ops.adaptive_*_pool`` (``backend/tensorflow/nn.py``):
output ``i`` of an axis of ``n`` pools ``[floor(i * n / out), ceil((i + 1) *
n / out))``.  UpSampling3D repeats voxels (Keras has no other interpolation
for it).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from .base import ConversionProblem, converter, register_op
from .context import Composite, Converted, LayerContext, Step
from .conv2d import _pad_before, _padding, _size, channels_first
from .conv3d import Triple, VolumeOp, build3, out_depth, tuple3, volume_shape, volumes
from .shape import PermuteOp, ReshapeOp
from .view import Call, CallView, Const, Plus, Size, Var, ViewContext, comment, dim_size

f32 = np.float32


def _reduce(win: np.ndarray, mode: str) -> np.ndarray:
    w = np.asarray(win, np.float64)
    return w.max((0, 1, 2)) if mode == "max" else w.mean((0, 1, 2))


def _pooled(x: np.ndarray, mode: str, windows) -> np.ndarray:
    """``windows[axis]``: the (start, end) of each output along that axis."""
    y = np.zeros(tuple(len(w) for w in windows) + (x.shape[3],), f32)
    for a, (z0, z1) in enumerate(windows[0]):
        for b, (y0, y1) in enumerate(windows[1]):
            for c, (x0, x1) in enumerate(windows[2]):
                y[a, b, c] = _reduce(x[z0:z1, y0:y1, x0:x1], mode)
    return y


@register_op
@dataclass(frozen=True)
class Pool3DOp(VolumeOp):
    """MaxPooling3D / AveragePooling3D."""

    mode: str                   # "max" or "avg"
    pool_size: Triple
    strides: Triple
    padding: str
    kind: ClassVar[str] = "pool3d"
    runtime: ClassVar[tuple[str, ...]] = ("Image3D", "Image2D", "Check")
    time_changing: ClassVar[bool] = True

    def one(self, x):
        windows = []
        for n, p, s in zip(x.shape[:3], self.pool_size, self.strides):
            out = _size(n, p, s, self.padding)
            pad = _pad_before(n, out, p, s, self.padding)
            windows.append([(max(i * s - pad, 0), min(i * s - pad + p, n)) for i in range(out)])
        return _pooled(x, self.mode, windows)

    def view(self, node, ctx: ViewContext) -> CallView:
        x, o = ctx.ins[0], ctx.outs[0]
        n, d = volumes(ctx)
        (pd, ph, pw), (sd, sh, sw) = self.pool_size, self.strides
        same = self.padding == "same"
        out_d, var, value = out_depth(ctx, Call("Image2D", "poolSize", (d, pd, sd, same, node.layer_name)))
        return CallView(ctx.field, comment(node), ctx.out_bufs(), "pool",
                        (Const("Image3D", self.mode.upper()), Var(x.var), n, d, x.shape[-3], x.shape[-2],
                         x.shape[-1], pd, ph, pw, sd, sh, sw, same, Var(o.var), out_d, o.shape[-3], o.shape[-2]),
                        static="Image3D", steps_var=var, steps_value=value)


@register_op
@dataclass(frozen=True)
class AdaptivePool3DOp(VolumeOp):
    """AdaptiveMaxPooling3D / AdaptiveAveragePooling3D to a fixed ``output_size``."""

    mode: str
    output_size: Triple
    kind: ClassVar[str] = "adaptive_pool3d"
    runtime: ClassVar[tuple[str, ...]] = ("Image3D", "Check")

    def one(self, x):
        windows = [[(min(i * n // o, n - 1), min(-(-(i + 1) * n // o), n)) for i in range(o)]
                   for n, o in zip(x.shape[:3], self.output_size)]
        return _pooled(x, self.mode, windows)

    def view(self, node, ctx: ViewContext) -> CallView:
        x, o = ctx.ins[0], ctx.outs[0]
        n, d = volumes(ctx)
        od, oh, ow = self.output_size
        return CallView(ctx.field, comment(node), ctx.out_bufs(), "adaptive",
                        (Const("Image3D", self.mode.upper()), Var(x.var), n, d, x.shape[-3], x.shape[-2],
                         x.shape[-1], Var(o.var), od, oh, ow), static="Image3D")


@register_op
@dataclass(frozen=True)
class GlobalPool3DOp(VolumeOp):
    """GlobalMaxPooling3D / GlobalAveragePooling3D (``Image2D.global`` over the voxels)."""

    mode: str
    keepdims: bool
    kind: ClassVar[str] = "global_pool3d"
    runtime: ClassVar[tuple[str, ...]] = ("Image2D", "Check")
    time_changing: ClassVar[bool] = False

    def stream_outputs(self, rank):
        return (0,) if rank > 4 else None

    def evaluate(self, inputs):
        x = np.asarray(inputs[0], np.float64)
        axes = (-4, -3, -2)
        y = x.max(axes, keepdims=self.keepdims) if self.mode == "max" else x.mean(axes, keepdims=self.keepdims)
        return [np.asarray(y, f32)]

    def view(self, node, ctx: ViewContext) -> CallView:
        x = ctx.ins[0]
        lead = x.shape[:-4]
        if lead:
            n, voxels = dim_size(lead, x.steps), x.shape[-4] * x.shape[-3] * x.shape[-2]
        else:
            n, voxels = 1, dim_size(x.shape[:-1], x.steps)
        return CallView(ctx.field, comment(node), ctx.out_bufs(), "global",
                        (Const("Image2D", self.mode.upper()), Var(x.var), n, voxels, x.shape[-1],
                         Var(ctx.outs[0].var)), static="Image2D")


@register_op
@dataclass(frozen=True)
class Resample3DOp(VolumeOp):
    """ZeroPadding3D (``mode="pad"``), Cropping3D (``"crop"``): ``amounts`` are (before, after)
    per axis; UpSampling3D (``"nearest"``): ``amounts`` are the three factors."""

    mode: str
    amounts: tuple
    kind: ClassVar[str] = "resample3d"
    runtime: ClassVar[tuple[str, ...]] = ("Image3D", "Image2D", "Check")
    time_changing: ClassVar[bool] = True

    def one(self, x):
        if self.mode == "pad":
            return np.pad(x, tuple(self.amounts) + ((0, 0),))
        if self.mode == "crop":
            return x[tuple(slice(b, n - a) for (b, a), n in zip(self.amounts, x.shape[:3]))]
        for axis, f in enumerate(self.amounts):
            x = np.repeat(x, f, axis)
        return x

    def view(self, node, ctx: ViewContext) -> CallView:
        x, o = ctx.ins[0], ctx.outs[0]
        n, d = volumes(ctx)
        dims = (Var(x.var), n, d, x.shape[-3], x.shape[-2], x.shape[-1])
        steps = x.steps
        value: Any
        if self.mode == "pad":
            (f, b), (t, bo), (le, r) = self.amounts
            value = Plus(steps, f + b) if steps else None
            args = dims + (f, b, t, bo, le, r, Var(o.var))
        elif self.mode == "crop":
            (f, b), (t, _), (le, _) = self.amounts
            value = Call("Image2D", "cropSize", (d, f, b, node.layer_name))
        else:
            value = Size(steps, self.amounts[0]) if steps else None
            args = dims + tuple(self.amounts) + (Var(o.var),)
        out_d, var, value = out_depth(ctx, value)
        if self.mode == "crop":
            args = dims + (f, t, le, Var(o.var), out_d, o.shape[-3], o.shape[-2])
        return CallView(ctx.field, comment(node), ctx.out_bufs(), self.mode, args, static="Image3D",
                        steps_var=var, steps_value=value)


# -- converters ----------------------------------------------------------------------------------

def _pool(ctx: LayerContext, mode: str):
    first = channels_first(ctx)
    d, h, w, c = volume_shape(ctx, first)
    size = tuple3(ctx, "pool_size", 2)
    strides = size if ctx.layer.config.get("strides") is None else tuple3(ctx, "strides", size)
    padding = _padding(ctx)
    if padding == "valid" and any(n is not None and n < p for n, p in zip((d, h, w), size)):
        raise ConversionProblem(f"input ({d}, {h}, {w}) is smaller than the window {size}")
    ctx.weights([])
    out = tuple(_size(n, p, s, padding) for n, p, s in zip((d, h, w), size, strides)) + (c,)
    return build3(ctx, Pool3DOp(mode, size, strides, padding), out, first)


@converter("MaxPooling3D")
def convert_max_pooling3d(ctx: LayerContext):
    return _pool(ctx, "max")


@converter("AveragePooling3D")
def convert_average_pooling3d(ctx: LayerContext):
    return _pool(ctx, "avg")


def _adaptive(ctx: LayerContext, mode: str):
    first = channels_first(ctx)
    d, h, w, c = volume_shape(ctx, first)
    if d is None:
        raise ConversionProblem("adaptive pooling needs a fixed depth (Keras refuses a variable one too)")
    size = tuple3(ctx, "output_size", None)
    ctx.weights([])
    return build3(ctx, AdaptivePool3DOp(mode, size), size + (c,), first)


@converter("AdaptiveMaxPooling3D")
def convert_adaptive_max_pooling3d(ctx: LayerContext):
    return _adaptive(ctx, "max")


@converter("AdaptiveAveragePooling3D")
def convert_adaptive_average_pooling3d(ctx: LayerContext):
    return _adaptive(ctx, "avg")


def _global_pool(ctx: LayerContext, mode: str):
    first = channels_first(ctx)
    d, h, w, c = volume_shape(ctx, first)
    keepdims = ctx.get_bool("keepdims", False)
    ctx.weights([])
    op = GlobalPool3DOp(mode, keepdims)
    out = (1, 1, 1, c) if keepdims else (c,)
    if not first:
        return Converted(op, (out,))
    steps = (Step(PermuteOp((1, 2, 3, 0)), (0,), ((d, h, w, c),)), Step(op, (1,), (out,)))
    if not keepdims:
        return Composite(steps, (2,))
    # (1, 1, 1, c) and (c, 1, 1, 1) hold the same data
    return Composite(steps + (Step(ReshapeOp(), (2,), ((c, 1, 1, 1),)),), (3,))


@converter("GlobalMaxPooling3D")
def convert_global_max_pooling3d(ctx: LayerContext):
    return _global_pool(ctx, "max")


@converter("GlobalAveragePooling3D")
def convert_global_average_pooling3d(ctx: LayerContext):
    return _global_pool(ctx, "avg")


def _amounts(ctx: LayerContext, key: str, default: Any) -> tuple:
    """ZeroPadding3D / Cropping3D amounts: an int, three ints or three (before, after) pairs."""
    v = ctx.layer.config.get(key, default)

    def nat(x):
        return isinstance(x, int) and not isinstance(x, bool) and x >= 0

    if nat(v):
        return ((v, v),) * 3
    if isinstance(v, (list, tuple)) and len(v) == 3:
        if all(nat(x) for x in v):
            return tuple((x, x) for x in v)
        if all(isinstance(x, (list, tuple)) and len(x) == 2 and all(nat(y) for y in x) for x in v):
            return tuple((int(x[0]), int(x[1])) for x in v)
    raise ConversionProblem(f"config {key!r} is {v!r}, expected an int, three ints or three pairs")


def _resample(ctx: LayerContext, mode: str, amounts: tuple, sizes):
    """A Resample3DOp of ``mode``: ``sizes(n, amount)`` is an axis' new size."""
    first = channels_first(ctx)
    dims = volume_shape(ctx, first)
    out = tuple(None if n is None else sizes(n, a) for n, a in zip(dims, amounts))
    if any(n is not None and n < 1 for n in out):
        raise ConversionProblem(f"cropping {amounts} leaves nothing of {dims[:3]}")
    ctx.weights([])
    return build3(ctx, Resample3DOp(mode, amounts), out + (dims[3],), first)


@converter("ZeroPadding3D")
def convert_zero_padding3d(ctx: LayerContext):
    return _resample(ctx, "pad", _amounts(ctx, "padding", 1), lambda n, a: n + a[0] + a[1])


@converter("Cropping3D")
def convert_cropping3d(ctx: LayerContext):
    return _resample(ctx, "crop", _amounts(ctx, "cropping", 1), lambda n, a: n - a[0] - a[1])


@converter("UpSampling3D")
def convert_up_sampling3d(ctx: LayerContext):
    return _resample(ctx, "nearest", tuple3(ctx, "size", 2), lambda n, f: n * f)
