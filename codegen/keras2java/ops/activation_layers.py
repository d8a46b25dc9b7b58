"""Activation layers with parameters: PReLU, ``relu(x) - alpha * relu(-x)``, i.e.
``x`` where ``x > 0`` else ``alpha * x`` (Keras 3
``keras/src/layers/activations/prelu.py`` and tf-keras agree).  Its op is the
elementwise :class:`.preprocessing.PointwiseOp` with a broadcast ``alpha``.
"""
from __future__ import annotations

from typing import Optional

from ..ir import format_shape
from .base import ConversionProblem, MaskRule, converter
from .context import Converted, LayerContext
from .preprocessing import PointwiseOp, _axis_list, _layout


@converter("PReLU", mask=MaskRule.PASS)
def convert_prelu(ctx: LayerContext) -> Converted:
    shape = ctx.single_input()
    shared = _axis_list(ctx.layer.config.get("shared_axes"), "shared_axes")
    pshape: list[Optional[int]] = list(shape)
    for i in shared:   # Keras: param_shape[i - 1] = 1 (Python indexing)
        try:
            pshape[i - 1] = 1
        except IndexError:
            raise ConversionProblem(f"shared_axes {list(shared)} is out of range for inputs of rank {len(shape) + 1}")\
                from None
    if any(d is None for d in pshape):
        raise ConversionProblem("alpha cannot vary along a variable axis; share it along each variable axis "
                                "(shared_axes=[1] for timesteps, [1, 2] for images of any size)")
    (alpha,) = ctx.weights([("alpha", tuple(pshape))])   # type: ignore[arg-type]
    dims, (sa, _) = _layout(shape, [tuple(pshape), tuple(pshape)])   # type: ignore[arg-type]
    note = f"alpha {format_shape(alpha.shape)}" + (f", shared along axes {list(shared)}" if shared else "")
    return Converted(PointwiseOp("prelu", alpha, None, dims, sa, tuple(0 for _ in dims), note), (shape,))
