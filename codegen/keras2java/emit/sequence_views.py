"""Render views of convolution, pooling, normalization and shape layers.

Ops that change the number of timesteps declare a local ``final int s<k>``
holding their output length when it is only known at run time (``steps_decl``);
:func:`views.build_view` names that variable for the output tensor.
"""
from __future__ import annotations

from dataclasses import dataclass
from math import prod

from ..ir import (Conv1DOp, GlobalPool1DOp, Node, NormalizeOp, PermuteOp, Pool1DOp, ScaleShiftOp,
                  TimeResampleOp)
from .naming import float_literal, java_string
from .views import TensorInfo, activation_view, comment, dim_expr, offset_expr, steps_expr

PADDING = {"valid": "Conv1D.VALID", "same": "Conv1D.SAME", "causal": "Conv1D.CAUSAL"}
NORM_MODES = {"layer": "Normalize.LAYER", "rms": "Normalize.RMS", "unit": "Normalize.UNIT"}

#: Ops whose output has a different number of timesteps than their input.
TIME_CHANGING = (Conv1DOp, Pool1DOp, TimeResampleOp)


@dataclass(frozen=True)
class KernelView:
    """A node rendered by ``ops/kernel_call.j2``: ``target(call_args)`` after
    sizing the output buffer, with an optional per-layer object ``cls``
    constructed from the weights and an optional output-length variable."""

    template: str
    field: str
    comment: str
    out: str
    out_len: str
    target: str                 # Java method to call, e.g. "Pool1D.pool" or "n.L3.forward"
    call_args: tuple[str, ...]
    cls: str = ""               # runtime class of the per-layer object, if any
    ctor_args: tuple[str, ...] = ()   # constructor arguments after the weight array
    out_steps: str = ""         # output timesteps variable (declared when steps_decl is set)
    steps_decl: str = ""        # Java expression initializing ``out_steps``
    out2: str = ""              # a second output buffer, if any
    out2_len: str = ""
    ws_size: str = ""           # Java expression: floats of the model's workspace ``ws`` the call needs


TEMPLATE = "ops/kernel_call.j2"


def _outsteps_expr(outs: tuple[TensorInfo, ...], expr: str) -> tuple[str, str]:
    """(output steps expression, initializer of its variable or "" when fixed)."""
    o = outs[0]
    if o.shape and o.shape[0] is None:
        return o.steps, expr  # type: ignore[return-value]
    return str(o.shape[0]), ""


def _act_expr(a) -> str:
    v = activation_view(a)
    return f"Activation.{v.method}({', '.join(v.args)})"


def conv1d_view(node: Node, field, ins, outs, layout) -> KernelView:
    op: Conv1DOp = node.op
    x = ins[0]
    steps = steps_expr(x)
    out_steps, decl = _outsteps_expr(outs, f"Conv1D.outSteps({steps}, {op.kernel_size}, {op.strides}, {op.dilation}, "
                                       f"{PADDING[op.padding]}, {java_string(node.layer_name)})")
    ctor = (offset_expr(layout, op.kernel), offset_expr(layout, op.bias), offset_expr(layout, op.pointwise),
            str(op.kernel_size), str(x.shape[-1]), str(op.filters), str(op.out_channels), str(op.strides),
            str(op.dilation), PADDING[op.padding], str(op.groups), _act_expr(op.activation))
    return KernelView(TEMPLATE, field, comment(node), outs[0].var, outs[0].length(), f"n.{field}.forward",
                      (x.var, steps, outs[0].var, out_steps, "ws", "0"), cls="Conv1D", ctor_args=ctor,
                      out_steps=out_steps, steps_decl=decl, ws_size=f"n.{field}.workspaceSize({out_steps})")


def pool1d_view(node: Node, field, ins, outs, layout) -> KernelView:
    op: Pool1DOp = node.op
    x = ins[0]
    steps = steps_expr(x)
    same = "true" if op.padding == "same" else "false"
    out_steps, decl = _outsteps_expr(outs, f"Pool1D.outSteps({steps}, {op.pool_size}, {op.strides}, {same}, "
                                       f"{java_string(node.layer_name)})")
    mode = "Pool1D.MAX" if op.mode == "max" else "Pool1D.AVG"
    return KernelView(TEMPLATE, field, comment(node), outs[0].var, outs[0].length(), "Pool1D.pool",
                      (mode, x.var, steps, str(x.shape[-1]), str(op.pool_size), str(op.strides), same,
                       outs[0].var, out_steps), out_steps=out_steps, steps_decl=decl)


