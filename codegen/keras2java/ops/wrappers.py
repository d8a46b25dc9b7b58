"""TimeDistributed: a per-step layer applied to every timestep.

It adds no op of its own: a layer that acts on the last axis only (an op
with the ``time_distributable`` trait) gives the same result on the whole
``(timesteps, ...)`` tensor.
"""
from __future__ import annotations

from typing import Mapping

from ..ir import format_shape
from .base import ConversionProblem, MaskRule, converter, layer_spec, op_classes
from .context import Converted, LayerContext
from .recurrent import _inner_layer


@converter("TimeDistributed", mask=MaskRule.PASS)
def convert_time_distributed(ctx: LayerContext) -> "Converted | Composite":
    shape = ctx.single_input()
    if len(shape) < 2:
        raise ConversionProblem(f"input has shape {format_shape(shape)}; TimeDistributed needs (timesteps, ...)")
    inner_cfg = ctx.layer.config.get("layer")
    cls = inner_cfg.get("class_name") if isinstance(inner_cfg, Mapping) else None
    if cls in ("Sequential", "Functional", "Model"):
        from .time_distributed_models import convert_time_distributed_model
        return convert_time_distributed_model(ctx, inner_cfg)
    spec = layer_spec(cls) if isinstance(cls, str) else None
    if spec is None:
        raise ConversionProblem(f"wrapped layer class {cls!r} is not supported")
    inner = _inner_layer(inner_cfg, "wrapped layer", ctx.layer.weights, ctx.layer)
    sub = LayerContext(inner, (shape[1:],), ctx.keras_major, None)
    try:
        converted = spec.convert(sub)
    except ConversionProblem as exc:
        raise ConversionProblem(*[f"wrapped {cls}: {r}" for r in exc.reasons]) from None
    op = getattr(converted, "op", None)
    if op is not None and getattr(op, "mask_zero", False):
        raise ConversionProblem(f"TimeDistributed({cls}(mask_zero=True)) is not supported")
    if not isinstance(converted, Converted) or not op.time_distributable or len(converted.output_shapes) != 1:
        names = sorted(c.kind for c in op_classes() if c.time_distributable)
        raise ConversionProblem(f"TimeDistributed({cls}) is not supported; supported: per-step layers "
                                f"({', '.join(names)} ops)")
    return Converted(op, ((shape[0],) + tuple(converted.output_shapes[0]),))
