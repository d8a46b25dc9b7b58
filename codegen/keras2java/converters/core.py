"""Converters for Dense, activation layers and inference no-ops."""
from __future__ import annotations

from ..ir import Activation, ActivationOp, DenseOp, IdentityOp
from .base import ConversionProblem, Converted, LayerContext, last_dim


def convert_dense(ctx: LayerContext) -> Converted:
    shape = ctx.single_input()
    n_in = last_dim(shape)
    units = ctx.get_int("units", minimum=1)
    use_bias = ctx.get_bool("use_bias", True)
    act = ctx.activation("activation")
    if ctx.layer.config.get("lora_rank"):
        raise ConversionProblem("LoRA-enabled Dense (lora_rank) is not supported; merge the LoRA weights first")
    specs = [("kernel", (n_in, units))] + ([("bias", (units,))] if use_bias else [])
    w = ctx.weights(specs)
    op = DenseOp(units=units, activation=act, kernel=w[0], bias=w[1] if use_bias else None)
    return Converted(op, (shape[:-1] + (units,),))


def convert_activation(ctx: LayerContext) -> Converted:
    shape = ctx.single_input()
    act = ctx.activation("activation", "linear")
    ctx.weights([])
    return Converted(ActivationOp(act), (shape,))


def _last_axis(ctx: LayerContext, shape) -> None:
    axis = ctx.layer.config.get("axis", -1)
    if isinstance(axis, (list, tuple)) and len(axis) == 1:
        axis = axis[0]
    if not isinstance(axis, int) or isinstance(axis, bool):
        raise ConversionProblem(f"axis {axis!r} is not supported; only the last axis")
    rank = len(shape) + 1  # with batch
    if axis not in (-1, rank - 1):
        raise ConversionProblem(f"softmax over axis {axis} is not supported; only the last axis (-1)")


def convert_softmax(ctx: LayerContext) -> Converted:
    shape = ctx.single_input()
    _last_axis(ctx, shape)
    ctx.weights([])
    return Converted(ActivationOp(Activation("softmax")), (shape,))


def convert_relu(ctx: LayerContext) -> Converted:
    shape = ctx.single_input()
    max_value = ctx.get_opt_float("max_value", None)
    slope = ctx.get_float("negative_slope", 0.0)
    threshold = ctx.get_float("threshold", 0.0)
    if max_value is not None and max_value < 0:
        raise ConversionProblem(f"max_value {max_value} is negative")
    ctx.weights([])
    return Converted(ActivationOp(Activation("relu", alpha=slope, max_value=max_value, threshold=threshold)), (shape,))


def convert_leaky_relu(ctx: LayerContext) -> Converted:
    shape = ctx.single_input()
    # Keras 3 calls it negative_slope (default 0.3); Keras 2 calls it alpha (default 0.3).
    if "negative_slope" in ctx.layer.config:
        slope = ctx.get_float("negative_slope")
    else:
        slope = ctx.get_float("alpha", 0.3)
    ctx.weights([])
    return Converted(ActivationOp(Activation("relu", alpha=slope)), (shape,))


def convert_elu(ctx: LayerContext) -> Converted:
    shape = ctx.single_input()
    alpha = ctx.get_float("alpha", 1.0)
    ctx.weights([])
    return Converted(ActivationOp(Activation("elu", alpha=alpha)), (shape,))


def convert_noop(ctx: LayerContext) -> Converted:
    """Dropout and noise layers: identity at inference."""
    shape = ctx.single_input()
    ctx.weights([])
    return Converted(IdentityOp(), (shape,))
