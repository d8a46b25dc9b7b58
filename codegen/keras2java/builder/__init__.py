"""Stage 2: turn a :class:`RawModel` into the typed IR (:class:`ir.Model`).

Each layer call becomes one or more :class:`ir.Node`; converters from the
registry produce the ops and infer output shapes.  Problems are collected for
every layer and raised together.

The builder is an ordered list of named passes (the readers have already
upgraded Keras 1/2 configs, :mod:`keras2java.reader.legacy_keras`):

1. :mod:`.keras3_graph`, Keras 3 normalisation of a graph: operation nodes,
   recorded mask graphs, nested-model node indices, where MultiHeadAttention
   clears masks;
2. :mod:`.layer_check`, per layer: is the class known and its dtype float32
   (:attr:`LayerSpec.config_dtype`);
3. :mod:`.masks`, per call: which Keras masks it reads and passes on;
4. :mod:`.layer_call`, per call: the converter, and the nodes it makes.

The drivers :mod:`.sequential` and :mod:`.functional` walk a model's calls
through passes 2-4; :mod:`.nested` inlines nested models.  :class:`GraphBuilder`
holds the graph being built (tensors, nodes, masks) that the passes share.
"""
from __future__ import annotations

from typing import Any, Optional

from ..errors import ProblemCollector
from ..ir import Model, Node, Shape, TensorSpec
from ..ops import supported_classes
from ..ops.text import string_input, string_input_shape
from ..reader.raw import RawLayer, RawModel
from . import functional, layer_call, nested, sequential
from .keras3_graph import derived_mask, is_operation, mask_graph_layers, spec_name
from .layer_check import check_dtype, class_problem, input_layer_shape
from .layer_call import composite_problem


class GraphBuilder:
    """The graph being built from one model (a nested ``TimeDistributed`` model gets its
    own): its tensors and nodes, the Keras masks they carry, the problems found."""

    def __init__(self, raw: RawModel) -> None:
        self.raw = raw
        self.problems = ProblemCollector()
        self.tensors: list[TensorSpec] = []
        self.nodes: list[Node] = []
        self.major = raw.source.keras_major
        self.masks: dict[str, str] = {}   # tensor -> its Keras mask tensor (T,)
        self.explicit_masks: set[str] = set()   # mask tensors the model computes (mask= arguments)
        self.unknown_classes = False   # some layer class has no converter
        #: Tensors masked only at run time, whose masks Keras 3 configs do not record as
        #: ``mask=`` arguments: the outputs of nested models (Keras sets no mask on their
        #: symbolic outputs), a nested model's masked inputs while its layers (built on an
        #: unmasked Input) are built, and what follows from them
        self.runtime_masks: set[str] = set()

    def spawn(self, raw: RawModel) -> "GraphBuilder":
        return GraphBuilder(raw)

    # -- tensors ---------------------------------------------------------------
    def new_tensor(self, shape: Shape, dtype: str = "float32") -> str:
        name = f"t{len(self.tensors)}"
        self.tensors.append(TensorSpec(name, tuple(shape), dtype))
        return name

    def dtype_of(self, tensor: str) -> str:
        return self.tensors[int(tensor[1:])].dtype

    def shape_of(self, tensor: str) -> Shape:
        return self.tensors[int(tensor[1:])].shape

    def input_tensor(self, layer: RawLayer) -> str:
        """A model input: float32, or a string input (``Input(dtype="string")``) for text models."""
        if string_input(layer):
            return self.new_tensor(string_input_shape(layer), "string")
        return self.new_tensor(input_layer_shape(layer))

    # -- problems --------------------------------------------------------------
    def report(self, layer: RawLayer, reason: str) -> None:
        self.problems.add(layer.name, layer.class_name, reason)

    def check_class(self, layer: RawLayer) -> bool:
        """Pass 2 (:mod:`.layer_check`): False after reporting a layer that cannot be converted."""
        problem = class_problem(layer, self.major)
        if problem is None:
            return True
        reason, unknown = problem
        self.report(layer, reason)
        self.unknown_classes |= unknown
        return False

    # -- the passes and drivers, which call each other through the builder -------------
    def apply(self, layer: RawLayer, inputs: tuple[str, ...], call=None,
              explicit_mask: Optional[str] = None, cleared: frozenset = frozenset()) -> Optional[tuple[str, ...]]:
        return layer_call.apply(self, layer, inputs, call, explicit_mask, cleared)

    def inline(self, layer: RawLayer, sub: RawModel, inputs: tuple[str, ...]) -> Optional[tuple[str, ...]]:
        return nested.inline(self, layer, sub, inputs)

    def build_submodel(self, config: Any, weights_for: Any, shape: Shape) -> tuple[Model, bool]:
        return nested.build_submodel(self, config, weights_for, shape)

    def sequential(self, raw: Optional[RawModel] = None, given: Optional[tuple[str, ...]] = None):
        return sequential.sequential(self, raw or self.raw, given)

    def functional(self, raw: Optional[RawModel] = None, given: Optional[tuple[str, ...]] = None):
        return functional.functional(self, raw or self.raw, given)


def build_model(raw: RawModel) -> Model:
    """Build the IR, raising :class:`UnsupportedModelError` listing every problem."""
    b = GraphBuilder(raw)
    if raw.class_name == "Sequential":
        inputs, outputs = b.sequential()
    else:
        inputs, outputs = b.functional()
    if not b.problems.problems and (not inputs or not outputs):
        b.problems.add(None, None, "the model has no inputs or no outputs")
    # the list of supported classes helps only when a layer class is unknown
    b.problems.raise_if_any(hint="Supported layer classes: " + ", ".join(supported_classes())
                            if b.unknown_classes else "")
    return Model(name=raw.name, source=raw.source, inputs=inputs, outputs=outputs,
                 tensors=tuple(b.tensors), nodes=tuple(b.nodes))


__all__ = ["GraphBuilder", "build_model", "check_dtype", "composite_problem", "derived_mask", "is_operation",
           "mask_graph_layers", "spec_name"]
