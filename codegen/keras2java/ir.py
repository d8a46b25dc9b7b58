"""The typed intermediate representation: the graph shared by every stage.

The reader produces a :class:`keras2java.reader.RawModel`; the builder turns it
into a :class:`Model` made of :class:`Node` objects, each holding one op (a
:class:`keras2java.ops.Op`; the ops themselves live in :mod:`keras2java.ops`,
one module per family).  Everything here is a frozen dataclass; weights are
read-only float32 numpy arrays.

Shapes never include the batch dimension.  ``None`` marks a dimension whose
size is only known at prediction time (the number of timesteps, or any other
axis of the ops that declare so: :attr:`keras2java.ops.Op.variable_axes`).
"""
from __future__ import annotations

from dataclasses import dataclass, field, fields
from types import MappingProxyType
from typing import TYPE_CHECKING, Mapping, Optional, Tuple

import numpy as np

if TYPE_CHECKING:   # pragma: no cover
    from .ops.base import Op

Dim = Optional[int]
Shape = Tuple[Dim, ...]


def format_shape(shape: Shape) -> str:
    return "(" + ", ".join("None" if d is None else str(d) for d in shape) + (",)" if len(shape) == 1 else ")")


def shape_text(shape: Shape) -> str:
    """``[timesteps, 11]``: a shape for people (docs, messages, ``inspect``); with variable
    axes other than the first, each variable axis is ``?`` (``[?, ?, 3]``)."""
    name = "timesteps" if all(d is not None for d in shape[1:]) else "?"
    return "[" + ", ".join(name if d is None else str(d) for d in shape) + "]"


@dataclass(frozen=True, eq=False)
class WeightTensor:
    """One stored weight: its role in the layer, where it came from, its data."""

    role: str
    source: str
    array: np.ndarray

    def __post_init__(self) -> None:
        arr = np.require(self.array, dtype=np.float32, requirements="C")   # keeps scalars 0-d
        if arr is not self.array:
            object.__setattr__(self, "array", arr)
        arr.setflags(write=False)

    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(int(d) for d in self.array.shape)

    @property
    def size(self) -> int:
        return int(self.array.size)


@dataclass(frozen=True)
class Activation:
    """An elementwise (or last-axis, for softmax) activation with its parameters.

    ``kind`` is one of :data:`ACTIVATION_KINDS`.  ``hard_sigmoid`` has two
    kinds because Keras changed its definition: ``hard_sigmoid_k2`` is
    ``clip(0.2x+0.5, 0, 1)`` (Keras 1/2, tf-keras) and ``hard_sigmoid_k3`` is
    ``relu6(x+3)/6`` (Keras 3).  ``hard_silu_k3`` is ``x*hard_sigmoid_k3(x)``.
    """

    kind: str
    alpha: float = 0.0          # relu negative slope; elu and celu alpha; squareplus b
    max_value: Optional[float] = None   # relu clip
    threshold: float = 0.0      # relu, threshold, hard_shrink and soft_shrink threshold
    value: float = 0.0          # threshold's default_value

    @property
    def is_linear(self) -> bool:
        return self.kind == "linear"

    @property
    def is_last_axis(self) -> bool:
        return self.kind in ("softmax", "log_softmax")

    def describe(self) -> str:
        extras = []
        if self.kind == "relu":
            if self.alpha:
                extras.append(f"negative_slope={self.alpha:g}")
            if self.max_value is not None:
                extras.append(f"max_value={self.max_value:g}")
            if self.threshold:
                extras.append(f"threshold={self.threshold:g}")
        elif self.kind in ("elu", "celu") and self.alpha != 1.0:
            extras.append(f"alpha={self.alpha:g}")
        elif self.kind == "squareplus":
            extras.append(f"b={self.alpha:g}")
        elif self.kind in ("hard_shrink", "soft_shrink"):
            extras.append(f"threshold={self.threshold:g}")
        elif self.kind == "threshold":
            extras.append(f"threshold={self.threshold:g}, default_value={self.value:g}")
        return self.kind + (f"({', '.join(extras)})" if extras else "")


ACTIVATION_KINDS = (
    "linear", "relu", "sigmoid", "tanh", "hard_sigmoid_k2", "hard_sigmoid_k3",
    "elu", "selu", "softplus", "softsign", "exponential", "swish", "gelu",
    "gelu_tanh", "hard_silu_k3", "mish", "softmax", "log_softmax",
    "celu", "log_sigmoid", "hard_tanh", "hard_shrink", "soft_shrink", "tanh_shrink", "threshold",
    "squareplus", "sparse_plus",
)

LINEAR = Activation("linear")


@dataclass(frozen=True)
class TensorSpec:
    """A value flowing between nodes.  ``name`` is an internal identifier.
    ``dtype`` is ``"float32"``, or ``"string"`` for a text model input (which only
    string ops such as TextVectorization read)."""

    name: str
    shape: Shape
    dtype: str = "float32"


@dataclass(frozen=True)
class Node:
    """One application of a layer: an op with its input and output tensors."""

    layer_name: str      # the Keras layer name, used only in messages
    class_name: str      # the Keras class name
    op: "Op"
    inputs: tuple[str, ...]
    outputs: tuple[str, ...]


@dataclass(frozen=True)
class ModelPort:
    """A model input or output: the tensor and the Keras name it came from."""

    tensor: str
    keras_name: str


@dataclass(frozen=True)
class SourceInfo:
    path: str
    sha256: str
    format: str          # "keras-v3-zip", "legacy-h5", ...
    keras_version: str   # as written in the file, "" if unknown
    keras_major: int     # 1, 2 or 3: selects version-dependent semantics
    #: Legacy layouts: (layer name, "stored tensor (shape) -> gate and role") lines for ``inspect``.
    weight_map: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Model:
    name: str
    source: SourceInfo
    inputs: tuple[ModelPort, ...]
    outputs: tuple[ModelPort, ...]
    tensors: tuple[TensorSpec, ...]
    nodes: tuple[Node, ...]
    _index: Mapping[str, TensorSpec] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_index", MappingProxyType({t.name: t for t in self.tensors}))

    def tensor(self, name: str) -> TensorSpec:
        return self._index[name]

    def param_count(self) -> int:
        return sum(w.size for w in self.unique_weights())

    def unique_weights(self) -> tuple[WeightTensor, ...]:
        """Every distinct weight tensor once, in node order (shared layers once)."""
        seen: set[int] = set()
        out = []
        for node in self.nodes:
            for w in node.op.weights():
                if id(w) not in seen:
                    seen.add(id(w))
                    out.append(w)
        return tuple(out)
