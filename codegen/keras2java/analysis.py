"""Analyses of the IR that more than one stage needs: which tensors carry the
input's time axis (streaming), and which inputs are token ids.

Each question is answered from the ops' own traits (:mod:`keras2java.ops`).
"""
from __future__ import annotations

from dataclasses import replace
from typing import Optional

from .ir import Model


def timed_tensors(model: Model) -> Optional[set[str]]:
    """The tensors that carry the single input's time axis, or None if the model
    cannot be fed one timestep at a time (``Session``): the time axis must flow
    only through ops that can stream it (per-step layers, forward recurrent
    layers without initial-state inputs)."""
    if len(model.inputs) != 1:
        return None
    first = model.tensor(model.inputs[0].tensor).shape
    if not first or None in first[1:]:   # a frame must have a fixed size
        return None
    timed = {model.inputs[0].tensor}
    for node in model.nodes:
        if not any(t in timed for t in node.inputs):
            continue
        outs = node.op.stream_outputs(len(model.tensor(node.inputs[0]).shape))
        if outs is None:
            return None
        timed.update(node.outputs[i] for i in outs)
    return timed


def streamable(model: Model) -> bool:
    """True if feeding the single input one timestep at a time can reproduce
    ``predict`` on every prefix."""
    return timed_tensors(model) is not None


def relax_time(model: Model) -> Model:
    """The model with a variable time axis on every tensor that carries the
    input's timesteps (for streaming models saved with a fixed length)."""
    timed = timed_tensors(model)
    if timed is None:
        raise RuntimeError("internal error: relax_time called for a model that cannot stream")
    tensors = tuple(replace(t, shape=(None,) + tuple(t.shape[1:])) if t.name in timed else t for t in model.tensors)
    return replace(model, tensors=tensors)


def token_input(model: Model, tensor: str) -> bool:
    """True if the tensor feeds only ops that read token ids (Embedding and its mask)."""
    users = [n for n in model.nodes if tensor in n.inputs]
    return bool(users) and all(n.op.takes_token_ids() for n in users)


def token_range(model: Model, tensor: str) -> Optional[int]:
    """The smallest vocabulary among the ops reading the tensor as token ids, if any."""
    dims = [n.op.token_range() for n in model.nodes if tensor in n.inputs]
    dims = [d for d in dims if d is not None]
    return min(dims) if dims else None


def steps_multiple(model: Model) -> int:
    """A multiple of which every variable number of input timesteps can run the model's
    layers that need a multiple (Reshape((-1, ...)) dividing the timesteps): the product
    of their multiples (sufficient when the timesteps reach them through layers that
    multiply, keep or add up counts; strides or crops before them can break it)."""
    m = 1
    for node in model.nodes:
        m *= node.op.steps_multiple()
    return m
