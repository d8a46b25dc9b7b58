"""Dense, activation layers and the layers that do nothing at inference."""
from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, ClassVar, Mapping, Optional

import numpy as np

from ..activations import activation_name, evaluate as activate
from ..ir import Activation, WeightTensor
from ..reader.raw import RawLayer, freeze
from .base import ConversionProblem, MaskRule, Op, converter, f64, legacy_upgrade, register_op
from .context import Converted, LayerContext
from .shape_rules import last_dim
from .legacy import UpgradeContext, describe_keras1, keras1_input_shape, rename
from .view import Act, CallView, New, Var, ViewContext, batched_call, comment


@register_op
@dataclass(frozen=True)
class IdentityOp(Op):
    """Layers that do nothing at inference (Dropout, GaussianNoise, ...)."""

    kind: ClassVar[str] = "identity"
    alias: ClassVar[bool] = True
    variable_axes: ClassVar[str] = "any"
    time_distributable: ClassVar[bool] = True

    def stream_outputs(self, rank):
        return (0,) if rank >= 2 else None

    def evaluate(self, inputs):
        return [inputs[0]]


@register_op
@dataclass(frozen=True)
class ActivationOp(Op):
    activation: Activation
    kind: ClassVar[str] = "activation"
    runtime: ClassVar[tuple[str, ...]] = ("Activation", "Check")
    variable_axes: ClassVar[str] = "rows"
    time_distributable: ClassVar[bool] = True

    def stream_outputs(self, rank):
        return (0,) if rank >= 2 else None

    def evaluate(self, inputs):
        return [activate(self.activation, inputs[0])]

    def frame_rows(self, rank):
        return True

    def planes_view(self, view, flag, x):
        # each value alone: the same call on planes; softmax kinds need each position's channels
        return None if self.activation.is_last_axis else view

    def view(self, node, ctx: ViewContext) -> CallView:
        x, y = ctx.ins[0], ctx.outs[0]
        return CallView(ctx.field, comment(node), ctx.out_bufs(), "applyRows",
                        (Var(y.var), 0, x.rows(), x.shape[-1]), cls="Activation", init=Act(self.activation),
                        copy_from=x.var)

    def batch_view(self, node, ctx: ViewContext):
        return batched_call(self.view(node, ctx), rows_arg=2)


@register_op
@dataclass(frozen=True)
class DenseOp(Op):
    """``y = act(x . kernel + bias)`` on the last axis of an input of any rank."""

    units: int
    activation: Activation
    kernel: WeightTensor            # (in, units)
    bias: Optional[WeightTensor]    # (units,)
    kind: ClassVar[str] = "dense"
    runtime: ClassVar[tuple[str, ...]] = ("Dense", "Activation", "Check")
    variable_axes: ClassVar[str] = "rows"
    time_distributable: ClassVar[bool] = True

    def stream_outputs(self, rank):
        return (0,) if rank >= 2 else None

    def evaluate(self, inputs):
        y = np.asarray(inputs[0], np.float64) @ f64(self.kernel) + (f64(self.bias) if self.bias is not None else 0)
        return [activate(self.activation, y)]

    def frame_rows(self, rank):
        return True

    def view(self, node, ctx: ViewContext) -> CallView:
        x, y = ctx.ins[0], ctx.outs[0]
        init = New("Dense", (Var("data"), ctx.offset(self.kernel), ctx.offset(self.bias), self.kernel.shape[0],
                             self.units, Act(self.activation)))
        return CallView(ctx.field, comment(node), ctx.out_bufs(), "forward", (Var(x.var), 0, x.rows(), Var(y.var), 0),
                        cls="Dense", init=init)

    def batch_view(self, node, ctx: ViewContext):
        return batched_call(self.view(node, ctx), rows_arg=2)   # rows of a batch are more rows


# -- converters ----------------------------------------------------------------------------


@converter("Dense", mask=MaskRule.PASS)
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


def _returns_input(config: Mapping[str, Any]) -> bool:
    """Keras 3's ``Activation("linear")`` returns ``activations.linear(x)``, which is ``x`` itself."""
    name = activation_name(config.get("activation"))
    return name is not None and name.lower() in ("linear", "none")


