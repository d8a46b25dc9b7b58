"""Keras activation names → IR :class:`Activation`, with per-version semantics.

Keras changed ``hard_sigmoid``: Keras 1/2 and tf-keras compute
``clip(0.2x + 0.5, 0, 1)``; Keras 3 computes ``relu6(x + 3) / 6``.  The
``keras_major`` of the file that holds the model selects the definition.
"""
from __future__ import annotations

from typing import Any, Mapping

from .ir import Activation

SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946

#: Names accepted in ``activation=`` / ``recurrent_activation=`` configs.
SUPPORTED_NAMES = (
    "linear", "relu", "relu6", "leaky_relu", "sigmoid", "tanh", "softmax", "log_softmax",
    "hard_sigmoid", "elu", "selu", "softplus", "softsign", "exponential", "swish", "silu",
    "gelu", "hard_silu", "hard_swish", "mish", "celu", "log_sigmoid", "hard_tanh", "hard_shrink",
    "soft_shrink", "tanh_shrink", "squareplus", "sparse_plus",
)


class ActivationError(ValueError):
    pass


def activation_name(value: Any) -> str | None:
    """The activation's name from a config value (str, None or serialized dict)."""
    if value is None:
        return "linear"
    if isinstance(value, str):
        return value
    if isinstance(value, Mapping):
        cfg = value.get("config")
        if isinstance(cfg, str):
            return cfg
        if isinstance(cfg, Mapping) and isinstance(cfg.get("name"), str):
            return cfg["name"]
        reg = value.get("registered_name")
        if isinstance(reg, str):
            return reg
    return None


def parse_activation(value: Any, keras_major: int) -> Activation:
    """Parse an activation config value.  Raises :class:`ActivationError`."""
    name = activation_name(value)
    if name is None:
        raise ActivationError(f"activation {value!r} is not a recognized activation config")
    approximate = False
    if isinstance(value, Mapping) and isinstance(value.get("config"), Mapping):
        approximate = bool(value["config"].get("approximate", False))
    key = name.lower()
    if key in ("linear", "none"):
        return Activation("linear")
    if key == "relu":
        return Activation("relu")
    if key == "relu6":
        return Activation("relu", max_value=6.0)
    if key == "leaky_relu":
        return Activation("relu", alpha=0.2)
    if key in ("sigmoid", "tanh", "softplus", "softsign", "exponential", "selu", "mish",
               "softmax", "log_softmax"):
        return Activation(key)
    if key in ("swish", "silu"):
        return Activation("swish")
    if key == "elu":
        return Activation("elu", alpha=1.0)
    if key == "gelu":
        return Activation("gelu_tanh" if approximate else "gelu")
    if key == "hard_sigmoid":
        return Activation("hard_sigmoid_k3" if keras_major >= 3 else "hard_sigmoid_k2")
    if key in ("hard_silu", "hard_swish"):
        return Activation("hard_silu_k3")
    # Keras 3 only: the functions' defaults (celu alpha 1, shrink threshold 0.5, squareplus b 4)
    if key == "celu":
        return Activation("celu", alpha=1.0)
    if key in ("hard_shrink", "soft_shrink"):
        return Activation(key, threshold=0.5)
    if key == "squareplus":
        return Activation("squareplus", alpha=4.0)
    if key in ("log_sigmoid", "hard_tanh", "tanh_shrink", "sparse_plus"):
        return Activation(key)
    raise ActivationError(
        f"activation {name!r} is not supported (supported: {', '.join(SUPPORTED_NAMES)})")


# -- the numpy reference of every activation -------------------------------------------

_erf = None


