"""Bidirectional over a recurrent layer (:mod:`.recurrent`): a forward and a
backward op run over the sequence, their outputs merged (``merge_mode``).

Semantics follow Keras 3 ``keras/src/layers/rnn/bidirectional.py`` and
tf-keras ``tf_keras/layers/rnn/bidirectional.py``; without a saved
``backward_layer`` (tf-keras) the backward layer is the forward config with
``go_backwards`` flipped.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from typing import ClassVar, Mapping, Optional

import numpy as np

from ..ir import Shape
from .base import ConversionProblem, MaskRule, Op, converter, register_op
from .context import Converted, LayerContext
from .recurrent import RNN_CONVERTERS, _inner_layer, _rnn, recurrent_batch_view, recurrent_view
from .view import RecurrentBatchView, RecurrentView, ViewContext

f32 = np.float32

MERGE_MODES = ("concat", "sum", "mul", "ave", None)
MERGE_CONSTANTS = {"concat": "CONCAT", "sum": "SUM", "mul": "MUL", "ave": "AVE", None: "NONE"}


@register_op
@dataclass(frozen=True)
class BidirectionalOp(Op):
    """Keras Bidirectional over two recurrent ops.

    Inputs: x, then (with ``initial_state``) the forward then the backward
    initial states, then (with ``masked``) the mask.  Outputs: the merged
    output (two outputs, forward then flipped backward, when ``merge_mode``
    is None), then with ``return_state`` the forward then the backward states.
    """

    forward: Op
    backward: Op
    merge_mode: Optional[str]       # "concat", "sum", "mul", "ave" or None
    return_sequences: bool
    return_state: bool = False
    stateful: bool = False
    masked: bool = False
    initial_state: bool = False
    kind: ClassVar[str] = "bidirectional"
    has_state: ClassVar[bool] = True
    runtime: ClassVar[tuple[str, ...]] = ("Bidirectional", "Recurrent", "LstmCell", "GruCell", "SimpleRnnCell",
                                          "Activation", "Check")

    @property
    def state_count(self) -> int:
        return self.forward.state_count + self.backward.state_count  # type: ignore[attr-defined]

    def mask_outputs(self):
        if not self.return_sequences:
            return ()
        return (0, 1) if self.merge_mode is None else (0,)

    def reference_problem(self):
        if self.masked or self.initial_state:
            return "the numpy reference does not implement masks or initial states as inputs"
        return None

    def evaluate(self, inputs):
        return _bidirectional(self, inputs)

    def view(self, node, ctx: ViewContext) -> RecurrentView:
        return recurrent_view(self, node, ctx, (("forward", self.forward), ("backward", self.backward)),
                              MERGE_CONSTANTS[self.merge_mode])

    def batch_view(self, node, ctx: ViewContext) -> Optional[RecurrentBatchView]:
        return recurrent_batch_view(self, node, ctx, MERGE_CONSTANTS[self.merge_mode])

    def describe_weights(self):
        lines = []
        for label, sub in (("forward", self.forward), ("backward", self.backward)):
            lines.extend(f"{line} [{label}]" for line in sub.describe_weights())
        return lines


def _bidirectional(op, ins: list) -> list:
    fs, fst = _rnn(op.forward, ins[0])
    bs, bst = _rnn(op.backward, ins[0])
    if op.return_sequences:
        f, b = fs, bs[::-1]   # Keras flips the backward sequence back along time
    else:
        f, b = fs[-1], bs[-1]
    if op.merge_mode is None:
        outs = [f, b]
    elif op.merge_mode == "concat":
        outs = [np.concatenate([f, b], axis=-1)]
    elif op.merge_mode == "sum":
        outs = [f + b]
    elif op.merge_mode == "mul":
        outs = [f * b]
    else:
        outs = [(f + b) / f32(2)]
    return outs + ((fst + bst) if op.return_state else [])


def _weight_count(layer_cfg: Mapping) -> int:
    cfg = layer_cfg.get("config") or {}
    if layer_cfg.get("class_name") == "RNN" and isinstance(cfg.get("cell"), Mapping):
        cfg = cfg["cell"].get("config") or {}
    return 3 if cfg.get("use_bias", True) is not False else 2


@converter("Bidirectional", mask=MaskRule.CONSUME, tensor_kwargs=("initial_state",))
def convert_bidirectional(ctx: LayerContext) -> "Converted | Composite":
    cfg = ctx.layer.config
    merge_mode = cfg.get("merge_mode", "concat")
    if merge_mode not in MERGE_MODES:
        raise ConversionProblem(f"merge_mode {merge_mode!r} is not one of concat, sum, mul, ave, None")
    fwd_cfg = cfg.get("layer")
    fwd_cell = (fwd_cfg.get("config") or {}).get("cell") if isinstance(fwd_cfg, Mapping) else None
    if isinstance(fwd_cell, Mapping) and fwd_cell.get("class_name") == "StackedRNNCells":
        from .stacked_rnn import convert_bidirectional_stack
        return convert_bidirectional_stack(ctx, fwd_cfg, cfg.get("backward_layer"))
    if not isinstance(fwd_cfg, Mapping) or fwd_cfg.get("class_name") not in RNN_CONVERTERS:
        cls = fwd_cfg.get("class_name") if isinstance(fwd_cfg, Mapping) else None
        raise ConversionProblem(f"wrapped layer {cls!r} is not supported; Bidirectional supports "
                                + ", ".join(RNN_CONVERTERS))
    bwd_cfg = cfg.get("backward_layer")
    if bwd_cfg is None:
        # tf-keras: the backward layer is the forward config with go_backwards flipped.
        inner = dict(fwd_cfg.get("config") or {})
        inner["go_backwards"] = not inner.get("go_backwards", False)
        bwd_cfg = {"class_name": fwd_cfg["class_name"], "config": inner}
    elif not isinstance(bwd_cfg, Mapping) or bwd_cfg.get("class_name") not in RNN_CONVERTERS:
        cls = bwd_cfg.get("class_name") if isinstance(bwd_cfg, Mapping) else None
        raise ConversionProblem(f"backward_layer {cls!r} is not supported")
    n_f = _weight_count(fwd_cfg)
    stored = ctx.layer.weights
    fwd_layer = _inner_layer(fwd_cfg, "forward layer", stored[:n_f], ctx.layer)
    bwd_layer = _inner_layer(bwd_cfg, "backward layer", stored[n_f:], ctx.layer)
    if not ctx.input_shapes:
        raise ConversionProblem("expects an input")
    x = ctx.input_shapes[0]
    states = ctx.input_shapes[1:]
    fwd_states = bwd_states = ()
    if states:
        half = len(states) // 2
        fwd_states, bwd_states = states[:half], states[half:]
    problems = []
    ops = []
    for label, layer, st in (("forward layer", fwd_layer, fwd_states), ("backward layer", bwd_layer, bwd_states)):
        sub = LayerContext(layer, (x,) + tuple(st), ctx.keras_major, None, ctx.input_mask)
        try:
            ops.append(RNN_CONVERTERS[layer.class_name](sub))
        except ConversionProblem as exc:
            problems.extend(f"{label}: {r}" for r in exc.reasons)
    if problems:
        raise ConversionProblem(*problems)
    f, b = ops[0].op, ops[1].op
    for attr in ("stateful", "return_sequences", "return_state"):
        if getattr(f, attr) != getattr(b, attr):
            problems.append(f"forward and backward layers differ in {attr}")
    if f.go_backwards == b.go_backwards:  # type: ignore[attr-defined]
        problems.append("forward and backward layers have the same go_backwards")
    if merge_mode not in ("concat", None) and f.units != b.units:  # type: ignore[attr-defined]
        problems.append(f"merge_mode {merge_mode!r} needs equal units, got {f.units} and {b.units}")
    if problems:
        raise ConversionProblem(*problems)
    # Keras forces zero_output_for_mask = return_sequences on both layers.
    f = replace(f, zero_output_for_mask=f.return_sequences)
    b = replace(b, zero_output_for_mask=b.return_sequences)
    op = BidirectionalOp(forward=f, backward=b, merge_mode=merge_mode, return_sequences=f.return_sequences,
                         return_state=f.return_state, stateful=f.stateful, masked=ctx.input_mask,
                         initial_state=bool(states))
    f_out, b_out = ops[0].output_shapes, ops[1].output_shapes
    if merge_mode is None:
        merged: tuple[Shape, ...] = (f_out[0], b_out[0])
    elif merge_mode == "concat":
        merged = (f_out[0][:-1] + (f_out[0][-1] + b_out[0][-1],),)  # type: ignore[operator]
    else:
        merged = (f_out[0],)
    return Converted(op, merged + tuple(f_out[1:]) + tuple(b_out[1:]))
