"""Nested models: a Sequential or Functional model used as a layer is inlined
(its layers become nodes of the caller's graph, once per call), and a model
wrapped by ``TimeDistributed`` becomes a graph of its own."""
from __future__ import annotations

from typing import Any, Optional

from ..errors import ModelFileError
from ..ir import Model, ModelPort, Shape
from ..ops import ConversionProblem
from ..reader.config import parse_model_config
from ..reader.raw import RawLayer, RawModel


def inline(b, layer: RawLayer, sub: RawModel, inputs: tuple[str, ...]) -> Optional[tuple[str, ...]]:
    """A nested model used as a layer: its layers become nodes of this graph,
    fed by this call's inputs (called twice, it is inlined twice)."""
    n_problems = len(b.problems.problems)
    if sub.class_name == "Sequential":
        if len(inputs) != 1:
            b.report(layer, f"a nested Sequential model takes one input, got {len(inputs)}")
            return None
        _, outs = b.sequential(sub, inputs)
    else:
        if len(inputs) != len(sub.input_refs):
            b.report(layer, f"the nested model takes {len(sub.input_refs)} inputs, got {len(inputs)}")
            return None
        # Keras 3 configs record no mask= for a nested model's masked inputs while its
        # layers (built on an unmasked Input) are built
        fed = {t for t in inputs if t in b.masks} - b.runtime_masks
        b.runtime_masks |= fed
        try:
            _, outs = b.functional(sub, inputs)
        finally:
            b.runtime_masks -= fed
    if len(b.problems.problems) != n_problems or not outs:
        return None
    return tuple(p.tensor for p in outs)


def build_submodel(b, config: Any, weights_for: Any, shape: Shape) -> tuple[Model, bool]:
    """A nested model config (``TimeDistributed``'s layer) as a graph of its own, fed by one
    input of ``shape``; returns it and whether its output carries a Keras mask."""
    try:
        raw = parse_model_config(config, weights_for, b.raw.source, what="the wrapped model")
    except ModelFileError as exc:
        raise ConversionProblem(str(exc)) from None
    sub = b.spawn(raw)
    given = (sub.new_tensor(shape),)
    if raw.class_name == "Sequential":
        inputs, outputs = sub.sequential(raw, given)
    else:
        if len(raw.input_refs) != 1:
            raise ConversionProblem(f"the wrapped model takes {len(raw.input_refs)} inputs; expected one")
        inputs, outputs = sub.functional(raw, given)
    if sub.problems.problems:
        raise ConversionProblem(*[f"wrapped model {p.describe()}" for p in sub.problems.problems])
    if len(outputs) != 1:
        raise ConversionProblem(f"the wrapped model has {len(outputs)} outputs; expected one")
    model = Model(name=raw.name, source=b.raw.source, inputs=(ModelPort(given[0], "input"),),
                  outputs=outputs, tensors=tuple(sub.tensors), nodes=tuple(sub.nodes))
    return model, outputs[0].tensor in sub.masks
