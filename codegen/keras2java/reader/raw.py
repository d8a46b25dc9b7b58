"""What the readers produce: the model config and the stored weights, untyped
by layer kind but otherwise structured.  The builder turns this into the IR.
"""
from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, Mapping, Optional

import numpy as np

from ..ir import SourceInfo


def freeze(value: Any) -> Any:
    """Recursively turn JSON dicts into read-only mappings and lists into tuples."""
    if isinstance(value, dict):
        return MappingProxyType({str(k): freeze(v) for k, v in value.items()})
    if isinstance(value, (list, tuple)):
        return tuple(freeze(v) for v in value)
    return value


@dataclass(frozen=True, eq=False)
class RawWeight:
    """A stored weight tensor, in Keras ``layer.weights`` order.

    ``name`` is the path or name under which the file stores it; it is shown
    in messages and by ``inspect``.  ``array`` is float32 (exactly converted
    from float16/bfloat16 when needed), or an integer/boolean array for state
    that is not a model parameter (``is_float`` is False).
    """

    name: str
    array: np.ndarray

    @property
    def is_float(self) -> bool:
        return self.array.dtype.kind == "f"

    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(int(d) for d in self.array.shape)


@dataclass(frozen=True)
class InboundRef:
    """A reference to a tensor produced by a layer call: ``layer[node][tensor]``."""

    layer: str
    node_index: int
    tensor_index: int


@dataclass(frozen=True)
class InboundNode:
    """One call of a layer in a Functional model: its positional tensor
    arguments (flattened, in order) and the keyword arguments that are
    tensors (for example ``initial_state`` or ``mask``)."""

    args: tuple[InboundRef, ...]
    kwargs: Mapping[str, tuple[InboundRef, ...]]
    other_kwargs: Mapping[str, Any]
    #: Keras 3: the call's positional arguments as saved (frozen JSON, tensors as
    #: ``__keras_tensor__`` entries): operation nodes read plain values from them.
    raw_args: Any = ()


@dataclass(frozen=True)
class RawLayer:
    name: str
    class_name: str
    config: Mapping[str, Any]                 # read-only JSON config of the layer
    weights: tuple[RawWeight, ...]            # in Keras layer.weights order
    inbound_nodes: tuple[InboundNode, ...]    # empty for Sequential layers
    #: Keras 3 ``build_config.input_shape`` (with batch axis), if saved.  Lets
    #: the builder keep checking layers downstream of a layer it rejected.
    build_input_shape: Optional[tuple] = None
    #: A nested Sequential / Functional model used as a layer (its own layers and weights).
    submodel: Optional["RawModel"] = None
    #: Keras 3 ``.keras`` assets of the layer (``assets/<layer path>/<file>`` -> bytes), e.g. vocabulary.txt.
    assets: Optional[Mapping[str, bytes]] = None
    #: Keras 3 ``module`` (``keras.layers``, or ``keras.src.ops.*`` for operation nodes)
    module: str = ""


@dataclass(frozen=True)
class RawModel:
    """A model as stored: its kind, its layers in config order, its weights."""

    source: SourceInfo
    name: str
    class_name: str                  # "Sequential" or "Functional"/"Model"
    layers: tuple[RawLayer, ...]
    input_refs: tuple[InboundRef, ...]    # Functional only
    output_refs: tuple[InboundRef, ...]   # Functional only
    input_shape: Optional[tuple]     # Sequential without InputLayer: (None, T, F)
    #: Keras 3 dict ports: the dict key of each input / output ref (None where not in a dict)
    input_keys: tuple = ()
    output_keys: tuple = ()
