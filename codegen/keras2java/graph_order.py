"""The order in which Keras 3 runs the calls of a Functional graph.

Keras 3 keeps masks as attributes of the tensors themselves, and
``MultiHeadAttention.call`` clears the mask of its query, value and key
tensors (``backend.set_keras_mask(query, None)``).  Whether another layer
reading the same tensor still sees its mask therefore depends on which of the
two runs first.  ``Function._run_through_graph`` runs the nodes depth by depth
(deepest first) and, within a depth, in the order ``map_graph`` listed them;
this module reproduces ``keras/src/ops/function.py`` (``_build_map`` and
``map_graph``) over a saved config.
"""
from __future__ import annotations

from collections import defaultdict
from typing import Callable, Iterable

from .reader.raw import InboundNode, InboundRef, RawModel

NodeKey = tuple[str, int]


def call_refs(call: InboundNode) -> tuple[InboundRef, ...]:
    """A call's tensors as Keras flattens them (``SymbolicArguments.keras_tensors``):
    positional arguments in order, then keyword arguments by sorted key."""
    refs = list(call.args)
    for key in sorted(call.kwargs):
        refs += list(call.kwargs[key])
    return tuple(refs)


def run_order(raw: RawModel, output_node: Callable[[InboundRef], NodeKey]) -> dict[NodeKey, int]:
    """Position of each call ``(layer name, node index)`` in Keras 3's execution of ``raw``.

    ``output_node`` maps a model output reference to the call that produces it
    (nested models count their calls differently in ``output_layers``)."""
    parents: dict[NodeKey, tuple[NodeKey, ...]] = {}
    for layer in raw.layers:
        if layer.class_name == "InputLayer":
            parents[(layer.name, 0)] = ()
        for k, call in enumerate(layer.inbound_nodes):
            parents[(layer.name, k)] = tuple((r.layer, r.node_index) for r in call_refs(call))

    # _build_map: depth-first from each output, nodes listed after their inputs
    listed: list[NodeKey] = []
    finished: set[NodeKey] = set()
    for ref in raw.output_refs:
        root = output_node(ref)
        if root not in parents or root in finished:
            continue
        stack: list[tuple[NodeKey, Iterable[NodeKey]]] = [(root, iter(parents[root]))]
        on_stack = {root}
        while stack:
            key, todo = stack[-1]
            nxt = next((p for p in todo if p in parents and p not in finished and p not in on_stack), None)
            if nxt is not None:
                stack.append((nxt, iter(parents[nxt])))
                on_stack.add(nxt)
                continue
            stack.pop()
            on_stack.discard(key)
            finished.add(key)
            listed.append(key)

    # map_graph: depths from the outputs (a shared layer takes its deepest call's depth)
    in_graph = set(listed)
    depths: dict[NodeKey, int] = {}
    layer_depth: dict[str, int] = {}
    for key in reversed(listed):
        depth = max(depths.setdefault(key, 0), layer_depth.get(key[0], 0))
        layer_depth[key[0]] = depth
        depths[key] = depth
        for parent in parents[key]:
            if parent in in_graph:
                depths[parent] = max(depth + 1, depths.get(parent, 0))
    for ref in raw.input_refs:   # inputs no output depends on
        key = (ref.layer, ref.node_index)
        if key in parents and not parents[key] and ref.layer not in layer_depth:
            depths[key] = 0
            layer_depth[ref.layer] = 0
    by_depth: dict[int, list[NodeKey]] = defaultdict(list)
    for key, depth in depths.items():
        by_depth[depth].append(key)
    order = [key for depth in sorted(by_depth, reverse=True) for key in by_depth[depth]]
    return {key: i for i, key in enumerate(order)}
