"""TimeDistributed: a per-step layer applied to every timestep.

It adds no op of its own: a layer that acts on the last axis only (an op
with the ``time_distributable`` trait), an op that treats leading axes as a
row of independent frames (``per_frame``: the image ops of ``conv2d``) or
one that leaves the data unchanged (``alias``: Flatten, Reshape) gives the
same result on the whole ``(timesteps, ...)`` tensor.
"""
from __future__ import annotations

from dataclasses import replace
from typing import Mapping, Optional

from ..ir import format_shape
from ..reader.keras3 import to_snake_case
from ..reader.raw import RawLayer, freeze
from .base import ConversionProblem, MaskRule, Op, converter, layer_spec, op_classes
from .context import Composite, Converted, LayerContext, Step
from .norm import NormalizeOp, ScaleShiftOp
from .recurrent import _inner_layer
from .shape import PermuteOp


def _per_frame(op: Op, frames_fixed: bool) -> Optional[Op]:
    """The op applied to a row of frames (one more leading axis), or None if it cannot be."""
    if op.time_distributable or getattr(op, "per_frame", False) or op.alias or isinstance(op, NormalizeOp):
        return op
    if isinstance(op, ScaleShiftOp):
        return replace(op, axis=op.axis + 1)
    if isinstance(op, PermuteOp) and frames_fixed:
        return PermuteOp((0,) + tuple(d + 1 for d in op.dims))
    return None


def _supported() -> str:
    names = sorted(c.kind for c in op_classes() if c.time_distributable or getattr(c, "per_frame", False))
    return f"supported: per-step and per-frame layers ({', '.join(names)} ops), Flatten, Reshape, normalization"


def _lift(converted, cls: str, shape, frames_fixed: bool):
    """A converted inner layer on frames -> (steps on the whole tensor, its output shape per frame)."""
    if isinstance(converted, Converted):
        parts = [(converted.op, (0,), converted.output_shapes)]
        outputs = (1,)
    else:
        parts = [(st.op, st.inputs, st.output_shapes) for st in converted.steps]
        outputs = converted.outputs
    if len(outputs) != 1 or any(len(o) != 1 for _, _, o in parts):
        raise ConversionProblem(f"TimeDistributed({cls}) with several outputs is not supported")
    lifted = []
    for op, inputs, outs in parts:
        if getattr(op, "mask_zero", False):
            raise ConversionProblem(f"TimeDistributed({cls}(mask_zero=True)) is not supported")
        new = _per_frame(op, frames_fixed)
        if new is None:
            raise ConversionProblem(f"TimeDistributed({cls}) is not supported; {_supported()}")
        lifted.append((new, inputs, outs))
    return lifted, outputs[0]


def _nested_layers(inner_cfg: Mapping, outer: RawLayer) -> list:
    """The layers of a Sequential model wrapped by TimeDistributed, each with its stored weights."""
    cfg = inner_cfg.get("config") or {}
    layer_dicts = [ld for ld in (cfg.get("layers") or []) if isinstance(ld, Mapping)]
    weights = list(outer.weights)
    keras3 = any("/vars/" in w.name for w in weights)
    used: dict = {}
    out = []
    for ld in layer_dicts:
        cls = ld.get("class_name")
        lcfg = ld.get("config") or {}
        if not isinstance(cls, str) or cls == "InputLayer":
            continue
        name = lcfg.get("name") if isinstance(lcfg.get("name"), str) else cls
        if keras3:   # layers/<snake_case(class)>[_n]/vars/i, numbered per class in layer order
            g = to_snake_case(cls)
            used[g] = used.get(g, -1) + 1
            g = g if used[g] == 0 else f"{g}_{used[g]}"
            mine = sorted((w for w in weights if f"/layers/{g}/vars/" in "/" + w.name),
                          key=lambda w: int(w.name.rsplit("/", 1)[1]) if w.name.rsplit("/", 1)[1].isdigit() else 0)
        else:        # tf-keras: <layer name>/<weight>:0
            mine = [w for w in weights if w.name.startswith(name + "/") or f"/{name}/" in w.name]
        out.append(RawLayer(name, cls, freeze(dict(lcfg)), tuple(mine), ()))
    return out


@converter("TimeDistributed", mask=MaskRule.PASS)
def convert_time_distributed(ctx: LayerContext) -> "Converted | Composite":
    shape = ctx.single_input()
    if len(shape) < 2:
        raise ConversionProblem(f"input has shape {format_shape(shape)}; TimeDistributed needs (timesteps, ...)")
    inner_cfg = ctx.layer.config.get("layer")
    cls = inner_cfg.get("class_name") if isinstance(inner_cfg, Mapping) else None
    frames_fixed = shape[0] is not None
    if cls == "Sequential":
        layers = _nested_layers(inner_cfg, ctx.layer)
        if not layers or sum(len(l.weights) for l in layers) != len(ctx.layer.weights):
            # not a stack of per-frame layers: the per-step sub-model path says why, naming the layer
            from .time_distributed_models import convert_time_distributed_model
            return convert_time_distributed_model(ctx, inner_cfg)
    elif cls in ("Functional", "Model"):
        from .time_distributed_models import convert_time_distributed_model
        return convert_time_distributed_model(ctx, inner_cfg)
    else:
        if not isinstance(cls, str) or layer_spec(cls) is None:
            raise ConversionProblem(f"wrapped layer class {cls!r} is not supported")
        layers = [_inner_layer(inner_cfg, "wrapped layer", ctx.layer.weights, ctx.layer)]
    frame = tuple(shape[1:])
    steps: list = []
    current = 0            # index of the composite value holding the current tensor
    for layer in layers:
        spec = layer_spec(layer.class_name)
        if spec is None:
            raise ConversionProblem(f"wrapped layer class {layer.class_name!r} is not supported")
        try:
            converted = spec.convert(LayerContext(layer, (frame,), ctx.keras_major, None))
        except ConversionProblem as exc:
            raise ConversionProblem(*[f"wrapped {layer.class_name}: {r}" for r in exc.reasons]) from None
        lifted, out_index = _lift(converted, layer.class_name, frame, frames_fixed)
        per_frame = any(getattr(op, "per_frame", False) or isinstance(op, PermuteOp) for op, _, _ in lifted)
        if per_frame and any(d is None for d in frame):
            raise ConversionProblem(f"TimeDistributed({layer.class_name}) needs a fixed frame shape, "
                                    f"got {format_shape(frame)}")
        base = len(steps) + 1          # composite index of this layer's first step output
        local = {0: current}           # the converted layer's value index -> composite index
        for j, (op, inputs, outs) in enumerate(lifted):
            steps.append(Step(op, tuple(local[i] for i in inputs), ((shape[0],) + tuple(outs[0]),)))
            local[j + 1] = base + j
            frame = tuple(outs[0])
        current = local[out_index]
    if len(steps) == 1:
        return Converted(steps[0].op, steps[0].output_shapes)
    return Composite(tuple(steps), (current,))
