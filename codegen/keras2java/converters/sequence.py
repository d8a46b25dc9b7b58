"""Converters for the layers around recurrent nets: convolution and pooling on
sequences, normalization, and shape layers.

Semantics follow Keras 3.15's TensorFlow backend (``keras/src/layers/...``,
``keras/src/ops/nn.py``) and tf-keras 2.x, which agree for these layers.
"""
from __future__ import annotations

from typing import Any, Optional

import numpy as np

from ..ir import (Conv1DOp, GlobalPool1DOp, NormalizeOp, Pool1DOp, PermuteOp, ReshapeOp, ScaleShiftOp, Shape,
                  TimeResampleOp, WeightTensor, format_shape)
from .base import ConversionProblem, Converted, LayerContext, last_dim, require_rank

# -- helpers -------------------------------------------------------------------


def _int1(ctx: LayerContext, key: str, default: Any) -> int:
    """A 1-D size option that Keras stores as an int or a one-element list."""
    v = ctx.layer.config.get(key, default)
    if isinstance(v, (list, tuple)):
        if len(v) != 1:
            raise ConversionProblem(f"config {key!r} is {v!r}, expected one integer")
        v = v[0]
    if isinstance(v, float) and v.is_integer():
        v = int(v)
    if not isinstance(v, int) or isinstance(v, bool) or v < 1:
        raise ConversionProblem(f"config {key!r} is {v!r}, expected a positive integer")
    return v


def _pair(ctx: LayerContext, key: str, default: Any) -> tuple[int, int]:
    """ZeroPadding1D / Cropping1D amounts: an int or a (before, after) pair."""
    v = ctx.layer.config.get(key, default)
    if isinstance(v, int) and not isinstance(v, bool):
        v = (v, v)
    if (not isinstance(v, (list, tuple)) or len(v) != 2
            or not all(isinstance(x, int) and not isinstance(x, bool) and x >= 0 for x in v)):
        raise ConversionProblem(f"config {key!r} is {v!r}, expected a non-negative integer or a pair of them")
    return int(v[0]), int(v[1])


def _channels_last(ctx: LayerContext) -> None:
    fmt = ctx.layer.config.get("data_format", "channels_last")
    if fmt not in (None, "channels_last"):
        raise ConversionProblem(f"data_format={fmt!r} is not supported; only 'channels_last'")


def _sequence_input(ctx: LayerContext) -> tuple[Optional[int], int]:
    shape = ctx.single_input()
    require_rank(shape, 2, "input (steps, channels)")
    return shape[0], last_dim(shape)


