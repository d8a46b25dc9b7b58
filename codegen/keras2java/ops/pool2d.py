"""2-D pooling and resampling on images ``(height, width, channels)``:
MaxPooling2D, AveragePooling2D, the global 2-D poolings, ZeroPadding2D,
Cropping2D and UpSampling2D; and a Conv2D with the 2 x 2 max pooling after it
in one call (:class:`Conv2DMaxPoolOp`, which the emitter makes of the two).

Like the convolutions of :mod:`.conv2d` (whose shape and config helpers they
share), every op here accepts leading axes as a row of independent images
(``per_frame``), and ``channels_first`` layers become the op between two
Permute ops.  Semantics follow Keras 3.15's TensorFlow backend and tf-keras
2.x, which agree for these layers.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from math import prod
from typing import Any, ClassVar, Optional

import numpy as np

from ..ir import Shape
from .base import ConversionProblem, converter, register_op
from .context import Composite, Converted, LayerContext, Step
from .conv2d import (Conv2DOp, _build, _check_window, _each_image, _ImageOp, _images, _out_height, _out_width,
                     _pad_before, _padding, _size, channels_first, image_shape, tuple2)
from .shape import PermuteOp
from .view import Call, CallView, Const, Plus, Size, Var, ViewContext, batched_images, comment

f32 = np.float32


@register_op
@dataclass(frozen=True)
class Pool2DOp(_ImageOp):
    """MaxPooling2D / AveragePooling2D (the average excludes padding, as TensorFlow does)."""

    mode: str                   # "max" or "avg"
    pool_size: tuple[int, int]
    strides: tuple[int, int]
    padding: str
    kind: ClassVar[str] = "pool2d"
    runtime: ClassVar[tuple[str, ...]] = ("Image2D", "Check")
    time_changing: ClassVar[bool] = True

    def evaluate(self, inputs):
        return [_each_image(inputs[0], lambda im: _pool2d(self, im))]

    def view(self, node, ctx: ViewContext) -> CallView:
        x, o = ctx.ins[0], ctx.outs[0]
        images, h = _images(ctx)
        (ph, pw), (sh, sw) = self.pool_size, self.strides
        same = self.padding == "same"
        out_h, var, value = _out_height(ctx, Call("Image2D", "poolSize", (h, ph, sh, same, node.layer_name)))
        w = x.dim(-2)
        out_w, dims = _out_width(ctx, Call("Image2D", "poolSize", (w, pw, sw, same, node.layer_name + " width")))
        return CallView(ctx.field, comment(node), ctx.out_bufs(), "pool",
                        (Const("Image2D", self.mode.upper()), Var(x.var), images, h, w, x.shape[-1],
                         ph, pw, sh, sw, same, Var(o.var), out_h, out_w),
                        static="Image2D", steps_var=var, steps_value=value, dims=dims)

    def batch_view(self, node, ctx: ViewContext) -> CallView:
        return batched_images(self.view(node, ctx), images_arg=2)   # a batch is more images


@register_op
@dataclass(frozen=True)
class Conv2DMaxPoolOp(_ImageOp):
    """A Conv2D and the MaxPooling2D (2 x 2 window, strides 2) that alone reads its output, as
    one call (``Conv2D.forwardPooled``), made by the emitter's rewriter ``conv_max_pool``
    (:func:`max_pool_after`).  The runtime writes only the pooled maps where it can run the two
    in one pass (the kernels that multiply transposed rows, on one thread), else the
    convolution's maps to a buffer of its own, then the pooling: the values of the two ops
    one after the other either way.  ``conv_shape`` is the convolution's output per image."""

    conv: Conv2DOp
    pool: Pool2DOp
    conv_shape: tuple[int, int, int]
    kind: ClassVar[str] = "conv2d_max_pool"
    runtime: ClassVar[tuple[str, ...]] = ("Conv2D", "Linear", "Activation", "Check", "Image2D")
    time_changing: ClassVar[bool] = True
    planes_pooled: ClassVar[bool] = True

    def evaluate(self, inputs):
        return self.pool.evaluate(self.conv.evaluate(inputs))

    def channel_planes(self) -> bool:
        # the one-pass path reads and writes channel planes (Conv2D.pooled decides, per link)
        return True

    def map_floats(self) -> int:
        return prod(self.conv_shape)

    def view(self, node, ctx: ViewContext) -> CallView:
        o = ctx.outs[0]
        # the convolution's view on its own output shape (its workspace and sizes), then the pooled call
        full = replace(o, shape=tuple(o.shape[:-3]) + self.conv_shape)
        v = self.conv.view(node, replace(ctx, outs=(full,)))
        x, images, h, y = v.args[:4]
        return replace(v, method="forwardPooled", args=(x, images, h, y, Var("ws")), outs=ctx.out_bufs(),
                       inner=v.outs)

    def batch_view(self, node, ctx: ViewContext) -> CallView:
        return batched_images(self.view(node, ctx), images_arg=1)   # a batch is more images


