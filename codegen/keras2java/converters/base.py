"""Shared helpers for converters: typed config access and problem reporting."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Optional, Sequence


from ..activations import ActivationError, parse_activation
from ..ir import Activation, Op, Shape, WeightTensor, format_shape
from ..reader.raw import InboundNode, RawLayer, RawWeight

_REQUIRED = object()


class ConversionProblem(Exception):
    """Raised by a converter for a layer it cannot convert.  ``reasons`` may
    hold several independent problems of the same layer."""

    def __init__(self, *reasons: str) -> None:
        self.reasons = tuple(reasons)
        super().__init__("; ".join(reasons))


@dataclass(frozen=True)
class Converted:
    """A converter's result: the op and the shape of each of its outputs."""

    op: Op
    output_shapes: tuple[Shape, ...]


@dataclass(frozen=True)
class LayerContext:
    """What a converter sees: the stored layer, the shapes of its inputs for
    this call, the Keras major version whose semantics apply, and the call."""

    layer: RawLayer
    input_shapes: tuple[Shape, ...]
    keras_major: int
    call: Optional[InboundNode] = None
    #: True when the (first) input carries a Keras mask that this layer consumes
    input_mask: bool = False

    # -- typed config access -------------------------------------------------
    def _get(self, key: str, default: Any) -> Any:
        cfg = self.layer.config
        if key in cfg:
            return cfg[key]
        if default is _REQUIRED:
            raise ConversionProblem(f"config has no {key!r}")
        return default

    def get_int(self, key: str, default: Any = _REQUIRED, minimum: int | None = None) -> int:
        v = self._get(key, default)
        if isinstance(v, float) and v.is_integer():
            v = int(v)
        if not isinstance(v, int) or isinstance(v, bool):
            raise ConversionProblem(f"config {key!r} is {v!r}, expected an integer")
        if minimum is not None and v < minimum:
            raise ConversionProblem(f"config {key!r} is {v}, expected at least {minimum}")
        return v

    def get_bool(self, key: str, default: Any = _REQUIRED) -> bool:
        v = self._get(key, default)
        if not isinstance(v, bool):
            raise ConversionProblem(f"config {key!r} is {v!r}, expected true or false")
        return v

    def get_float(self, key: str, default: Any = _REQUIRED) -> float:
        v = self._get(key, default)
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            raise ConversionProblem(f"config {key!r} is {v!r}, expected a number")
        return float(v)

    def get_opt_float(self, key: str, default: Any = None) -> Optional[float]:
        v = self._get(key, default)
        if v is None:
            return None
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            raise ConversionProblem(f"config {key!r} is {v!r}, expected a number or null")
        return float(v)

    def get_str(self, key: str, default: Any = _REQUIRED) -> str:
        v = self._get(key, default)
        if not isinstance(v, str):
            raise ConversionProblem(f"config {key!r} is {v!r}, expected a string")
        return v

    def activation(self, key: str, default: Any = "linear") -> Activation:
        v = self._get(key, default)
        try:
            return parse_activation(v, self.keras_major)
        except ActivationError as exc:
            raise ConversionProblem(f"{key}: {exc}") from None

    def reject_true(self, *keys: str, why: str = "is not supported") -> None:
        bad = [k for k in keys if self.layer.config.get(k) is True]
        if bad:
            raise ConversionProblem(*[f"{k}=True {why}" for k in bad])

    # -- inputs and weights ----------------------------------------------------
    def single_input(self) -> Shape:
        if len(self.input_shapes) != 1:
            raise ConversionProblem(f"expects one input, got {len(self.input_shapes)}")
        return self.input_shapes[0]

    def weights(self, specs: Sequence[tuple[str, tuple[int, ...]]]) -> tuple[WeightTensor, ...]:
        """Match the stored weights, in order, against ``(role, shape)`` specs."""
        stored: Sequence[RawWeight] = self.layer.weights
        if len(stored) != len(specs):
            expected = ", ".join(f"{r} {format_shape(s)}" for r, s in specs) or "none"
            found = ", ".join(f"{w.name} {format_shape(w.shape)}" for w in stored) or "none"
            raise ConversionProblem(
                f"expected {len(specs)} weight tensor(s) [{expected}], found {len(stored)} [{found}]")
        out = []
        bad = []
        for (role, shape), w in zip(specs, stored):
            if tuple(w.shape) != tuple(shape):
                bad.append(f"weight {role} ({w.name}) has shape {format_shape(w.shape)}, expected {format_shape(shape)}")
            else:
                out.append(WeightTensor(role, w.name, w.array))
        if bad:
            raise ConversionProblem(*bad)
        return tuple(out)


Converter = Callable[[LayerContext], Converted]


def last_dim(shape: Shape, what: str = "input") -> int:
    if not shape:
        raise ConversionProblem(f"{what} is a scalar; expected at least one axis")
    d = shape[-1]
    if d is None:
        raise ConversionProblem(f"{what} shape {format_shape(shape)} has an unknown last axis")
    return d


def require_rank(shape: Shape, rank: int, what: str = "input") -> None:
    if len(shape) != rank:
        raise ConversionProblem(f"{what} has shape {format_shape(shape)}, expected rank {rank} (without batch)")
