"""``TimeDistributed`` around a nested Sequential model whose layers all act per
timestep on the last axis (Dense, activations, normalizations, dropout, ...):
each layer's op on the whole ``(timesteps, ...)`` tensor gives the same values,
so the sub-model becomes a :class:`Composite` of its layers' ops.

Sub-networks that need their own time axis per step (an LSTM or Conv1D over
each word's characters) are refused, naming the inner layer.
"""
from __future__ import annotations

from typing import Mapping

from ..reader.keras3 import to_snake_case
from ..reader.raw import RawLayer, freeze
from .base import ConversionProblem, layer_spec, op_classes
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
        name = (ld.get("config") or {}).get("name", "")
        out.append(tuple(w for w in stored if w.name.startswith(f"{name}/") or f"/{name}/" in w.name))
    return out


def convert_time_distributed_model(ctx: LayerContext, inner_cfg: Mapping) -> Composite:
    shape = ctx.single_input()
    if inner_cfg.get("class_name") != "Sequential":
        raise ConversionProblem("TimeDistributed around a Functional model is not supported (only Sequential "
                                "models of per-step layers)")
    cfg = inner_cfg.get("config") or {}
    layers = cfg.get("layers") if isinstance(cfg, Mapping) else cfg
    if not isinstance(layers, (list, tuple)):
        raise ConversionProblem("the wrapped Sequential model has no layers list")
    layers = [ld for ld in layers if isinstance(ld, Mapping) and ld.get("class_name") != "InputLayer"]
    weights = _weights_for(layers, ctx.layer.weights)
    if sum(len(w) for w in weights) != len(ctx.layer.weights):
        raise ConversionProblem("cannot match the stored weights to the wrapped model's layers")
    steps: list[Step] = []     # value 0 is the input, value k + 1 the output of step k
    current = shape[1:]
    for ld, w in zip(layers, weights):
        cls = ld.get("class_name")
        spec = layer_spec(cls) if isinstance(cls, str) else None
        lcfg = ld.get("config") or {}
        name = lcfg.get("name", cls) if isinstance(lcfg, Mapping) else cls
        if spec is None or not isinstance(lcfg, Mapping):
            raise ConversionProblem(f"wrapped model layer {name!r}: class {cls!r} is not supported")
        raw = RawLayer(str(name), cls, freeze(dict(lcfg)), tuple(w), ())
        try:
            conv = spec.convert(LayerContext(raw, (current,), ctx.keras_major, None))
        except ConversionProblem as exc:
            raise ConversionProblem(*[f"wrapped model layer {name!r} ({cls}): {r}" for r in exc.reasons]) from None
        op = getattr(conv, "op", None)
        if not isinstance(conv, Converted) or not op.time_distributable or len(conv.output_shapes) != 1 \
                or getattr(op, "mask_zero", False):
            names = sorted(c.kind for c in op_classes() if c.time_distributable)
            raise ConversionProblem(f"wrapped model layer {name!r} ({cls}) does not act per step on the last axis; "
                                    f"TimeDistributed models may hold only per-step layers ({', '.join(names)} ops)")
        current = conv.output_shapes[0]
        steps.append(Step(op, (len(steps),), ((shape[0],) + tuple(current),)))
    if not steps:
        raise ConversionProblem("the wrapped Sequential model has no layers")
    return Composite(tuple(steps), (len(steps),))