def out_steps(steps: Optional[int], window: int, strides: int, padding: str) -> Optional[int]:
    """Output length of a 1-D window op (TensorFlow's rule), None if variable."""
    if steps is None:
        return None
    if padding in ("same", "causal"):
        return -(-steps // strides)
    return (steps - window) // strides + 1 if steps >= window else 0


def _axis_index(axis: Any, rank: int, what: str = "axis") -> int:
    """A Keras axis (counting the batch axis) as an index into the shape without batch."""
    if isinstance(axis, bool) or not isinstance(axis, int):
        raise ConversionProblem(f"{what} {axis!r} is not an integer")
    k = axis - 1 if axis >= 0 else rank + axis
    if axis == 0 or not 0 <= k < rank:
        raise ConversionProblem(f"{what} {axis} is out of range (or the batch axis) for inputs of rank {rank + 1}")
    return k


# -- convolution ---------------------------------------------------------------


def _conv_common(ctx: LayerContext) -> tuple[Optional[int], int, int, int, int, str]:
    steps, channels = _sequence_input(ctx)
    _channels_last(ctx)
    k = _int1(ctx, "kernel_size", None)
    strides = _int1(ctx, "strides", 1)
    dilation = _int1(ctx, "dilation_rate", 1)
    padding = ctx.get_str("padding", "valid").lower()
    if padding not in ("valid", "same", "causal"):
        raise ConversionProblem(f"padding={padding!r} is not supported; expected 'valid', 'same' or 'causal'")
    if strides > 1 and dilation > 1:
        raise ConversionProblem("strides > 1 together with dilation_rate > 1 is not supported (Keras refuses it too)")
    span = dilation * (k - 1) + 1
    if padding == "valid" and steps is not None and steps < span:
        raise ConversionProblem(f"input has {steps} timesteps, fewer than the kernel's span {span}")
    return steps, channels, k, strides, dilation, padding


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
    steps, channels = _sequence_input(ctx)
    _channels_last(ctx)
    size = _int1(ctx, "pool_size", 2)
    strides = size if ctx.layer.config.get("strides") is None else _int1(ctx, "strides", size)
    padding = ctx.get_str("padding", "valid").lower()
    if padding not in ("valid", "same"):
        raise ConversionProblem(f"padding={padding!r} is not supported; expected 'valid' or 'same'")
    if padding == "valid" and steps is not None and steps < size:
        raise ConversionProblem(f"input has {steps} timesteps, fewer than pool_size {size}")
    ctx.weights([])
    return Converted(Pool1DOp(mode, size, strides, padding), ((out_steps(steps, size, strides, padding), channels),))


def convert_max_pooling1d(ctx: LayerContext) -> Converted:
    return _pool(ctx, "max")


def convert_average_pooling1d(ctx: LayerContext) -> Converted:
    return _pool(ctx, "avg")


def _global_pool(ctx: LayerContext, mode: str) -> Converted:
    _, channels = _sequence_input(ctx)
    _channels_last(ctx)
    keepdims = ctx.get_bool("keepdims", False)
    ctx.weights([])
    masked = ctx.input_mask and mode == "avg"
    return Converted(GlobalPool1DOp(mode, keepdims, masked), (((1, channels) if keepdims else (channels,)),))


def convert_global_max_pooling1d(ctx: LayerContext) -> Converted:
    return _global_pool(ctx, "max")


def convert_global_average_pooling1d(ctx: LayerContext) -> Converted:
    return _global_pool(ctx, "avg")


# -- normalization -------------------------------------------------------------


def convert_batch_normalization(ctx: LayerContext) -> Converted:
    shape = ctx.single_input()
    axis = ctx.layer.config.get("axis", -1)
    if isinstance(axis, (list, tuple)):
        if len(axis) != 1:
            raise ConversionProblem(f"axis {axis!r} is not supported; only a single axis")
        axis = axis[0]
    k = _axis_index(axis, len(shape))
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
    idx = sorted({_axis_index(a, len(shape)) for a in axes})
    if idx != list(range(len(shape) - len(idx), len(shape))):
        raise ConversionProblem(f"axis {axis!r} is not supported; only the last axis or several trailing axes")
    if any(shape[i] is None for i in idx):
        raise ConversionProblem("normalizing along the variable timestep axis is not supported")
    return len(idx)


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


def convert_unit_normalization(ctx: LayerContext) -> Converted:
    shape = ctx.single_input()
    n_axes = _trailing_axes(ctx, shape, -1)
    ctx.weights([])
    return Converted(NormalizeOp("unit", n_axes, 1e-12), (shape,))


# -- shape layers --------------------------------------------------------------


def _fixed(ctx: LayerContext, shape: Shape) -> None:
    if any(d is None for d in shape):
        raise ConversionProblem(f"input shape {format_shape(shape)} has a variable number of timesteps; "
                                f"{ctx.layer.class_name} needs a fixed input shape (set it on the Input)")


def convert_flatten(ctx: LayerContext) -> Converted:
    shape = ctx.single_input()
    _channels_last(ctx)
    _fixed(ctx, shape)
    ctx.weights([])
    return Converted(ReshapeOp(), ((int(np.prod(shape)),),))


def convert_reshape(ctx: LayerContext) -> Converted:
    shape = ctx.single_input()
    _fixed(ctx, shape)
    target = ctx.layer.config.get("target_shape")
    if not isinstance(target, (list, tuple)) or not target or not all(
            isinstance(d, int) and not isinstance(d, bool) and (d > 0 or d == -1) for d in target):
        raise ConversionProblem(f"target_shape {target!r} is not a list of positive sizes (one may be -1)")
    total = int(np.prod(shape))
    known = int(np.prod([d for d in target if d != -1]))
    if list(target).count(-1) > 1 or (-1 in target and total % known) or (-1 not in target and known != total):
        raise ConversionProblem(f"cannot reshape {format_shape(shape)} to {tuple(target)}")
    out = tuple(total // known if d == -1 else d for d in target)
    ctx.weights([])
    return Converted(ReshapeOp(), (out,))


def convert_permute(ctx: LayerContext) -> Converted:
    shape = ctx.single_input()
    _fixed(ctx, shape)
    dims = ctx.layer.config.get("dims")
    if not isinstance(dims, (list, tuple)) or sorted(dims) != list(range(1, len(shape) + 1)):
        raise ConversionProblem(f"dims {dims!r} is not a permutation of 1..{len(shape)}")
    perm = tuple(int(d) - 1 for d in dims)
    ctx.weights([])
    return Converted(PermuteOp(perm), (tuple(shape[p] for p in perm),))


def convert_repeat_vector(ctx: LayerContext) -> Converted:
    shape = ctx.single_input()
    require_rank(shape, 1)
    n = ctx.get_int("n", minimum=1)
    ctx.weights([])
    return Converted(TimeResampleOp("repeat", size=n), ((n, shape[0]),))


def convert_up_sampling1d(ctx: LayerContext) -> Converted:
    steps, channels = _sequence_input(ctx)
    size = ctx.get_int("size", 2, minimum=1)
    ctx.weights([])
    return Converted(TimeResampleOp("upsample", size=size), ((None if steps is None else steps * size, channels),))


def convert_zero_padding1d(ctx: LayerContext) -> Converted:
    steps, channels = _sequence_input(ctx)
    before, after = _pair(ctx, "padding", 1)
    ctx.weights([])
    return Converted(TimeResampleOp("pad", before=before, after=after),
                     ((None if steps is None else steps + before + after, channels),))


def convert_cropping1d(ctx: LayerContext) -> Converted:
    steps, channels = _sequence_input(ctx)
    before, after = _pair(ctx, "cropping", (1, 1))
    if steps is not None and steps - before - after < 1:
        raise ConversionProblem(f"cropping {before}+{after} steps leaves nothing of {steps} timesteps")
    ctx.weights([])
    return Converted(TimeResampleOp("crop", before=before, after=after),
                     ((None if steps is None else steps - before - after, channels),))
