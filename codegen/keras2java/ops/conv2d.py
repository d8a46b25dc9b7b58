"""Convolutions on images ``(height, width, channels)``: Conv2D,
DepthwiseConv2D and SeparableConv2D, and the image helpers the other image
families share (:mod:`.pool2d`: poolings, padding, cropping, upsampling;
:mod:`.conv_transpose`: Conv2DTranspose and Conv1DTranspose).

Every op here also accepts leading axes before ``(height, width, channels)``
and treats them as a row of independent images (the ``per_frame`` trait), so
``TimeDistributed`` over ``(frames, height, width, channels)`` is the op on
the whole tensor.  Without leading axes the height and the width may be
variable (a spectrogram's time axis, images of any size; their run-time
extents come with the call).  ``channels_first`` layers become the op between
two Permute ops.  Semantics follow Keras 3.15's TensorFlow backend and
tf-keras 2.x, which agree for these layers.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar, Optional

import numpy as np

from ..ir import Activation, Shape, WeightTensor, format_shape
from .base import ConversionProblem, Op, converter, f64, register_op
from .context import Composite, Converted, LayerContext, Step
from .conv import conv_output
from .shape import PermuteOp
from .shape_rules import int_pair
from .view import Act, Call, CallView, Const, New, Var, ViewContext, batched_images, comment, dim_size

f32 = np.float32
#: output pixels gathered per im2col block (the block is whole output rows)
BLOCK_PIXELS = 256
#: output rows per im2col block when the width is only known at run time
VARIABLE_WIDTH_BLOCK = 4


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


def _out_width(ctx: ViewContext, value: Any):
    """(output width value, the run-time extents to declare): a variable width is declared
    as ``value`` (its size rule applied to the input's width)."""
    o = ctx.outs[0]
    if o.shape[-2] is not None:
        return o.shape[-2], ()
    name = o.extents[-2]
    return Var(name), ((name, value),)  # type: ignore[arg-type]


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


def _image_axes_problem(shapes) -> Optional[str]:
    """Images: a variable height and width on single images; on a row of frames only a
    variable number of frames; the channels always fixed."""
    for s in shapes:
        if s and s[-1] is None:
            return f"shape {format_shape(s)} has a variable channel count"
        if len(s) > 3 and any(d is None for d in s[1:]):
            return f"shape {format_shape(s)}: on a row of frames only the number of frames may vary"
    return None


# -- ops -----------------------------------------------------------------------------------


class _ImageOp(Op):
    """The 2-D image ops: per frame on a row of frames, streaming one frame per step.  On a
    single image (no leading axes) the height and width may both be variable."""

    per_frame: ClassVar[bool] = True
    variable_axes: ClassVar[str] = "image"

    def variable_axes_problem(self, shapes):
        return _image_axes_problem(shapes)

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

    def channel_planes(self) -> bool:
        # one group, no pointwise matrix: the product the runtime can run on transposed rows
        return self.groups == 1 and self.pointwise is None

    def view(self, node, ctx: ViewContext) -> CallView:
        x, o = ctx.ins[0], ctx.outs[0]
        images, h = _images(ctx)
        (kh, kw), (sh, sw), (dh, dw) = self.kernel_size, self.strides, self.dilation
        pad = Const("Conv2D", self.padding.upper())
        out_h, var, value = _out_height(ctx, Call("Conv2D", "outSize", (h, kh, sh, dh, pad, node.layer_name)))
        w = x.dim(-2)
        out_w, dims = _out_width(ctx, Call("Conv2D", "outSize", (w, kw, sw, dw, pad, node.layer_name + " width")))
        fixed_h = o.shape[-3]
        # a variable width: blocks of a few rows, and the width comes with each call
        block = max(1, -(-BLOCK_PIXELS // out_w)) if isinstance(out_w, int) else VARIABLE_WIDTH_BLOCK
        if fixed_h is not None:
            block = min(block, fixed_h)
        init = New("Conv2D", (Var("data"), ctx.offset(self.kernel), ctx.offset(self.bias), ctx.offset(self.pointwise),
                              kh, kw, self.in_channels, w if isinstance(w, int) else dw * (kw - 1) + 1,
                              self.filters, self.out_channels, sh, sw, dh, dw,
                              pad, self.groups, block, Act(self.activation)))
        ws = Call("Conv2D", "workspaceSize", (block, out_w, kh, kw, self.in_channels, self.filters, self.groups,
                                              self.pointwise is not None))
        args = (Var(x.var), images, h) + (() if isinstance(w, int) else (w,)) + (Var(o.var), out_h, Var("ws"))
        return CallView(ctx.field, comment(node), ctx.out_bufs(), "forward", args, cls="Conv2D", init=init,
                        steps_var=var, steps_value=value, workspace_size=ws, dims=dims)

    def batch_view(self, node, ctx: ViewContext) -> CallView:
        # a batch is more images (the workspace holds one block of output rows, whatever the count)
        return batched_images(self.view(node, ctx), images_arg=1)


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


# -- config helpers --------------------------------------------------------------------------

def tuple2(ctx: LayerContext, key: str, default: Any) -> tuple[int, int]:
    """A 2-D size option: an int (both axes) or two ints."""
    return int_pair(ctx, key, default, 1)


def channels_first(ctx: LayerContext) -> bool:
    fmt = ctx.layer.config.get("data_format") or "channels_last"
    if fmt not in ("channels_last", "channels_first"):
        raise ConversionProblem(f"data_format={fmt!r} is not supported")
    return fmt == "channels_first"


def image_shape(ctx: LayerContext, first: bool, variable_width: bool = False) -> tuple[Optional[int], Any, int]:
    """(height, width, channels) of the single rank-3 input; the height may be variable
    (channels_last only), and the width where the layer's op takes it (``variable_width``);
    the channels must be known."""
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
    if c is None or (w is None and not variable_width):
        raise ConversionProblem(f"input shape {format_shape(shape)} has a variable "
                                + ("channel count" if c is None else "width; this layer takes a variable height only"))
    return h, w, int(c)


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


def _check_window(h: Optional[int], w: Optional[int], span: tuple[int, int], padding: str) -> None:
    if padding == "valid" and ((h is not None and h < span[0]) or (w is not None and w < span[1])):
        raise ConversionProblem(f"input ({h}, {w}) is smaller than the window {span}")


# -- convolution converters -----------------------------------------------------------------

def _conv_common(ctx: LayerContext):
    first = channels_first(ctx)
    h, w, c = image_shape(ctx, first, variable_width=True)
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


