"""``TimeDistributed`` around a nested Sequential or Functional model.

A sub-model whose layers all act per timestep on the last axis (Dense,
activations, normalizations, dropout, ...) gives the same values on the
whole ``(timesteps, ...)`` tensor, so it becomes a :class:`Composite` of its
layers' ops (:func:`convert_time_distributed_model`).

Any other sub-model (one with its own time axis per step: a per-character
Embedding + LSTM inside a tagger, a Conv1D and pooling over each word) is
built as a graph of its own and run once per outer step
(``wrappers.PerStepModelOp``): the generated code copies frame ``t`` into the
sub-graph's input, resets its recurrent states, runs its nodes and copies
its output into row ``t``.  Masks follow Keras: a mask the sub-model creates
(``Embedding(mask_zero=True)``, ``Masking``) acts inside it.  What leaves the
layer: Keras 3 passes the outer mask on unchanged and drops the inner output's
(``Layer.compute_mask``); tf-keras passes on the inner output's mask, reshaped
per step (``TimeDistributed.compute_mask``), refused here.  An outer mask
reaching the sub-model (Keras hands each step's slice to its first layer) is
refused.
"""
from __future__ import annotations

from typing import Any, Mapping

from ..ir import Model, format_shape
from ..reader.keras3 import to_snake_case
from ..reader.raw import RawLayer, freeze
from .base import ConversionProblem, Op, is_registered, layer_spec
from .context import Composite, Converted, LayerContext, Step


def _weights_for(layers: list, stored) -> list[tuple]:
    """Each inner layer's stored weights: Keras 3 groups ``.../layer/layers/<snake_case class>[_n]/``,
    legacy files name them ``<layer name>/<weight>``."""
    if stored and all("/layer/layers/" in w.name for w in stored):
        used: dict[str, int] = {}
        out = []
        for ld in layers:
            g = to_snake_case(ld["class_name"])
            used[g] = used.get(g, -1) + 1
            group = g if used[g] == 0 else f"{g}_{used[g]}"
            out.append(tuple(w for w in stored if f"/layer/layers/{group}/" in w.name))
        return out
    out = []
    for ld in layers:
        name = (ld.get("config") or {}).get("name", ld.get("name", ""))
        out.append(tuple(w for w in stored if w.name.startswith(f"{name}/") or f"/{name}/" in w.name))
    return out


def convert_time_distributed_model(ctx: LayerContext, inner_cfg: Mapping) -> "Composite | Model":
    """A nested model: per-step layers become a :class:`Composite` on the whole tensor,
    anything else the sub-graph run per step (a :class:`Model`, see ``wrappers.PerStepModelOp``)."""
    shape = ctx.single_input()
    if inner_cfg.get("class_name") != "Sequential":
        return convert_per_step_model(ctx, inner_cfg)
    cfg = inner_cfg.get("config") or {}
    layers = cfg.get("layers") if isinstance(cfg, Mapping) else cfg
    if not isinstance(layers, (list, tuple)):
        raise ConversionProblem("the wrapped Sequential model has no layers list")
    layers = [ld for ld in layers if isinstance(ld, Mapping) and ld.get("class_name") != "InputLayer"]
    weights = _weights_for(layers, ctx.layer.weights)
    if sum(len(w) for w in weights) != len(ctx.layer.weights):
        return convert_per_step_model(ctx, inner_cfg)
    steps: list[Step] = []     # value 0 is the input, value k + 1 the output of step k
    current = shape[1:]
    for ld, w in zip(layers, weights):
        cls = ld.get("class_name")
        spec = layer_spec(cls) if isinstance(cls, str) else None
        lcfg = ld.get("config") or {}
        name = lcfg.get("name", cls) if isinstance(lcfg, Mapping) else cls
        if spec is None or not isinstance(lcfg, Mapping):
            return convert_per_step_model(ctx, inner_cfg)
        raw = RawLayer(str(name), cls, freeze(dict(lcfg)), tuple(w), ())
        try:
            conv = spec.convert(LayerContext(raw, (current,), ctx.keras_major, None))
        except ConversionProblem:
            return convert_per_step_model(ctx, inner_cfg)
        op = getattr(conv, "op", None)
        if not isinstance(conv, Converted) or not op.time_distributable or len(conv.output_shapes) != 1 \
                or getattr(op, "mask_zero", False):
            return convert_per_step_model(ctx, inner_cfg)
        current = conv.output_shapes[0]
        steps.append(Step(op, (len(steps),), ((shape[0],) + tuple(current),)))
    if not steps:
        raise ConversionProblem("the wrapped Sequential model has no layers")
    return Composite(tuple(steps), (len(steps),))


