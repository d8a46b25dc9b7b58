"""Emission rewriters: an ordered list of named rewrites of the IR graph, applied before
the Java views are built (:func:`rewrite`).

A rewriter changes only the order in which the generated code does the work, never a
value: the model's outputs keep their bits.  The validated model (``declared``) keeps its
nodes for everything users see (the layer list, messages); only the wiring changes.

1. :func:`conv_max_pool`: a Conv2D whose output only a 2 x 2 max pooling of strides 2
   reads becomes one node with it (``ops.pool2d.Conv2DMaxPoolOp``, ``Conv2D.forwardPooled``):
   the runtime then computes the convolution's outputs of each window's four pixels as four
   products of their own (from polyphase copies of the image) and writes only their maximum,
   not the full-size map.  Measured, cnn_lstm b1 (alternating, load 1.0-1.1): JDK 17
   4.40-4.46 -> 4.15-4.20 ms, JDK 25 3.71-3.97 -> 3.48-3.53.
2. :func:`frame_loops`: a chain of per-frame ops on a row of frames (``TimeDistributed``
   over Conv2D, pooling, ..., and between them activations, Dense layers and
   BatchNormalization over the channels) runs a few frames at a time (as many as keep the
   chain's largest map within 1 MiB, ``Frames.perPass``), every op on those frames before the
   next ones, instead of op by op over all frames.  The frames' feature maps then stay in the
   CPU's cache between the ops (a 64 x 64 x 16 map is 256 KiB; 16 frames of it, 4 MiB, went
   through memory), and the buffers hold a pass's frames instead of all of them.
"""
from __future__ import annotations

from collections import Counter
from typing import Callable

from ..ir import Model, ModelPort, Node, TensorSpec
from ..ops.base import Op
from ..ops.conv2d import Conv2DOp
from ..ops.pool2d import Pool2DOp, max_pool_after
from ..ops.wrappers import FrameLoopOp


def conv_max_pool(model: Model) -> Model:
    """Each Conv2D whose output is read only by a max pooling that
    :func:`~keras2java.ops.pool2d.max_pool_after` takes (and is no model output), with that
    pooling as one node in the pooling's place."""
    uses = Counter(t for node in model.nodes for t in node.inputs)
    uses.update(p.tensor for p in model.outputs)
    producers = {node.outputs[0]: node for node in model.nodes if len(node.outputs) == 1}
    merged: dict[int, Node] = {}   # pooling node -> the merged node
    dropped: set[int] = set()       # the convolutions merged
    for node in model.nodes:
        conv = producers.get(node.inputs[0]) if len(node.inputs) == 1 else None
        if (conv is None or not isinstance(node.op, Pool2DOp) or not isinstance(conv.op, Conv2DOp)
                or uses[node.inputs[0]] != 1 or len(conv.inputs) != 1):
            continue
        op = max_pool_after(conv.op, model.tensor(conv.inputs[0]).shape, model.tensor(node.inputs[0]).shape, node.op)
        if op is not None:
            merged[id(node)] = Node(f"{conv.layer_name} and {node.layer_name}", "Conv2D and MaxPooling2D", op,
                                    conv.inputs, node.outputs)
            dropped.add(id(conv))
    if not merged:
        return model
    nodes = tuple(merged.get(id(n), n) for n in model.nodes if id(n) not in dropped)
    return Model(model.name, model.source, model.inputs, model.outputs, model.tensors, nodes)


def _on_frames(op: Op, shape) -> bool:
    """The op runs per frame on an input of this shape: exactly one leading axis of frames,
    each frame of a fixed shape; an image op, or an op on each position's row of the last
    axis (``Op.frame_rows``: an activation, a Dense, BatchNormalization) on frames of images."""
    rank = len(shape)
    if op.alias or op.has_state or rank < 2 or any(d is None for d in shape[1:]):
        return False
    if op.frame_rows(rank):
        return rank > 3
    return op.per_frame and op.stream_outputs(rank) is not None and op.stream_outputs(rank - 1) is None


def frame_loops(model: Model) -> Model:
    """Each chain of two or more per-frame ops, every link the only use of its tensor and
    not a model output, as one :class:`FrameLoopOp` node that runs the chain (a sub-model)
    a pass of frames at a time."""
    uses = Counter(t for node in model.nodes for t in node.inputs)
    uses.update(p.tensor for p in model.outputs)
    chains: list[list[Node]] = []
    open_ends: dict[str, list[Node]] = {}   # a chain's last output -> the chain
    for node in model.nodes:
        if (len(node.inputs) != 1 or len(node.outputs) != 1
                or not _on_frames(node.op, model.tensor(node.inputs[0]).shape)
                or any(d is None for d in model.tensor(node.outputs[0]).shape[1:])):
            continue
        chain = open_ends.pop(node.inputs[0], None)
        if chain is None or uses[node.inputs[0]] != 1:
            chain = []
            chains.append(chain)
        chain.append(node)
        open_ends[node.outputs[0]] = chain
    # a chain runs at least one image op (row ops alone, as a Dense over timesteps, stay as they are)
    fused = {id(c[-1]): c for c in chains if len(c) > 1 and any(n.op.per_frame for n in c)}
    if not fused:
        return model
    inner = {id(n) for c in fused.values() for n in c}
    nodes = []
    for node in model.nodes:
        if id(node) in fused:
            nodes.append(_loop_node(model, fused[id(node)]))
        elif id(node) not in inner:
            nodes.append(node)
    return Model(model.name, model.source, model.inputs, model.outputs, model.tensors, tuple(nodes))


def _loop_node(model: Model, chain: list[Node]) -> Node:
    """The chain as one node: its sub-model holds the chain's nodes on a pass of frames (a
    variable number of them, ``Frames.perPass``)."""
    names = [chain[0].inputs[0]] + [n.outputs[0] for n in chain]
    tensors = tuple(TensorSpec(t, (None,) + tuple(model.tensor(t).shape[1:]), model.tensor(t).dtype) for t in names)
    sub = Model(f"{chain[0].layer_name} frames", model.source, (ModelPort(names[0], "frame"),),
                (ModelPort(names[-1], "frame"),), tensors, tuple(chain))
    return Node(f"{chain[0].layer_name} to {chain[-1].layer_name}", "a few frames at a time", FrameLoopOp(sub),
                chain[0].inputs, chain[-1].outputs)


#: The rewriters, in the order they run.
REWRITERS: tuple[tuple[str, Callable[[Model], Model]], ...] = (
    ("conv_max_pool", conv_max_pool),
    ("frame_loops", frame_loops),
)


def rewrite(model: Model) -> Model:
    """The model after every rewriter of :data:`REWRITERS`, in order."""
    for _name, rewriter in REWRITERS:
        model = rewriter(model)
    return model