@converter("Activation", mask=MaskRule.PASS, keras3_same_tensor=_returns_input)
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


@converter("Softmax")
def convert_softmax(ctx: LayerContext) -> Converted:
    shape = ctx.single_input()
    _last_axis(ctx, shape)
    ctx.weights([])
    return Converted(ActivationOp(Activation("softmax")), (shape,))


@converter("ReLU", mask=MaskRule.PASS)
def convert_relu(ctx: LayerContext) -> Converted:
    shape = ctx.single_input()
    max_value = ctx.get_opt_float("max_value", None)
    slope = ctx.get_float("negative_slope", 0.0)
    threshold = ctx.get_float("threshold", 0.0)
    if max_value is not None and max_value < 0:
        raise ConversionProblem(f"max_value {max_value} is negative")
    ctx.weights([])
    return Converted(ActivationOp(Activation("relu", alpha=slope, max_value=max_value, threshold=threshold)), (shape,))


@converter("LeakyReLU", mask=MaskRule.PASS)
def convert_leaky_relu(ctx: LayerContext) -> Converted:
    shape = ctx.single_input()
    # Keras 3 calls it negative_slope (default 0.3); Keras 2 calls it alpha (default 0.3).
    if "negative_slope" in ctx.layer.config:
        slope = ctx.get_float("negative_slope")
    else:
        slope = ctx.get_float("alpha", 0.3)
    ctx.weights([])
    return Converted(ActivationOp(Activation("relu", alpha=slope)), (shape,))


@converter("ELU", mask=MaskRule.PASS)
def convert_elu(ctx: LayerContext) -> Converted:
    shape = ctx.single_input()
    alpha = ctx.get_float("alpha", 1.0)
    ctx.weights([])
    return Converted(ActivationOp(Activation("elu", alpha=alpha)), (shape,))


@converter("Dropout", "SpatialDropout1D", "GaussianNoise", "GaussianDropout", "AlphaDropout",
           "ActivityRegularization", mask=MaskRule.PASS, keras3_same_tensor=True)
def convert_noop(ctx: LayerContext) -> Converted:
    """Dropout and noise layers: identity at inference."""
    shape = ctx.single_input()
    ctx.weights([])
    return Converted(IdentityOp(), (shape,))


# -- Keras 1 upgrades (legacy/interfaces.py) ----------------------------------------------
@legacy_upgrade("Dense")
def upgrade_dense(layer: RawLayer, ctx: UpgradeContext) -> RawLayer:
    """Keras 1 ``output_dim -> units``, ``bias -> use_bias``; weights stored as ``W, b``."""
    cfg = dict(layer.config)
    if ctx.major <= 1:
        rename(cfg, "output_dim", "units")
        rename(cfg, "bias", "use_bias")
        keras1_input_shape(cfg)
        describe_keras1(ctx, layer, layer.weights, ("W", "b"), ("kernel", "bias"))
    return replace(layer, class_name="Dense", config=freeze(cfg))


@legacy_upgrade("TimeDistributedDense")
def upgrade_time_distributed_dense(layer: RawLayer, ctx: UpgradeContext) -> RawLayer:
    """Keras 0.x/1.x ``TimeDistributedDense``: a Dense applied to the last axis."""
    if ctx.major > 1:
        return replace(layer, config=freeze(dict(layer.config)))
    ctx.note(layer.name, "class TimeDistributedDense -> Dense (applied to each timestep)")
    cfg = dict(layer.config)
    if "batch_input_shape" not in cfg and "input_shape" not in cfg and cfg.get("input_dim") is not None:
        cfg["batch_input_shape"] = [None, cfg.get("input_length"), cfg["input_dim"]]
    return upgrade_dense(replace(layer, class_name="Dense", config=cfg), ctx)


@legacy_upgrade("Dropout", "SpatialDropout1D")
def upgrade_dropout(layer: RawLayer, ctx: UpgradeContext) -> RawLayer:
    """Keras 1 ``p -> rate``."""
    cfg = dict(layer.config)
    if ctx.major <= 1:
        rename(cfg, "p", "rate")
        keras1_input_shape(cfg)
    return replace(layer, config=freeze(cfg))
