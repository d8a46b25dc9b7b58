"""Render views of merge layers (Concatenate, Add, ...)."""
from __future__ import annotations

from dataclasses import dataclass
from math import prod

from ..ir import AttentionOp, ConcatenateOp, DotOp, MergeOp, MultiHeadAttentionOp, Node
from .naming import float_literal
from .views import TensorInfo, comment, dim_expr, offset_expr, steps_expr

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


def dot_view(node: Node, field, ins: tuple[TensorInfo, ...], outs, layout) -> MergeView:
    from .sequence_views import TEMPLATE, KernelView   # the generic one-call fragment
    op: DotOp = node.op

    def dims(info: TensorInfo, axis: int) -> tuple[str, str, str]:
        if len(info.shape) == 1:
            return "1", str(info.shape[0]), "1"
        return str(info.shape[0]), str(info.shape[1]), str(axis)

    x, y = ins
    (xr, xc, ax), (yr, yc, ay) = dims(x, op.axes[0]), dims(y, op.axes[1])
    return KernelView(TEMPLATE, field, comment(node), outs[0].var, outs[0].length(), "Merge.dot",
                      (x.var, xr, xc, ax, y.var, yr, yc, ay,
                       "true" if op.normalize else "false", float_literal(op.inv_cap), outs[0].var, "ws", "0"),
                      ws_size=f"Merge.dotWorkspaceSize({xr}, {xc}, {yr}, {yc})")


ATTENTION_MODES = {"dot": "Attention.DOT", "concat": "Attention.CONCAT", "additive": "Attention.ADDITIVE"}


def _attention_view(node: Node, field, ins: tuple[TensorInfo, ...], outs, cls: str, ctor: tuple[str, ...],
                    scores: bool):
    """Attention-like layers: one runtime object called on (query, value, key) with an
    optional second output (the attention scores)."""
    from .sequence_views import TEMPLATE, KernelView
    q, v = ins[0], ins[1]
    k = ins[2] if len(ins) > 2 else v
    tq, tv = steps_expr(q), steps_expr(v)
    return KernelView(TEMPLATE, field, comment(node), outs[0].var, outs[0].length(), f"n.{field}.forward",
                      (q.var, tq, v.var, tv, k.var, outs[0].var, outs[1].var if scores else "null", "ws", "0"),
                      cls=cls, ctor_args=ctor, out2=outs[1].var if scores else "",
                      out2_len=outs[1].length() if scores else "", ws_size=f"n.{field}.workspaceSize({tq}, {tv})")


def attention_view(node: Node, field, ins: tuple[TensorInfo, ...], outs, layout):
    op: AttentionOp = node.op
    ctor = (ATTENTION_MODES[op.score_mode], str(ins[0].shape[-1]), str(ins[1].shape[-1]),
            "true" if op.causal else "false", offset_expr(layout, op.scale), offset_expr(layout, op.concat_weight))
    return _attention_view(node, field, ins, outs, "Attention", ctor, op.return_scores)


def multi_head_attention_view(node: Node, field, ins: tuple[TensorInfo, ...], outs, layout):
    op: MultiHeadAttentionOp = node.op
    k = ins[2] if len(ins) > 2 else ins[1]
    off = (lambda w: offset_expr(layout, w))
    ctor = (str(op.num_heads), str(op.key_dim), str(op.value_dim), "true" if op.causal else "false",
            str(ins[0].shape[-1]), str(k.shape[-1]), str(ins[1].shape[-1]), str(outs[0].shape[-1]),
            off(op.query_kernel), off(op.query_bias), off(op.key_kernel), off(op.key_bias),
            off(op.value_kernel), off(op.value_bias), off(op.output_kernel), off(op.output_bias))
    return _attention_view(node, field, ins, outs, "MultiHeadAttention", ctor, op.return_scores)


VIEWS = {ConcatenateOp: concatenate_view, MergeOp: merge_view, DotOp: dot_view, AttentionOp: attention_view,
         MultiHeadAttentionOp: multi_head_attention_view}
