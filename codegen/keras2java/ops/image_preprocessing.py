"""Image preprocessing layers: Resizing, CenterCrop, RandomCrop, AutoContrast and the
random augmentation layers, at inference.

Keras 3.15 (TensorFlow backend) and tf-keras 2.x, read from their sources:

- ``Resizing``: ``tf.image.resize`` (half-pixel centers; ``nearest`` floors
  ``(i + 0.5) * in / out``, ``bilinear`` lerps around ``(i + 0.5) * in / out - 0.5``),
  after a centered crop to the target aspect ratio (``crop_to_aspect_ratio``) or a
  centered padding with ``fill_value`` (``pad_to_aspect_ratio``, Keras 3 only);
  ``antialias=True`` with bilinear is TensorFlow's ``scale_and_translate`` (triangle
  kernel widened by ``in / out`` when downsampling, weights normalized, rows first);
  the other interpolations are refused;
- ``CenterCrop``: the centered window when the input is at least the target size,
  else ``smart_resize`` (crop to the aspect ratio, then bilinear resize);
- ``RandomCrop`` at inference: tf-keras ``smart_resize``s to the target size;
  Keras 3.15 returns the input unchanged (its ``transform_images`` only acts in
  training), so a Keras 3 RandomCrop is identity where the input already has the
  target size and refused elsewhere (Keras' output would not have the shape it records);
- ``AutoContrast`` is active at inference: per image and channel,
  ``clip((x - min) * 255 / (max - min), 0, 255)`` in the 0..255 range its
  ``value_range`` maps to, a constant channel left as it is (Keras' NaN rule);
- every other augmentation layer below returns its input at inference (each one's
  ``transform_images`` or ``get_random_transformation`` acts only when ``training``);
  so does ``Equalization``, but Keras cannot build it into a model, so it is not registered.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from ..ir import format_shape
from .base import ConversionProblem, MaskRule, Op, converter, register_op
from .context import Converted, LayerContext
from .conv2d import _build, _each_image, channels_first, image_shape
from .core import IdentityOp
from .view import CallView, Const, Var, ViewContext, comment, dim_size

f32 = np.float32

#: Layers whose call returns the input unchanged at inference (Keras 3.15 and tf-keras).
INFERENCE_IDENTITY = (
    "RandomFlip", "RandomZoom", "RandomRotation", "RandomTranslation", "RandomContrast", "RandomBrightness",
    "RandomHue", "RandomSaturation", "RandomSharpness", "RandomGrayscale", "RandomShear", "RandomPerspective",
    "RandomColorJitter", "RandomColorDegeneration", "RandomInvert", "RandomPosterization", "RandomErasing",
    "RandomGaussianBlur", "RandomElasticTransform", "AugMix", "CutMix", "MixUp", "RandAugment", "Solarization",
    "RandomHeight", "RandomWidth", "SpatialDropout2D", "SpatialDropout3D",
)
# (Equalization is identity at inference too, but Keras 3.15 cannot build it into a model, its
# symbolic call returning its input, "part of a cycle": no file holds one, and it stays unregistered)

#: ResizeOp interpolations -> runtime Resize constants
INTERPOLATIONS = {"nearest": "NEAREST", "bilinear": "BILINEAR", "bilinear_antialias": "BILINEAR_ANTIALIAS"}


def _images(x) -> tuple:
    """(number of images, height) of an image tensor, leading axes as a row of images."""
    lead = x.shape[:-3]
    return (dim_size(lead, x.steps) if lead else 1), x.shape[-3]


class _PerImageOp(Op):
    """An op on each image ``(h, w, c)`` (``_one``); leading axes are a row of images
    (``TimeDistributed``), streamed one image per step."""

    per_frame: ClassVar[bool] = True

    def stream_outputs(self, rank):
        return (0,) if rank > 3 else None

    def evaluate(self, inputs):
        return [_each_image(np.asarray(inputs[0], f32), self._one)]

    def _one(self, im: np.ndarray) -> np.ndarray:
        raise NotImplementedError


def _triangle_matrix(n_in: int, n_out: int) -> np.ndarray:
    """TensorFlow's antialiased triangle-kernel weights (``scale_and_translate``) as an
    ``(n_out, n_in)`` matrix, in float32 as its ``ComputeSpansCore`` computes them."""
    m = np.zeros((n_out, n_in), np.float64)
    inv_scale = f32(1.0 / float(f32(n_out) / f32(n_in)))
    ks = max(inv_scale, f32(1))
    for i in range(n_out):
        sample = (f32(i) + f32(0.5)) * inv_scale
        if sample < 0 or sample > n_in:
            continue
        s0 = min(max(int(np.ceil(sample - ks - f32(0.5))), 0), n_in - 1)
        s1 = min(max(int(np.floor(sample + ks - f32(0.5))), 0), n_in - 1) + 1
        pos = np.abs((np.arange(s0, s1, dtype=f32) + f32(0.5) - sample) * (f32(1) / ks))
        w = np.where(pos < 1, f32(1) - pos, f32(0)).astype(f32)
        if abs(float(w.sum())) >= 1000 * float(np.finfo(f32).tiny):
            m[i, s0:s1] = w * (f32(1) / w.sum(dtype=f32))
    return m


@register_op
@dataclass(frozen=True)
class ResizeOp(_PerImageOp):
    """``tf.image.resize`` of the window ``(top, left, crop_h, crop_w)`` of each image to
    ``(out_h, out_w)``; window pixels outside the image are ``fill`` (a negative ``top``
    or ``left`` pads)."""

    interpolation: str
    top: int
    left: int
    crop_h: int
    crop_w: int
    out_h: int
    out_w: int
    fill: float = 0.0
    kind: ClassVar[str] = "resize"
    runtime: ClassVar[tuple[str, ...]] = ("Resize", "Check")

    def _one(self, im: np.ndarray) -> np.ndarray:
        h, w, c = im.shape
        src = np.full((self.crop_h, self.crop_w, c), f32(self.fill), f32)
        r0, r1 = max(self.top, 0), min(self.top + self.crop_h, h)
        c0, c1 = max(self.left, 0), min(self.left + self.crop_w, w)
        src[r0 - self.top:r1 - self.top, c0 - self.left:c1 - self.left] = im[r0:r1, c0:c1]
        if self.interpolation == "bilinear_antialias":
            rows = np.tensordot(_triangle_matrix(self.crop_h, self.out_h), src, axes=(1, 0))
            return np.asarray(np.tensordot(_triangle_matrix(self.crop_w, self.out_w), rows, axes=(1, 1))
                              .transpose(1, 0, 2), f32)
        if self.interpolation == "nearest":
            def idx(n_in, n_out):
                s = f32(n_in) / f32(n_out)
                return np.clip(np.floor((np.arange(n_out, dtype=f32) + f32(0.5)) * s).astype(int), 0, n_in - 1)
            return src[idx(self.crop_h, self.out_h)][:, idx(self.crop_w, self.out_w)]

        def axis(n_in, n_out):
            s = f32(n_in) / f32(n_out)
            pos = (np.arange(n_out, dtype=f32) + f32(0.5)) * s - f32(0.5)
            lo = np.floor(pos)
            return (np.maximum(lo, 0).astype(int), np.minimum(np.ceil(pos), n_in - 1).astype(int),
                    (pos - lo).astype(f32))

        y0, y1, ly = axis(self.crop_h, self.out_h)
        x0, x1, lx = axis(self.crop_w, self.out_w)
        lx = lx[None, :, None]
        top = src[y0][:, x0] + (src[y0][:, x1] - src[y0][:, x0]) * lx
        bottom = src[y1][:, x0] + (src[y1][:, x1] - src[y1][:, x0]) * lx
        return np.asarray(top + (bottom - top) * ly[:, None, None], f32)

    def view(self, node, ctx: ViewContext) -> CallView:
        x, o = ctx.ins[0], ctx.outs[0]
        images, h = _images(x)
        args = (Const("Resize", INTERPOLATIONS[self.interpolation]), Var(x.var), images, h, x.shape[-2],
                x.shape[-1], self.top, self.left, self.crop_h, self.crop_w, float(self.fill), self.out_h, self.out_w,
                Var(o.var))
        return CallView(ctx.field, comment(node), ctx.out_bufs(), "resize", args, static="Resize")


@register_op
@dataclass(frozen=True)
class AutoContrastOp(_PerImageOp):
    """Keras' ``AutoContrast`` with ``value_range = (low, high)``."""

    low: float
    high: float
    kind: ClassVar[str] = "auto_contrast"
    runtime: ClassVar[tuple[str, ...]] = ("Resize", "Check")

    def _to(self, x, a, b, c, d):
        """Keras' ``_transform_value_range`` from (a, b) to (c, d), in float32."""
        if (a, b) == (c, d):
            return x
        return (x - f32(a)) / (f32(b) - f32(a)) * (f32(d) - f32(c)) + f32(c)

    def _one(self, im: np.ndarray) -> np.ndarray:
        with np.errstate(all="ignore"):
            v = self._to(im, self.low, self.high, 0.0, 255.0)
            lo, hi = v.min((0, 1), keepdims=True), v.max((0, 1), keepdims=True)
            scale = f32(255.0) / (hi - lo)
            r = np.clip(v * scale + (-lo * scale), f32(0), f32(255))
            r = self._to(r, 0.0, 255.0, self.low, self.high)
        return np.asarray(np.where(np.isnan(r), im, r), f32)

    def view(self, node, ctx: ViewContext) -> CallView:
        x, o = ctx.ins[0], ctx.outs[0]
        images, h = _images(x)
        args = (Var(x.var), images, h * x.shape[-2], x.shape[-1], float(self.low), float(self.high), Var(o.var))
        return CallView(ctx.field, comment(node), ctx.out_bufs(), "autoContrast", args, static="Resize")


