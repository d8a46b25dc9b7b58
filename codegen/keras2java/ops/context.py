"""What a converter sees and returns: the layer's context (typed config access,
weights matched by role and shape) and the op (or small graph of ops) a layer
becomes.  The shape rules converters share are in :mod:`.shape_rules`."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Optional, Sequence


from ..activations import ActivationError, parse_activation
from ..ir import Activation, Shape, WeightTensor, format_shape
from ..reader.raw import InboundNode, RawLayer, RawWeight
from .base import ConversionProblem, Op

_REQUIRED = object()


@dataclass(frozen=True)
class Converted:
    """A converter's result: the op and the shape of each of its outputs."""

    op: Op
    output_shapes: tuple[Shape, ...]


@dataclass(frozen=True)
class Step:
    """One op of a :class:`Composite`.  ``inputs`` index the values of the
    composite: first the layer's inputs, then each earlier step's outputs."""

    op: Op
    inputs: tuple[int, ...]
    output_shapes: tuple[Shape, ...]


@dataclass(frozen=True)
class Composite:
    """A converter's result made of several ops (plugins compose built-in ops).
    ``outputs`` index the composite's values, as :attr:`Step.inputs` do."""

    steps: tuple[Step, ...]
    outputs: tuple[int, ...]
    #: with :attr:`MaskRule.CONSUME`: the positions in ``outputs`` that carry the consumed mask on
    #: (when empty, the op producing the first output decides, by its :meth:`Op.mask_outputs`)
    mask_outputs: tuple[int, ...] = ()

    def output_shapes(self, input_shapes: tuple[Shape, ...]) -> tuple[Shape, ...]:
        shapes = list(input_shapes)
        for s in self.steps:
            shapes.extend(s.output_shapes)
        return tuple(shapes[i] for i in self.outputs)


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
    #: the dtype of each input ("float32", or "string" for a text model input)
    input_dtypes: tuple[str, ...] = ()
    #: :attr:`MaskRule.MERGE` and :attr:`MaskRule.ATTEND` layers: which inputs carry a Keras mask (empty if none does)
    input_masks: tuple[bool, ...] = ()
    #: True when the first input carries a Keras mask, whatever the layer's mask rule
    mask_in: bool = False
    #: builds a nested model's graph on its own (``TimeDistributed`` around a sub-network):
    #: ``(model config, weights_for, input shape) -> (Model, output carries a mask)``;
    #: raises :class:`ConversionProblem` naming the inner layers it cannot take
    build_submodel: Optional[Callable[..., Any]] = None

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
        floats = [w for w in stored if w.is_float]
        if len(floats) != len(stored):
            # integer/boolean tensors (Normalization's count, seed and lookup state) are
            # not parameters: skipped when the float weights are the ones expected
            if len(floats) != len(specs):
                bad = [w for w in stored if not w.is_float]
                raise ConversionProblem(*[f"weight {w.name} has dtype {w.array.dtype}; expected float32 weights"
                                          for w in bad])
            stored = floats
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