def evaluate(a: Activation, x):
    """Keras' activation ``a`` applied to ``x`` (softmax kinds over the last axis), in
    float64 rounded to float32 (the numpy reference)."""
    import math

    import numpy as np

    global _erf
    if _erf is None:
        _erf = np.vectorize(math.erf, otypes=[np.float64])
    f32 = np.float32
    d = np.asarray(x, np.float64)
    k = a.kind
    with np.errstate(over="ignore", invalid="ignore"):
        if k == "linear":
            y = d
        elif k == "relu":
            x32 = np.asarray(x, f32)
            y = np.where(x32 > f32(a.threshold), x32, f32(0)) if a.threshold else np.maximum(x32, f32(0))
            if a.max_value is not None:
                y = np.minimum(y, f32(a.max_value))
            if a.alpha:
                neg = f32(a.threshold) - x32
                y = np.where(neg > 0, y - f32(a.alpha) * neg, y)
            y = np.asarray(y, np.float64)
        elif k == "sigmoid":
            y = 1.0 / (1.0 + np.exp(-d))
        elif k == "tanh":
            y = np.tanh(d)
        elif k == "hard_sigmoid_k2":
            y = np.clip(np.asarray(f32(0.2) * np.asarray(x, f32) + f32(0.5), f32), 0, 1)
        elif k == "hard_sigmoid_k3":
            y = np.clip(np.asarray(x, f32) + f32(3), 0, 6) / f32(6)
        elif k == "elu":
            y = np.where(d > 0, d, a.alpha * np.expm1(d))
        elif k == "selu":
            scale, alpha = 1.0507009873554804934193349852946, 1.6732632423543772848170429916717
            y = np.where(d > 0, scale * d, scale * alpha * np.expm1(d))
        elif k == "softplus":
            y = np.maximum(d, 0) + np.log1p(np.exp(-np.abs(d)))
        elif k == "softsign":
            y = d / (np.abs(d) + 1)
        elif k == "exponential":
            y = np.exp(d)
        elif k == "swish":
            y = d / (1.0 + np.exp(-d))
        elif k == "gelu":
            y = 0.5 * d * (1.0 + _erf(d / math.sqrt(2.0)))
        elif k == "gelu_tanh":
            y = 0.5 * d * (1.0 + np.tanh(0.7978845608028654 * (d + 0.044715 * d ** 3)))
        elif k == "hard_silu_k3":
            x32 = np.asarray(x, f32)
            y = x32 * (np.clip(x32 + f32(3), 0, 6) / f32(6))
        elif k == "mish":
            y = d * np.tanh(np.maximum(d, 0) + np.log1p(np.exp(-np.abs(d))))
        elif k == "celu":
            y = np.maximum(d, 0) + a.alpha * np.expm1(np.minimum(d, 0) / a.alpha)
        elif k == "log_sigmoid":
            y = -(np.maximum(-d, 0) + np.log1p(np.exp(-np.abs(d))))
        elif k == "hard_tanh":
            y = np.clip(d, -1, 1)
        elif k == "hard_shrink":
            x32 = np.asarray(x, f32)
            y = np.where(np.abs(x32) > f32(a.threshold), x32, f32(0))
        elif k == "soft_shrink":
            x32, t = np.asarray(x, f32), f32(a.threshold)
            y = np.where(x32 > t, x32 - t, np.where(x32 < -t, x32 + t, f32(0)))
        elif k == "tanh_shrink":
            y = d - np.tanh(d)
        elif k == "threshold":
            x32 = np.asarray(x, f32)
            y = np.where(x32 > f32(a.threshold), x32, f32(a.value))
        elif k == "squareplus":
            y = (d + np.sqrt(d * d + a.alpha)) / 2
        elif k == "sparse_plus":
            y = np.where(d <= -1, 0.0, np.where(d < 1, 0.25 * (d + 1) ** 2, d))
        elif k in ("softmax", "log_softmax"):
            z = d - d.max(axis=-1, keepdims=True)
            s = np.exp(z).sum(axis=-1, keepdims=True)
            y = np.exp(z) / s if k == "softmax" else z - np.log(s)
        else:
            raise ValueError(f"unknown activation {k}")
    return np.asarray(y, f32)
