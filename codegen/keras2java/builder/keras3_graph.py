"""Pass 1, the Keras 3 normalisation of a Functional graph (beside the reader's
Keras 1/2 one, :mod:`keras2java.reader.legacy_keras`): what a saved graph means
once the recording quirks of each Keras version are taken out.

- **Operation nodes**: Keras 3 records ``keras.ops`` calls as op-layers
  (``module: keras.src.ops.*``); the registry names them ``ops.<Class>``.
- **Recorded mask graphs**: Keras 3 Functional configs record how masks are
  computed (``NotEqual``, ``Any``, ...) and pass them as ``mask=`` arguments;
  keras2java derives the same masks from Masking / Embedding(mask_zero=True)
  itself and builds a recorded one only where no derived mask answers it.
- **Node indices of nested models**: tf-keras and Keras 3 count a nested
  model's calls differently (:func:`node_shift`).
- **Mask clearing**: Keras 3 ``MultiHeadAttention`` clears the masks of its
  input tensors when it runs (:class:`MaskClearing`, precomputed per graph).

Everything here is a pure function of the saved config: no tensors, no IR.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping, Optional

from ..graph_order import call_refs, run_order
from ..ops import layer_spec
from ..ops.base import lambda_key
from ..reader.raw import InboundRef, RawLayer, RawModel

#: Keras 3 op-layers with which Functional configs record how masks are computed
#: (``NotEqual(x, mask_value)``, ``Any(..., axis=-1)``, and for merges of masked
#: inputs ``ExpandDims``, ``ZerosLike``, ``LogicalOr``, op-``Concatenate`` ...; attention:
#: ``ConvertToTensor(query_mask)``).
MASK_GRAPH_CLASSES = frozenset({"NotEqual", "Any", "All", "ExpandDims", "ZerosLike", "OnesLike", "LogicalOr",
                                "LogicalAnd", "Concatenate", "BroadcastTo", "Squeeze", "Cast", "ConvertToTensor"})
#: Those that are also layer classes: a Keras 3 ``.h5`` (no ``module``) cannot tell them apart.
LAYER_NAMED = frozenset({"Concatenate"})
#: Modules of Keras 3 operation nodes (``keras.ops`` calls recorded in Functional configs).
OPS_MODULES = ("keras.src.ops.", "keras.ops")


def is_operation(layer: RawLayer) -> bool:
    """True for a Keras 3 operation node (``module: keras.src.ops.*``) rather than a layer."""
    return layer.module.startswith(OPS_MODULES)


def spec_name(layer: RawLayer) -> str:
    """The registry name of a layer's class: operation nodes are ``ops.<Class>``, so
    the ``Concatenate`` operation and the ``Concatenate`` layer stay apart."""
    if layer.class_name == "Lambda":
        return lambda_key(layer.name)   # claimed by a plugin by its layer name, if at all
    return "ops." + layer.class_name if is_operation(layer) else layer.class_name


def mask_graph_layers(layers, outputs=()) -> frozenset:
    """Names of the op-layers that only compute masks: every use of their
    outputs is a ``mask=`` keyword argument or another such layer.  Keras 3
    records them in Functional configs; keras2java derives the same masks from
    Masking and Embedding(mask_zero=True) itself."""
    candidates = {layer.name for layer in layers if layer.class_name in MASK_GRAPH_CLASSES
                  and (is_operation(layer) or (not layer.module and layer.class_name not in LAYER_NAMED))}
    candidates -= {r.layer for r in outputs}   # model outputs are values, not masks
    changed = True
    while changed:
        changed = False
        for layer in layers:
            for call in layer.inbound_nodes:
                used = [r.layer for r in call.args]
                used += [r.layer for key, refs in call.kwargs.items() if key != "mask" for r in refs]
                if layer.name in candidates:
                    continue  # uses inside the mask graph are fine
                bad = candidates.intersection(used)
                if bad:
                    candidates -= bad
                    changed = True
    return frozenset(candidates)


def derived_mask(refs, mask_graph: frozenset) -> bool:
    """True if a ``mask=`` argument comes from the recorded mask computation."""
    return bool(refs) and all(r.layer in mask_graph for r in refs)


def node_shift(layer: RawLayer, keras_major: int, port: bool = False) -> int:
    """Index of a nested model's first saved call in references to it.

    A nested Functional model starts with a built-in node that configs do
    not save.  tf-keras counts it in every reference
    (``_should_skip_first_node``, which also covers a Sequential built with
    an InputLayer); Keras 3 counts it only in ``input_layers`` /
    ``output_layers`` and not in layer arguments (``functional.py``:
    ``node_reindexing_map`` versus ``serialize_node``).
    """
    sub = layer.submodel
    if sub is None:
        return 0
    if keras_major >= 3:
        return int(port and sub.class_name != "Sequential")
    if sub.class_name != "Sequential":
        return 1
    return int(bool(sub.layers) and sub.layers[0].class_name == "InputLayer")


def port_ref(ref: InboundRef, by_name: Mapping[str, RawLayer], keras_major: int) -> InboundRef:
    """A model input/output reference in the numbering layer arguments use
    (ports may count a nested model's calls differently)."""
    if ref.layer not in by_name:
        return ref
    lay = by_name[ref.layer]
    return InboundRef(ref.layer, ref.node_index - node_shift(lay, keras_major, port=True)
                      + node_shift(lay, keras_major), ref.tensor_index)


@dataclass(frozen=True)
class MaskClearing:
    """Keras 3 only: where each call ``(layer, node)`` runs (:func:`run_order`), and for each
    tensor ``(layer, node, index)`` the first run of a layer that clears its mask
    (``MultiHeadAttention``); ``same`` maps a tensor that a layer returned as it was given it
    (``keras3_same_tensor``: Dropout at inference) to that input, followed back to a tensor
    of its own: one object, one mask, cleared for all its names at once."""

    rank: Mapping[tuple[str, int], int]
    first: Mapping[tuple[str, int, int], int]
    same: Mapping[tuple[str, int, int], tuple[str, int, int]] = field(default_factory=dict)

    def before(self, call: tuple[str, int], ref: InboundRef) -> bool:
        """True if the mask of ``ref`` is cleared before ``call`` runs."""
        here = self.rank.get(call, -1)
        key = (ref.layer, ref.node_index, ref.tensor_index)
        return self.first.get(self.same.get(key, key), here) < here


def mask_clearing(raw: RawModel, calls, keras_major: int) -> Optional[MaskClearing]:
    """Where Keras 3 clears masks in this graph, if any of ``calls`` (``(layer, node, call)``,
    the calls the builder will make) does."""
    if keras_major < 3:
        return None
    clearing = [(layer, k, call) for layer, k, call in calls
                if (spec := layer_spec(spec_name(layer))) is not None and spec.keras3_clears_masks]
    if not clearing:
        return None
    by_name = {layer.name: layer for layer in raw.layers}

    def output_node(ref: InboundRef) -> tuple[str, int]:
        shift = (node_shift(by_name[ref.layer], keras_major) - node_shift(by_name[ref.layer], keras_major, port=True)
                 if ref.layer in by_name else 0)
        return ref.layer, ref.node_index + shift
    rank = run_order(raw, output_node)
    # the input each same-tensor call returns, by the call's (layer, node)
    passes = {(layer.name, k): call_refs(call)[0] for layer, k, call in calls
              if (spec := layer_spec(spec_name(layer))) is not None and spec.keras3_returns_input(layer.config)
              and len(call_refs(call)) == 1}

    def own(ref: InboundRef) -> tuple[str, int, int]:
        seen = set()
        while ref.tensor_index == 0 and (node := output_node(ref)) in passes and node not in seen:
            seen.add(node)
            ref = passes[node]
        return ref.layer, ref.node_index, ref.tensor_index
    refs = {r for _, _, call in calls for r in call_refs(call)}
    same = {(r.layer, r.node_index, r.tensor_index): own(r) for r in refs}
    first: dict[tuple[str, int, int], int] = {}
    for layer, k, call in clearing:
        at = rank.get((layer.name, k))
        if at is None:
            continue   # not on the way to an output: Keras never runs it
        for r in call_refs(call):
            key = own(r)
            first[key] = min(first.get(key, at), at)
    return MaskClearing(rank, first, same)


def clears_inner_input(sub: RawModel) -> Optional[str]:
    """The name of a layer inside nested model ``sub`` that clears the mask of one of
    the model's inputs (Keras 3 MultiHeadAttention reading it directly), or None."""
    inputs = {r.layer for r in sub.input_refs}
    for inner in sub.layers:
        spec = layer_spec(spec_name(inner))
        if spec is not None and spec.keras3_clears_masks and any(
                r.layer in inputs for call in inner.inbound_nodes for r in call_refs(call)):
            return inner.name
    return None
