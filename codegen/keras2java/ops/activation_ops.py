"""Keras 3 activation operation nodes: ``keras.activations.*`` and ``keras.ops.nn``
functions called on tensors in a Functional model, which Keras 3 records as
operation nodes (``module: keras.src.ops.nn``, class ``Selu``, ``Celu``, ...) with
their parameters in the config.  Each becomes the activation op of an
``Activation`` layer (:class:`keras2java.ops.core.ActivationOp`); the formulas are
those of ``keras/src/backend/tensorflow/nn.py`` (see :mod:`keras2java.activations`).
"""
from __future__ import annotations

from typing import Any, Callable

from ..ir import Activation
from .base import ConversionProblem, converter
from .context import Converted, LayerContext
from .shape_rules import axis_index
from .core import ActivationOp


def _number(ctx: LayerContext, key: str, default: float) -> float:
    v = ctx.layer.config.get(key, default)
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        raise ConversionProblem(f"config {key!r} is {v!r}, expected a number")
    return float(v)


def _last_axis(ctx: LayerContext) -> None:
    """softmax / log_softmax: only over the last axis (``axis=None`` normalizes everything)."""
    shape = ctx.input_shapes[0]
    axis = ctx.layer.config.get("axis", -1)
    if axis is None or axis_index(axis, len(shape)) != len(shape) - 1:
        raise ConversionProblem(f"axis={axis!r} is not supported; only the last axis")


def _celu(ctx: LayerContext) -> Activation:
    alpha = _number(ctx, "alpha", 1.0)
    if alpha == 0:
        raise ConversionProblem("alpha=0 divides by zero (Keras computes NaN)")
    return Activation("celu", alpha=alpha)


def _softmax(kind: str) -> Callable[[LayerContext], Activation]:
    def make(ctx: LayerContext) -> Activation:
        _last_axis(ctx)
        return Activation(kind)
    return make


#: Keras 3 operation class -> the activation it computes, from the node's config.
ACTIVATION_OPS: dict[str, Callable[[LayerContext], Activation]] = {
    "Selu": lambda ctx: Activation("selu"),
    "Relu6": lambda ctx: Activation("relu", max_value=6.0),
    "Gelu": lambda ctx: Activation("gelu_tanh" if ctx.get_bool("approximate", True) else "gelu"),
    "Elu": lambda ctx: Activation("elu", alpha=_number(ctx, "alpha", 1.0)),
    "Celu": _celu,
    "LeakyRelu": lambda ctx: Activation("relu", alpha=_number(ctx, "negative_slope", 0.2)),
    "Softmax": _softmax("softmax"),
    "LogSoftmax": _softmax("log_softmax"),
    "LogSigmoid": lambda ctx: Activation("log_sigmoid"),
    "HardSigmoid": lambda ctx: Activation("hard_sigmoid_k3"),
    "HardSilu": lambda ctx: Activation("hard_silu_k3"),
    "HardTanh": lambda ctx: Activation("hard_tanh"),
    "HardShrink": lambda ctx: Activation("hard_shrink", threshold=_number(ctx, "threshold", 0.5)),
    "SoftShrink": lambda ctx: Activation("soft_shrink", threshold=_number(ctx, "threshold", 0.5)),
    "TanhShrink": lambda ctx: Activation("tanh_shrink"),
    "Threshold": lambda ctx: Activation("threshold", threshold=_number(ctx, "threshold", 0.0),
                                        value=_number(ctx, "default_value", 0.0)),
    "Squareplus": lambda ctx: Activation("squareplus", alpha=_number(ctx, "b", 4.0)),
    "SparsePlus": lambda ctx: Activation("sparse_plus"),
    "Softsign": lambda ctx: Activation("softsign"),
}


def _convert(ctx: LayerContext) -> Converted:
    shape = ctx.single_input()
    raw: Any = ctx.call.raw_args if ctx.call is not None and ctx.call.raw_args is not None else ()
    if len(raw) > 1:
        raise ConversionProblem(f"expects the tensor as its only positional argument, got {len(raw)} arguments")
    name = ctx.layer.class_name
    act = ACTIVATION_OPS[name](ctx)
    ctx.weights([])
    return Converted(ActivationOp(act), (shape,))


for _cls in ACTIVATION_OPS:
    converter("ops." + _cls)(_convert)