# -- the per-step sub-graph ------------------------------------------------------------------


class _NestedWeights:
    """``weights_for`` of the wrapped model's layers, from the TimeDistributed layer's weights."""

    def __init__(self, layer_dicts: list, stored) -> None:
        named = [(i, ld) for i, ld in enumerate(layer_dicts)
                 if isinstance(ld, Mapping) and isinstance(ld.get("class_name"), str)]
        self.by_index = {}
        for (i, _), w in zip(named, _weights_for([ld for _, ld in named], stored)):
            self.by_index[i] = w
        self.count = sum(len(w) for w in self.by_index.values())

    def __call__(self, index: int, name: str, class_name: str):
        return self.by_index.get(index, ())


def _layer_dicts(inner_cfg: Mapping) -> list:
    cfg = inner_cfg.get("config") or {}
    layers = cfg.get("layers") if isinstance(cfg, Mapping) else cfg
    if not isinstance(layers, (list, tuple)):
        raise ConversionProblem("the wrapped model has no layers list")
    return list(layers)


def thaw(value: Any) -> Any:
    """A frozen config (read-only mappings, tuples) as plain JSON values again."""
    if isinstance(value, Mapping):
        return {k: thaw(v) for k, v in value.items()}
    if isinstance(value, tuple):
        return [thaw(v) for v in value]
    return value


def convert_per_step_model(ctx: LayerContext, inner_cfg: Mapping, weights_for: Any = None) -> Model:
    """The wrapped model's graph on one frame, checked for running once per outer step.
    ``weights_for(index, name, class)`` gives its layers' weights (default: matched by
    Keras 3 group or legacy name among the TimeDistributed layer's weights)."""
    shape = ctx.single_input()
    frame = tuple(shape[1:])
    if any(d is None for d in frame):
        raise ConversionProblem(f"the wrapped layer runs once per step and needs a fixed frame shape, "
                                f"got {format_shape(frame)}")
    if ctx.build_submodel is None:
        raise ConversionProblem("TimeDistributed around a sub-network is not supported here")
    if weights_for is None:
        weights_for = _NestedWeights(_layer_dicts(inner_cfg), ctx.layer.weights)
        if weights_for.count != len(ctx.layer.weights):
            raise ConversionProblem("cannot match the stored weights to the wrapped model's layers")
    if ctx.mask_in:
        raise ConversionProblem("a Keras mask reaching TimeDistributed around a sub-network is not supported "
                                "(Keras hands each step's mask to the sub-model's first layer)")
    sub, out_masked = ctx.build_submodel(thaw(inner_cfg), weights_for, frame)
    if out_masked and ctx.keras_major < 3:
        raise ConversionProblem("the wrapped model's output carries a Keras mask, which tf-keras' TimeDistributed "
                                "passes on per step; not supported")
    problems = []
    for node in sub.nodes:
        where = f"wrapped model layer {node.layer_name!r} ({node.class_name})"
        if not is_registered(node.op) or (not node.op.alias and type(node.op).view is Op.view):
            problems.append(f"{where}: op {type(node.op).__name__} has no Java emitter")
        if getattr(node.op, "stateful", False):
            problems.append(f"{where}: stateful=True inside TimeDistributed is not supported")
        if getattr(node.op, "takes_strings", False):
            problems.append(f"{where}: string layers inside TimeDistributed are not supported")
    for t in sub.tensors:
        if any(d is None for d in t.shape):
            problems.append(f"the wrapped model's tensor shape {format_shape(t.shape)} is not fixed")
            break
    if problems:
        raise ConversionProblem(*problems)
    return sub