def global_pool1d_view(node: Node, field, ins, outs, layout) -> KernelView:
    op: GlobalPool1DOp = node.op
    x = ins[0]
    mode = "Pool1D.MAX" if op.mode == "max" else "Pool1D.AVG"
    return KernelView(TEMPLATE, field, comment(node), outs[0].var, outs[0].length(), "Pool1D.global",
                      (mode, x.var, steps_expr(x), str(x.shape[-1]), ins[1].var if op.masked else "null", outs[0].var))


def scale_shift_view(node: Node, field, ins, outs, layout) -> KernelView:
    op: ScaleShiftOp = node.op
    x = ins[0]
    k = op.axis
    outer = dim_expr(x.shape[:k], x.steps) if k > 0 else "1"
    inner = str(prod(x.shape[k + 1:]))   # the converter keeps the variable axis out of it
    return KernelView(TEMPLATE, field, comment(node), outs[0].var, outs[0].length(), f"n.{field}.forward",
                      (x.var, outer, inner, outs[0].var), cls="ScaleShift",
                      ctor_args=(offset_expr(layout, op.scale), offset_expr(layout, op.shift), str(x.shape[k])))


def normalize_view(node: Node, field, ins, outs, layout) -> KernelView:
    op: NormalizeOp = node.op
    x = ins[0]
    lead = len(x.shape) - op.axes
    rows = dim_expr(x.shape[:lead], x.steps) if lead > 0 else "1"
    return KernelView(TEMPLATE, field, comment(node), outs[0].var, outs[0].length(), f"n.{field}.forward",
                      (x.var, rows, outs[0].var), cls="Normalize",
                      ctor_args=(NORM_MODES[op.mode], str(prod(x.shape[lead:])), float_literal(op.epsilon),
                                 offset_expr(layout, op.gamma), offset_expr(layout, op.beta)))


def permute_view(node: Node, field, ins, outs, layout) -> KernelView:
    op: PermuteOp = node.op
    x = ins[0]
    shape = "new int[] {" + ", ".join(str(d) for d in x.shape) + "}"
    perm = "new int[] {" + ", ".join(str(d) for d in op.dims) + "}"
    return KernelView(TEMPLATE, field, comment(node), outs[0].var, outs[0].length(), "Reshape.permute",
                      (x.var, shape, perm, outs[0].var))


def resample_view(node: Node, field, ins, outs, layout) -> KernelView:
    op: TimeResampleOp = node.op
    x = ins[0]
    width = str(x.shape[-1])
    out = outs[0].var
    if op.mode == "repeat":
        return KernelView(TEMPLATE, field, comment(node), out, outs[0].length(), "Reshape.repeat",
                          (x.var, width, str(op.size), out))
    steps = steps_expr(x)
    if op.mode == "upsample":
        out_steps, decl = _outsteps_expr(outs, f"{steps} * {op.size}")
        call = ("Reshape.upsample", (x.var, steps, width, str(op.size), out))
    elif op.mode == "pad":
        out_steps, decl = _outsteps_expr(outs, f"{steps} + {op.before + op.after}")
        call = ("Reshape.pad", (x.var, steps, width, str(op.before), str(op.after), out))
    else:
        out_steps, decl = _outsteps_expr(outs, f"Reshape.cropSteps({steps}, {op.before}, {op.after}, "
                                           f"{java_string(node.layer_name)})")
        call = ("Reshape.crop", (x.var, width, str(op.before), out_steps, out))
    return KernelView(TEMPLATE, field, comment(node), out, outs[0].length(), call[0], call[1],
                      out_steps=out_steps, steps_decl=decl)


VIEWS = {
    Conv1DOp: conv1d_view,
    Pool1DOp: pool1d_view,
    GlobalPool1DOp: global_pool1d_view,
    ScaleShiftOp: scale_shift_view,
    NormalizeOp: normalize_view,
    PermuteOp: permute_view,
    TimeResampleOp: resample_view,
}