def max_pool_after(conv: Conv2DOp, x: Shape, y: Shape, pool: Pool2DOp) -> Optional[Conv2DMaxPoolOp]:
    """The convolution (input shape ``x``, output ``y``) and the pooling after it as one
    :class:`Conv2DMaxPoolOp`, or None where ``Conv2D.forwardPooled`` does not take them: a max
    pooling of a 2 x 2 window and strides 2 whose windows all lie inside the map (valid, or
    same on even sizes); a convolution of strides 1, one group, no pointwise matrix, an
    activation of each value alone, on images of a fixed size."""
    if pool.mode != "max" or pool.pool_size != (2, 2) or pool.strides != (2, 2):
        return None
    if (conv.strides != (1, 1) or conv.groups != 1 or conv.pointwise is not None or conv.activation.is_last_axis
            or any(d is None for d in tuple(x[-3:]) + tuple(y[-3:]))):
        return None
    oh, ow, c = y[-3:]
    if oh < 2 or ow < 2 or (pool.padding == "same" and (oh % 2 or ow % 2)):
        return None
    return Conv2DMaxPoolOp(conv, pool, (oh, ow, c))


@register_op
@dataclass(frozen=True)
class GlobalPool2DOp(_ImageOp):
    """GlobalMaxPooling2D / GlobalAveragePooling2D."""

    mode: str
    keepdims: bool
    kind: ClassVar[str] = "global_pool2d"
    runtime: ClassVar[tuple[str, ...]] = ("Image2D", "Check")

    def reads_planes(self) -> bool:
        # Image2D.global over each channel's plane: the convolution before it skips its scatter
        return True

    def evaluate(self, inputs):
        x = np.asarray(inputs[0], np.float64)
        y = x.max((-3, -2), keepdims=self.keepdims) if self.mode == "max" else x.mean((-3, -2), keepdims=self.keepdims)
        return [np.asarray(y, f32)]

    def view(self, node, ctx: ViewContext) -> CallView:
        x = ctx.ins[0]
        images, pixels = x.size(0, -3), x.size(-3, -1)
        return CallView(ctx.field, comment(node), ctx.out_bufs(), "global",
                        (Const("Image2D", self.mode.upper()), Var(x.var), images, pixels, x.shape[-1],
                         Var(ctx.outs[0].var)), static="Image2D")

    def batch_view(self, node, ctx: ViewContext) -> CallView:
        return batched_images(self.view(node, ctx), images_arg=2)   # a batch is more images


