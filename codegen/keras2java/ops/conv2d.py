"""Layers on images ``(height, width, channels)``: Conv2D, DepthwiseConv2D,
SeparableConv2D, MaxPooling2D, AveragePooling2D, the global 2-D poolings,
ZeroPadding2D, Cropping2D and UpSampling2D.

Every op here also accepts leading axes before ``(height, width, channels)``
and treats them as a row of independent images (the ``per_frame`` trait), so
``TimeDistributed`` over ``(frames, height, width, channels)`` is the op on
the whole tensor.  Without leading axes the height may be variable (a
spectrogram's time axis).  ``channels_first`` layers become the op between
two Permute ops.  Semantics follow Keras 3.15's TensorFlow backend and
tf-keras 2.x, which agree for these layers.
"""
from __future__ import annotations

from dataclasses import dataclass
from math import prod
from typing import Any, ClassVar, Optional

import numpy as np

from ..ir import Activation, Shape, WeightTensor, format_shape
from .base import ConversionProblem, MaskRule, Op, converter, f64, register_op
from .context import Composite, Converted, LayerContext, Step
from .conv import conv_output
from .shape import PermuteOp
from .view import Act, Call, CallView, Const, New, Plus, Size, Var, ViewContext, comment, dim_size

f32 = np.float32
#: output pixels gathered per im2col block (the block is whole output rows)
BLOCK_PIXELS = 256


# -- shapes --------------------------------------------------------------------------------

def _images(ctx: ViewContext):
    """(number of images, input height) of the node's first input, as view values."""
    x = ctx.ins[0]
    lead = x.shape[:-3]
    if lead:
        return dim_size(lead, x.steps), x.shape[-3]
    return 1, x.step_count()


def _out_height(ctx: ViewContext, value: Any):
    """(output height value, steps variable, its value): declares the variable axis when there is one."""
    x, o = ctx.ins[0], ctx.outs[0]
    if o.shape[0] is not None:
        return o.shape[-3], "", None
    if len(o.shape) > 3:   # frames: the same number as the input's
        return o.shape[-3], o.steps, Var(x.steps)  # type: ignore[arg-type]
    return Var(o.steps), o.steps, value  # type: ignore[arg-type]


