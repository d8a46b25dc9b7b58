"""Render views of merge layers (Concatenate, Add, ...)."""
from __future__ import annotations

from dataclasses import dataclass
from math import prod

from ..ir import ConcatenateOp, MergeOp, Node
from .views import TensorInfo, comment, dim_expr

MODE_CONSTANTS = {"add": "ADD", "subtract": "SUBTRACT", "multiply": "MULTIPLY", "average": "AVERAGE",
                  "maximum": "MAXIMUM", "minimum": "MINIMUM"}


@dataclass(frozen=True)
class MergeView:
    template: str
    field: str
    comment: str
    inputs: tuple[str, ...]     # Java variables of the input buffers
    out: str
    out_len: str
    outer: str = ""             # Concatenate: number of blocks (product of the axes before the concat axis)
    parts: tuple[str, ...] = ()  # Concatenate: floats per block of each input
    mode: str = ""              # elementwise merges: Merge constant
    steps_check: tuple[str, ...] = ()   # distinct timestep counts that must agree at run time


def _steps_check(ins: tuple[TensorInfo, ...]) -> tuple[str, ...]:
    distinct = tuple(dict.fromkeys(i.steps for i in ins if i.steps is not None))
    return distinct if len(distinct) > 1 else ()


def concatenate_view(node: Node, field, ins: tuple[TensorInfo, ...], outs, layout) -> MergeView:
    op: ConcatenateOp = node.op
    k = op.axis
    steps = next((i.steps for i in ins if i.steps is not None), None)
    outer = dim_expr(outs[0].shape[:k], steps) if k > 0 else "1"
    parts = tuple(str(prod(i.shape[k:])) for i in ins)   # never includes the variable axis (k > 0 or fixed)
    return MergeView("ops/concatenate.j2", field, comment(node), tuple(i.var for i in ins), outs[0].var,
                     outs[0].length(), outer=outer, parts=parts,
                     steps_check=_steps_check(ins))


def merge_view(node: Node, field, ins: tuple[TensorInfo, ...], outs, layout) -> MergeView:
    op: MergeOp = node.op
    return MergeView("ops/merge.j2", field, comment(node), tuple(i.var for i in ins), outs[0].var,
                     outs[0].length(), mode=MODE_CONSTANTS[op.mode],
                     steps_check=_steps_check(ins))


VIEWS = {ConcatenateOp: concatenate_view, MergeOp: merge_view}