@register_op
@dataclass(frozen=True)
class Resample2DOp(_ImageOp):
    """ZeroPadding2D (``mode="pad"``), Cropping2D (``"crop"``) and UpSampling2D
    (``"nearest"``, ``"bilinear"``).  ``a, b, c, d`` are top, bottom, left, right
    amounts for pad and crop, and ``a, b`` the height and width factors for upsampling."""

    mode: str
    a: int
    b: int
    c: int = 0
    d: int = 0
    kind: ClassVar[str] = "resample2d"
    runtime: ClassVar[tuple[str, ...]] = ("Image2D", "Check")
    time_changing: ClassVar[bool] = True

    def evaluate(self, inputs):
        return [_each_image(inputs[0], lambda im: _resample2d(self, im))]

    def view(self, node, ctx: ViewContext) -> CallView:
        x, o = ctx.ins[0], ctx.outs[0]
        images, h = _images(ctx)
        w, ch = x.dim(-2), x.shape[-1]
        out_h, var, value = _out_height(ctx, self._out_size(x.dim(-3), self.a, self.b, node.layer_name))
        out_w, dims = _out_width(ctx, self._out_size(w, self.c, self.d, node.layer_name + " width")
                                 if self.mode in ("pad", "crop") else self._out_size(w, self.b, 0, ""))
        y = Var(o.var)
        if self.mode == "pad":
            args = (Var(x.var), images, h, w, ch, self.a, self.b, self.c, self.d, y)
        elif self.mode == "crop":
            args = (Var(x.var), images, h, w, ch, self.a, self.c, y, out_h, out_w)
        else:
            args = (Var(x.var), images, h, w, ch, self.a, self.b, y)
        return CallView(ctx.field, comment(node), ctx.out_bufs(), self.mode, args, static="Image2D",
                        steps_var=var, steps_value=value, dims=dims)

    def _out_size(self, n: Any, before: int, after: int, layer: str) -> Any:
        """The output size along an axis of input size ``n`` (a run-time extent, or fixed:
        then unused): padded, cropped, or upsampled by ``before``."""
        if isinstance(n, int):
            return None
        if self.mode == "pad":
            return Plus(n.name, before + after)
        if self.mode == "crop":
            return Call("Image2D", "cropSize", (n, before, after, layer))
        return Size(n.name, before)

    def batch_view(self, node, ctx: ViewContext) -> CallView:
        return batched_images(self.view(node, ctx), images_arg=1)   # a batch is more images


def _pool2d(op: Pool2DOp, x: np.ndarray) -> np.ndarray:
    H, W, C = x.shape
    (ph, pw), (sh, sw) = op.pool_size, op.strides
    oh, ow = _size(H, ph, sh, op.padding), _size(W, pw, sw, op.padding)
    pt, pl = _pad_before(H, oh, ph, sh, op.padding), _pad_before(W, ow, pw, sw, op.padding)
    y = np.zeros((oh, ow, C), f32)
    for r in range(oh):
        for c in range(ow):
            win = np.asarray(x[max(r * sh - pt, 0):min(r * sh - pt + ph, H), max(c * sw - pl, 0):min(c * sw - pl + pw, W)],
                             np.float64)
            y[r, c] = win.max((0, 1)) if op.mode == "max" else win.mean((0, 1))
    return y


def _resample2d(op: Resample2DOp, x: np.ndarray) -> np.ndarray:
    H, W, _ = x.shape
    if op.mode == "pad":
        return np.pad(x, ((op.a, op.b), (op.c, op.d), (0, 0)))
    if op.mode == "crop":
        return x[op.a:H - op.b, op.c:W - op.d]
    if op.mode == "nearest":
        return np.repeat(np.repeat(x, op.a, 0), op.b, 1)
    oh, ow = H * op.a, W * op.b

    def axis(n_in, n_out):
        src = (np.arange(n_out) + 0.5) * (n_in / n_out) - 0.5
        lo = np.floor(src)
        return np.maximum(lo, 0).astype(int), np.minimum(np.ceil(src), n_in - 1).astype(int), src - lo

    y0, y1, ly = axis(H, oh)
    x0, x1, lx = axis(W, ow)
    d = np.asarray(x, np.float64)
    top = d[y0][:, x0] + (d[y0][:, x1] - d[y0][:, x0]) * lx[None, :, None]
    bottom = d[y1][:, x0] + (d[y1][:, x1] - d[y1][:, x0]) * lx[None, :, None]
    return np.asarray(top + (bottom - top) * ly[:, None, None], f32)


# -- pooling and resampling converters --------------------------------------------------------

def _pool(ctx: LayerContext, mode: str):
    first = channels_first(ctx)
    h, w, c = image_shape(ctx, first, variable_width=True)
    size = tuple2(ctx, "pool_size", 2)
    strides = size if ctx.layer.config.get("strides") is None else tuple2(ctx, "strides", size)
    padding = _padding(ctx)
    _check_window(h, w, size, padding)
    ctx.weights([])
    out = (_size(h, size[0], strides[0], padding), _size(w, size[1], strides[1], padding), c)
    return _build(ctx, Pool2DOp(mode, size, strides, padding), out, first)


