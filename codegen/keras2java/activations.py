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
    "gelu", "hard_silu", "hard_swish", "mish",
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
    raise ActivationError(
        f"activation {name!r} is not supported (supported: {', '.join(SUPPORTED_NAMES)})")