def _size(n: Optional[int], window: int, strides: int, padding: str) -> Optional[int]:
    if n is None:
        return None
    if padding == "same":
        return -(-n // strides)
    return (n - window) // strides + 1


def _frames_stream(rank: int, frame_rank: int):
    """Streaming: a per-frame op on a row of frames (one more leading axis than a frame)
    takes one frame per step; on a single image its first axis is not time."""
    return (0,) if rank > frame_rank else None


def _pad_before(n: int, out: int, span: int, strides: int, padding: str) -> int:
    return max((out - 1) * strides + span - n, 0) // 2 if padding == "same" else 0


def _each_image(x: np.ndarray, fn, rank: int = 2) -> np.ndarray:
    """``fn`` of each image (the last ``rank + 1`` axes) of ``x``, the leading axes (frames) kept."""
    x = np.asarray(x)
    lead = x.shape[:x.ndim - rank - 1]
    y = np.stack([fn(im) for im in x.reshape((-1,) + x.shape[len(lead):])])
    return y.reshape(lead + y.shape[1:])


# -- ops -----------------------------------------------------------------------------------


class _ImageOp(Op):
    """The 2-D image ops: per frame on a row of frames, streaming one frame per step."""

    per_frame: ClassVar[bool] = True

    def stream_outputs(self, rank):
        return _frames_stream(rank, 3)


@register_op
@dataclass(frozen=True)
class Conv2DOp(_ImageOp):
    """Conv2D / DepthwiseConv2D / SeparableConv2D.

    ``kernel`` holds ``groups`` matrices of ``(kh * kw * in / groups,
    filters / groups)``, each the rows of Keras' ``(kh, kw, in / groups,
    filters)`` kernel for that group's filters (a DepthwiseConv2D is the
    grouped convolution with ``groups = in``; output channel ``c * multiplier
    + m``, as TensorFlow orders them).  ``pointwise`` (SeparableConv2D) is the
    ``(filters, out)`` matrix applied next; the bias and the activation come last.
    """

    filters: int
    kernel_size: tuple[int, int]
    strides: tuple[int, int]
    dilation: tuple[int, int]
    padding: str
    groups: int
    in_channels: int
    activation: Activation
    kernel: WeightTensor
    bias: Optional[WeightTensor]
    pointwise: Optional[WeightTensor] = None
    kind: ClassVar[str] = "conv2d"
    runtime: ClassVar[tuple[str, ...]] = ("Conv2D", "Linear", "Activation", "Check")
    time_changing: ClassVar[bool] = True

    @property
    def out_channels(self) -> int:
        return int(self.pointwise.shape[1]) if self.pointwise is not None else self.filters

    def evaluate(self, inputs):
        return [_each_image(inputs[0], lambda im: _conv2d(self, im))]

    def view(self, node, ctx: ViewContext) -> CallView:
        x, o = ctx.ins[0], ctx.outs[0]
        images, h = _images(ctx)
        (kh, kw), (sh, sw), (dh, dw) = self.kernel_size, self.strides, self.dilation
        pad = Const("Conv2D", self.padding.upper())
        out_h, var, value = _out_height(ctx, Call("Conv2D", "outSize", (h, kh, sh, dh, pad, node.layer_name)))
        out_w = o.shape[-2]
        fixed_h = o.shape[-3]
        block = max(1, -(-BLOCK_PIXELS // out_w))
        if fixed_h is not None:
            block = min(block, fixed_h)
        init = New("Conv2D", (Var("data"), ctx.offset(self.kernel), ctx.offset(self.bias), ctx.offset(self.pointwise),
                              kh, kw, self.in_channels, x.shape[-2], self.filters, self.out_channels, sh, sw, dh, dw,
                              pad, self.groups, block, Act(self.activation)))
        ws = Call("Conv2D", "workspaceSize", (block, out_w, kh, kw, self.in_channels, self.filters, self.groups,
                                              self.pointwise is not None))
        return CallView(ctx.field, comment(node), ctx.out_bufs(), "forward",
                        (Var(x.var), images, h, Var(o.var), out_h, Var("ws")), cls="Conv2D", init=init,
                        steps_var=var, steps_value=value, workspace_size=ws)


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
        return CallView(ctx.field, comment(node), ctx.out_bufs(), "pool",
                        (Const("Image2D", self.mode.upper()), Var(x.var), images, h, x.shape[-2], x.shape[-1],
                         ph, pw, sh, sw, same, Var(o.var), out_h, o.shape[-2]),
                        static="Image2D", steps_var=var, steps_value=value)


@register_op
@dataclass(frozen=True)
class GlobalPool2DOp(_ImageOp):
    """GlobalMaxPooling2D / GlobalAveragePooling2D."""

    mode: str
    keepdims: bool
    kind: ClassVar[str] = "global_pool2d"
    runtime: ClassVar[tuple[str, ...]] = ("Image2D", "Check")

    def evaluate(self, inputs):
        x = np.asarray(inputs[0], np.float64)
        y = x.max((-3, -2), keepdims=self.keepdims) if self.mode == "max" else x.mean((-3, -2), keepdims=self.keepdims)
        return [np.asarray(y, f32)]

    def view(self, node, ctx: ViewContext) -> CallView:
        x = ctx.ins[0]
        lead = x.shape[:-3]
        if lead:
            images, pixels = dim_size(lead, x.steps), x.shape[-3] * x.shape[-2]
        else:
            images, pixels = 1, dim_size(x.shape[:-1], x.steps)
        return CallView(ctx.field, comment(node), ctx.out_bufs(), "global",
                        (Const("Image2D", self.mode.upper()), Var(x.var), images, pixels, x.shape[-1],
                         Var(ctx.outs[0].var)), static="Image2D")


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
        w, ch = x.shape[-2], x.shape[-1]
        steps = x.steps
        if self.mode == "pad":
            value = Plus(steps, self.a + self.b) if steps else None
        elif self.mode == "crop":
            value = Call("Image2D", "cropSize", (h, self.a, self.b, node.layer_name))
        else:
            value = Size(steps, self.a) if steps else None
        out_h, var, value = _out_height(ctx, value)
        y = Var(o.var)
        if self.mode == "pad":
            args = (Var(x.var), images, h, w, ch, self.a, self.b, self.c, self.d, y)
        elif self.mode == "crop":
            args = (Var(x.var), images, h, w, ch, self.a, self.c, y, out_h, o.shape[-2])
        else:
            args = (Var(x.var), images, h, w, ch, self.a, self.b, y)
        return CallView(ctx.field, comment(node), ctx.out_bufs(), self.mode, args, static="Image2D",
                        steps_var=var, steps_value=value)


# -- numpy reference -----------------------------------------------------------------------

def _conv2d(op: Conv2DOp, x: np.ndarray) -> np.ndarray:
    H, W, C = x.shape
    (kh, kw), (sh, sw), (dh, dw) = op.kernel_size, op.strides, op.dilation
    span_h, span_w = dh * (kh - 1) + 1, dw * (kw - 1) + 1
    oh, ow = _size(H, span_h, sh, op.padding), _size(W, span_w, sw, op.padding)
    pt, pl = _pad_before(H, oh, span_h, sh, op.padding), _pad_before(W, ow, span_w, sw, op.padding)
    xp = np.zeros((H + 2 * span_h + 2 * pt, W + 2 * span_w + 2 * pl, C))
    xp[pt:pt + H, pl:pl + W] = x
    g, in_g, f_g = op.groups, C // op.groups, op.filters // op.groups
    K = f64(op.kernel).reshape(g, kh, kw, in_g, f_g)
    y = np.zeros((oh, ow, op.filters))
    for i in range(kh):
        for j in range(kw):
            patch = xp[i * dh:i * dh + (oh - 1) * sh + 1:sh, j * dw:j * dw + (ow - 1) * sw + 1:sw]
            for gi in range(g):
                y[..., gi * f_g:(gi + 1) * f_g] += patch[..., gi * in_g:(gi + 1) * in_g] @ K[gi, i, j]
    return conv_output(y, op.bias, op.activation, op.pointwise)


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


# -- config helpers --------------------------------------------------------------------------

def tuple2(ctx: LayerContext, key: str, default: Any) -> tuple[int, int]:
    """A 2-D size option: an int (both axes) or two ints."""
    v = ctx.layer.config.get(key, default)
    if v is None:
        v = default
    if isinstance(v, int) and not isinstance(v, bool):
        v = (v, v)
    if (not isinstance(v, (list, tuple)) or len(v) != 2
            or not all(isinstance(d, int) and not isinstance(d, bool) and d >= 1 for d in v)):
        raise ConversionProblem(f"config {key!r} is {v!r}, expected a positive integer or two of them")
    return int(v[0]), int(v[1])


def channels_first(ctx: LayerContext) -> bool:
    fmt = ctx.layer.config.get("data_format") or "channels_last"
    if fmt not in ("channels_last", "channels_first"):
        raise ConversionProblem(f"data_format={fmt!r} is not supported")
    return fmt == "channels_first"


def image_shape(ctx: LayerContext, first: bool) -> tuple[Optional[int], int, int]:
    """(height, width, channels) of the single rank-3 input; the height may be variable
    (channels_last only), the width and channels must be known."""
    shape = ctx.single_input()
    if len(shape) != 3:
        raise ConversionProblem(f"input has shape {format_shape(shape)}, expected (height, width, channels) "
                                f"without batch")
    if first:
        if any(d is None for d in shape):
            raise ConversionProblem(f"channels_first input {format_shape(shape)} needs a fixed shape")
        c, h, w = shape
    else:
        h, w, c = shape
    if w is None or c is None:
        raise ConversionProblem(f"input shape {format_shape(shape)} has a variable width or channel count; "
                                f"only the height may vary")
    return h, int(w), int(c)


def _build(ctx: LayerContext, op: Op, out: Shape, first: bool):
    """The op, or for channels_first the op between two transposes."""
    if not first:
        return Converted(op, (out,))
    c, h, w = ctx.input_shapes[0]
    to_last = PermuteOp((1, 2, 0))
    to_first = PermuteOp((2, 0, 1))
    oh, ow, oc = out
    return Composite((Step(to_last, (0,), ((h, w, c),)), Step(op, (1,), (out,)),
                      Step(to_first, (2,), ((oc, oh, ow),))), (3,))


def _padding(ctx: LayerContext) -> str:
    padding = ctx.get_str("padding", "valid").lower()
    if padding not in ("valid", "same"):
        raise ConversionProblem(f"padding={padding!r} is not supported; expected 'valid' or 'same'")
    return padding


def _check_window(h: Optional[int], w: int, span: tuple[int, int], padding: str) -> None:
    if padding == "valid" and ((h is not None and h < span[0]) or w < span[1]):
        raise ConversionProblem(f"input ({h}, {w}) is smaller than the window {span}")


# -- convolution converters -----------------------------------------------------------------

def _conv_common(ctx: LayerContext):
    first = channels_first(ctx)
    h, w, c = image_shape(ctx, first)
    k = tuple2(ctx, "kernel_size", None)
    strides = tuple2(ctx, "strides", 1)
    dilation = tuple2(ctx, "dilation_rate", 1)
    padding = _padding(ctx)
    if max(strides) > 1 and max(dilation) > 1:
        raise ConversionProblem("strides > 1 together with dilation_rate > 1 is not supported (Keras refuses it too)")
    span = (dilation[0] * (k[0] - 1) + 1, dilation[1] * (k[1] - 1) + 1)
    _check_window(h, w, span, padding)
    out_hw = (_size(h, span[0], strides[0], padding), _size(w, span[1], strides[1], padding))
    return first, h, w, c, k, strides, dilation, padding, out_hw


def grouped_kernel(w: WeightTensor, groups: int) -> WeightTensor:
    """Keras' ``(kh, kw, in/groups, filters)`` kernel as ``groups`` contiguous
    ``(kh*kw*in/groups, filters/groups)`` matrices."""
    a = np.asarray(w.array, f32)
    kh, kw, in_g, f = a.shape
    if groups == 1:
        return WeightTensor(w.role, w.source, a.reshape(kh * kw * in_g, f))
    g = a.reshape(kh * kw * in_g, groups, f // groups).transpose(1, 0, 2)
    return WeightTensor(w.role + " (per group)", w.source, np.ascontiguousarray(g).reshape(-1, f // groups))


@converter("Conv2D")
def convert_conv2d(ctx: LayerContext):
    first, h, w, c, k, strides, dilation, padding, (oh, ow) = _conv_common(ctx)
    filters = ctx.get_int("filters", minimum=1)
    groups = ctx.get_int("groups", 1, minimum=1)
    if c % groups or filters % groups:
        raise ConversionProblem(f"groups={groups} must divide the input channels ({c}) and filters ({filters})")
    use_bias = ctx.get_bool("use_bias", True)
    act = ctx.activation("activation")
    wts = ctx.weights([("kernel", (k[0], k[1], c // groups, filters))] + ([("bias", (filters,))] if use_bias else []))
    op = Conv2DOp(filters, k, strides, dilation, padding, groups, c, act, grouped_kernel(wts[0], groups),
                  wts[1] if use_bias else None)
    return _build(ctx, op, (oh, ow, filters), first)


def _depthwise(w: WeightTensor, c: int, mult: int) -> WeightTensor:
    """(kh, kw, C, M) depthwise kernel -> C groups of (kh*kw, M); output c*M+m."""
    a = np.asarray(w.array, f32)
    kh, kw = a.shape[:2]
    return WeightTensor(w.role + " (per channel)", w.source,
                        np.ascontiguousarray(a.reshape(kh * kw, c, mult).transpose(1, 0, 2)).reshape(-1, mult))


@converter("DepthwiseConv2D")
def convert_depthwise_conv2d(ctx: LayerContext):
    first, h, w, c, k, strides, dilation, padding, (oh, ow) = _conv_common(ctx)
    mult = ctx.get_int("depth_multiplier", 1, minimum=1)
    use_bias = ctx.get_bool("use_bias", True)
    act = ctx.activation("activation")
    wts = ctx.weights([("depthwise_kernel", (k[0], k[1], c, mult))] + ([("bias", (c * mult,))] if use_bias else []))
    op = Conv2DOp(c * mult, k, strides, dilation, padding, c, c, act, _depthwise(wts[0], c, mult),
                  wts[1] if use_bias else None)
    return _build(ctx, op, (oh, ow, c * mult), first)


@converter("SeparableConv2D")
def convert_separable_conv2d(ctx: LayerContext):
    first, h, w, c, k, strides, dilation, padding, (oh, ow) = _conv_common(ctx)
    mult = ctx.get_int("depth_multiplier", 1, minimum=1)
    filters = ctx.get_int("filters", minimum=1)
    use_bias = ctx.get_bool("use_bias", True)
    act = ctx.activation("activation")
    wts = ctx.weights([("depthwise_kernel", (k[0], k[1], c, mult)), ("pointwise_kernel", (1, 1, c * mult, filters))]
                      + ([("bias", (filters,))] if use_bias else []))
    pw = WeightTensor(wts[1].role, wts[1].source, np.asarray(wts[1].array, f32).reshape(c * mult, filters))
    op = Conv2DOp(c * mult, k, strides, dilation, padding, c, c, act, _depthwise(wts[0], c, mult),
                  wts[2] if use_bias else None, pw)
    return _build(ctx, op, (oh, ow, filters), first)


# -- pooling and resampling converters --------------------------------------------------------

def _pool(ctx: LayerContext, mode: str):
    first = channels_first(ctx)
    h, w, c = image_shape(ctx, first)
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
    h, w, c = image_shape(ctx, first)
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
    h, w, c = image_shape(ctx, first)
    t, b, l, r = _amounts(ctx, "padding", 1)
    ctx.weights([])
    return _build(ctx, Resample2DOp("pad", t, b, l, r), (None if h is None else h + t + b, w + l + r, c), first)


@converter("Cropping2D")
def convert_cropping2d(ctx: LayerContext):
    first = channels_first(ctx)
    h, w, c = image_shape(ctx, first)
    t, b, l, r = _amounts(ctx, "cropping", 0)
    if (h is not None and h - t - b < 1) or w - l - r < 1:
        raise ConversionProblem(f"cropping ({t}, {b}), ({l}, {r}) leaves nothing of ({h}, {w})")
    ctx.weights([])
    return _build(ctx, Resample2DOp("crop", t, b, l, r), (None if h is None else h - t - b, w - l - r, c), first)


@converter("UpSampling2D")
def convert_up_sampling2d(ctx: LayerContext):
    first = channels_first(ctx)
    h, w, c = image_shape(ctx, first)
    sh, sw = tuple2(ctx, "size", 2)
    interp = ctx.get_str("interpolation", "nearest")
    if interp not in ("nearest", "bilinear"):
        raise ConversionProblem(f"interpolation={interp!r} is not supported; expected 'nearest' or 'bilinear'")
    ctx.weights([])
    return _build(ctx, Resample2DOp(interp, sh, sw), (None if h is None else h * sh, w * sw, c), first)


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
        w = 1 if self.rank == 1 else x.shape[-2]
        out_w = 1 if self.rank == 1 else o.shape[-2]
        block = max(1, -(-BLOCK_PIXELS // w))
        if x.shape[-frame] is not None:
            block = min(block, x.shape[-frame])
        init = New("ConvTranspose", (Var("data"), ctx.offset(self.kernel), ctx.offset(self.bias), kh, kw,
                                     self.in_channels, w, out_w, self.filters, sh, sw, dh, dw, pad, block,
                                     Act(self.activation)))
        ws = Call("ConvTranspose", "workspaceSize", (block, w, kh, kw, self.filters))
        return CallView(ctx.field, comment(node), ctx.out_bufs(), "forward",
                        (Var(x.var), images, h, Var(o.var), out_h, Var("ws")), cls="ConvTranspose", init=init,
                        steps_var=var, steps_value=value, workspace_size=ws)


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
    h, w, c = image_shape(ctx, first)
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
    from .context import int1, sequence_input
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