@converter("MaxPooling2D")
def convert_max_pooling2d(ctx: LayerContext):
    return _pool(ctx, "max")


@converter("AveragePooling2D")
def convert_average_pooling2d(ctx: LayerContext):
    return _pool(ctx, "avg")


def _global_pool(ctx: LayerContext, mode: str):
    first = channels_first(ctx)
    h, w, c = image_shape(ctx, first, variable_width=True)
    keepdims = ctx.get_bool("keepdims", False)
    ctx.weights([])
    op = GlobalPool2DOp(mode, keepdims)
    if not first:
        return Converted(op, ((1, 1, c) if keepdims else (c,),))
    cf, hf, wf = ctx.input_shapes[0]
    out = (1, 1, c) if keepdims else (c,)
    steps = (Step(PermuteOp((1, 2, 0)), (0,), ((hf, wf, cf),)), Step(op, (1,), (out,)))
    if not keepdims:
        return Composite(steps, (2,))
    # (1, 1, c) and (c, 1, 1) hold the same data
    from .shape import ReshapeOp
    return Composite(steps + (Step(ReshapeOp(), (2,), ((c, 1, 1),)),), (3,))


@converter("GlobalMaxPooling2D")
def convert_global_max_pooling2d(ctx: LayerContext):
    return _global_pool(ctx, "max")


@converter("GlobalAveragePooling2D")
def convert_global_average_pooling2d(ctx: LayerContext):
    return _global_pool(ctx, "avg")


def _amounts(ctx: LayerContext, key: str, default: Any) -> tuple[int, int, int, int]:
    """ZeroPadding2D / Cropping2D amounts: int, (sym_h, sym_w) or ((top, bottom), (left, right))."""
    v = ctx.layer.config.get(key, default)

    def nat(x):
        return isinstance(x, int) and not isinstance(x, bool) and x >= 0

    if nat(v):
        return v, v, v, v
    if isinstance(v, (list, tuple)) and len(v) == 2:
        if all(nat(x) for x in v):
            return v[0], v[0], v[1], v[1]
        if all(isinstance(x, (list, tuple)) and len(x) == 2 and all(nat(y) for y in x) for x in v):
            return v[0][0], v[0][1], v[1][0], v[1][1]
    raise ConversionProblem(f"config {key!r} is {v!r}, expected an int, two ints or two pairs")


@converter("ZeroPadding2D")
def convert_zero_padding2d(ctx: LayerContext):
    first = channels_first(ctx)
    h, w, c = image_shape(ctx, first, variable_width=True)
    t, b, l, r = _amounts(ctx, "padding", 1)
    ctx.weights([])
    return _build(ctx, Resample2DOp("pad", t, b, l, r), (_plus(h, t + b), _plus(w, l + r), c), first)


@converter("Cropping2D")
def convert_cropping2d(ctx: LayerContext):
    first = channels_first(ctx)
    h, w, c = image_shape(ctx, first, variable_width=True)
    t, b, l, r = _amounts(ctx, "cropping", 0)
    if (h is not None and h - t - b < 1) or (w is not None and w - l - r < 1):
        raise ConversionProblem(f"cropping ({t}, {b}), ({l}, {r}) leaves nothing of ({h}, {w})")
    ctx.weights([])
    return _build(ctx, Resample2DOp("crop", t, b, l, r), (_plus(h, -t - b), _plus(w, -l - r), c), first)


@converter("UpSampling2D")
def convert_up_sampling2d(ctx: LayerContext):
    first = channels_first(ctx)
    h, w, c = image_shape(ctx, first, variable_width=True)
    sh, sw = tuple2(ctx, "size", 2)
    interp = ctx.get_str("interpolation", "nearest")
    if interp not in ("nearest", "bilinear"):
        raise ConversionProblem(f"interpolation={interp!r} is not supported; expected 'nearest' or 'bilinear'")
    ctx.weights([])
    return _build(ctx, Resample2DOp(interp, sh, sw), (None if h is None else h * sh, None if w is None else w * sw, c),
                  first)


def _plus(n: Any, k: int) -> Any:
    """A size plus ``k``, None (variable) staying None."""
    return None if n is None else n + k