# -- converters -----------------------------------------------------------------------------


def _fixed_image(ctx: LayerContext) -> tuple[bool, int, int, int]:
    first = channels_first(ctx)
    h, w, c = image_shape(ctx, first)
    if h is None:
        raise ConversionProblem(f"input {format_shape(ctx.input_shapes[0])} has a variable height; "
                                f"this layer needs a fixed image size")
    return first, h, w, c


def _target(ctx: LayerContext) -> tuple[int, int]:
    return ctx.get_int("height", minimum=1), ctx.get_int("width", minimum=1)


def _aspect_crop(h: int, w: int, th: int, tw: int) -> tuple[int, int, int, int]:
    """``smart_resize`` / ``crop_to_aspect_ratio``: the centered window of the target's aspect ratio."""
    ch = max(min(h, w * th // tw), 1)
    cw = max(min(w, h * tw // th), 1)
    return (h - ch) // 2, (w - cw) // 2, ch, cw


@converter("Resizing")
def convert_resizing(ctx: LayerContext):
    first, h, w, c = _fixed_image(ctx)
    th, tw = _target(ctx)
    interp = ctx.get_str("interpolation", "bilinear")
    problems = []
    if interp not in INTERPOLATIONS:
        problems.append(f"interpolation={interp!r} is not supported; only 'bilinear' and 'nearest'")
    fill_mode = ctx.layer.config.get("fill_mode", "constant")
    if fill_mode not in (None, "constant"):
        problems.append(f"fill_mode={fill_mode!r} is not supported; Keras takes only 'constant'")
    crop = ctx.get_bool("crop_to_aspect_ratio", False)
    pad = ctx.get_bool("pad_to_aspect_ratio", False)
    if crop and pad:
        problems.append("crop_to_aspect_ratio and pad_to_aspect_ratio are both set; Keras refuses that")
    if problems:
        raise ConversionProblem(*problems)
    ctx.weights([])
    fill = 0.0
    if crop:
        top, left, ch, cw = _aspect_crop(h, w, th, tw)
    elif pad:
        # Keras' TensorFlow backend: the padding needed, halved, then added on both sides
        hs = (max(h, w * th // tw) - h) // 2
        ws = (max(w, h * tw // th) - w) // 2
        top, left, ch, cw = -hs, -ws, h + 2 * hs, w + 2 * ws
        fill = ctx.get_float("fill_value", 0.0)
    else:
        top, left, ch, cw = 0, 0, h, w
    if interp == "bilinear" and ctx.get_bool("antialias", False):
        interp = "bilinear_antialias"    # tf.image.resize: scale_and_translate (nearest ignores antialias)
    return _build(ctx, ResizeOp(interp, top, left, ch, cw, th, tw, fill), (th, tw, c), first)


def _center_crop(ctx: LayerContext, first: bool, h: int, w: int, c: int, th: int, tw: int):
    """A centered window of the target size, or ``smart_resize`` when the input is smaller."""
    if h >= th and w >= tw:
        op = ResizeOp("nearest", (h - th) // 2, (w - tw) // 2, th, tw, th, tw)
    else:
        op = ResizeOp("bilinear", *_aspect_crop(h, w, th, tw), th, tw)
    return _build(ctx, op, (th, tw, c), first)


@converter("CenterCrop")
def convert_center_crop(ctx: LayerContext):
    first, h, w, c = _fixed_image(ctx)
    th, tw = _target(ctx)
    ctx.weights([])
    return _center_crop(ctx, first, h, w, c, th, tw)


@converter("RandomCrop")
def convert_random_crop(ctx: LayerContext):
    first, h, w, c = _fixed_image(ctx)
    th, tw = _target(ctx)
    ctx.weights([])
    if ctx.keras_major < 3:
        # tf-keras at inference: smart_resize (aspect-ratio crop, then bilinear resize)
        return _build(ctx, ResizeOp("bilinear", *_aspect_crop(h, w, th, tw), th, tw), (th, tw, c), first)
    if (h, w) != (th, tw):
        raise ConversionProblem(f"Keras 3 RandomCrop returns its ({h}, {w}) input unchanged at inference, while "
                                f"the model records a ({th}, {tw}) output; Keras cannot run the model past it")
    return Converted(IdentityOp(), (ctx.input_shapes[0],))


@converter("AutoContrast")
def convert_auto_contrast(ctx: LayerContext):
    first, h, w, c = _fixed_image(ctx)
    vr = ctx.layer.config.get("value_range", (0, 255))
    if (not isinstance(vr, (list, tuple)) or len(vr) != 2
            or not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in vr) or vr[0] == vr[1]):
        raise ConversionProblem(f"value_range {vr!r} is not two different numbers")
    ctx.weights([])
    low, high = sorted(float(v) for v in vr)
    return _build(ctx, AutoContrastOp(low, high), (h, w, c), first)


@converter(*INFERENCE_IDENTITY, mask=MaskRule.REFUSE)
def convert_inference_identity(ctx: LayerContext) -> Converted:
    """Augmentation (and spatial dropout) layers: the input unchanged at inference."""
    shape = ctx.single_input()
    ctx.weights([])
    return Converted(IdentityOp(), (shape,))
