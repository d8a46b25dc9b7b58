"""The recurrent family: LSTM, GRU and SimpleRNN (one shared runtime driver,
``Recurrent``, around a cell) and ``RNN(cell)``; Bidirectional is in
:mod:`.bidirectional`, the Keras 1/2 upgrades in :mod:`.recurrent_legacy`.

Semantics follow Keras 3 ``keras/src/layers/rnn/*.py`` and tf-keras
``tf_keras/layers/rnn/*.py``; version-dependent defaults (recurrent
activation, GRU ``reset_after``) are chosen by the Keras major version that
wrote the file.  Every recurrent node owns a state array in the generated
``State`` class: per model instance for ``predict``, per ``Session`` for
streaming.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, ClassVar, Mapping, Optional

import numpy as np

from ..activations import evaluate as activate
from ..ir import Activation, Shape, WeightTensor, format_shape
from ..reader.raw import RawLayer, freeze
from .base import ConversionProblem, MaskRule, Op, converter, f64, register_op
from .context import Converted, LayerContext
from .shape_rules import last_dim, require_rank
from .view import (BATCH, Act, CellView, Out, RecurrentBatchView, RecurrentView, StateCopy, Times, Var, ViewContext,
                   comment)

f32 = np.float32


class _RecurrentOp(Op):
    """What LSTM, GRU and SimpleRNN share: one ``Recurrent`` driver around a cell."""

    has_state: ClassVar[bool] = True
    cell: ClassVar[str] = ""
    state_count: ClassVar[int] = 1

    def stream_outputs(self, rank):
        if self.go_backwards or self.initial_state:  # type: ignore[attr-defined]
            return None
        return (0,) if self.return_sequences else ()  # type: ignore[attr-defined]

    def mask_outputs(self):
        return (0,) if self.return_sequences else ()  # type: ignore[attr-defined]

    def reference_problem(self):
        if self.masked or self.initial_state:  # type: ignore[attr-defined]
            return "the numpy reference does not implement masks or initial states as inputs"
        return None

    def evaluate(self, inputs):
        return _recurrent(self, inputs)

    def cell_view(self, ctx: ViewContext) -> CellView:
        args = (Var("data"), ctx.offset(self.kernel), ctx.offset(self.recurrent_kernel),  # type: ignore[attr-defined]
                ctx.offset(self.bias), self.kernel.shape[0], self.units) + self.cell_args()  # type: ignore[attr-defined]
        return CellView(self.cell, args, tuple(Act(a) for a in self.activations()),
                        (self.go_backwards, self.return_sequences, self.zero_output_for_mask))  # type: ignore[attr-defined]

    def cell_args(self) -> tuple:
        return ()

    def view(self, node, ctx: ViewContext) -> RecurrentView:
        return recurrent_view(self, node, ctx, (("", self),), "")

    def batch_view(self, node, ctx: ViewContext) -> Optional[RecurrentBatchView]:
        return recurrent_batch_view(self, node, ctx, "")

    def describe_weights(self):
        return _gate_describer(self)


@register_op
@dataclass(frozen=True)
class LstmOp(_RecurrentOp):
    """Keras LSTM; fused weights with gate order i, f, c, o."""

    units: int
    activation: Activation
    recurrent_activation: Activation
    return_sequences: bool
    go_backwards: bool
    kernel: WeightTensor            # (in, 4u)
    recurrent_kernel: WeightTensor  # (u, 4u)
    bias: Optional[WeightTensor]    # (4u,)
    return_state: bool = False      # extra outputs h, c (final states)
    stateful: bool = False          # states persist across calls, per instance
    zero_output_for_mask: bool = False
    masked: bool = False            # the node's last input is a per-timestep mask
    initial_state: bool = False     # inputs 1..2 are the initial h, c
    kind: ClassVar[str] = "lstm"
    cell: ClassVar[str] = "LstmCell"
    state_count: ClassVar[int] = 2
    runtime: ClassVar[tuple[str, ...]] = ("Recurrent", "LstmCell", "Activation", "Check")


@register_op
@dataclass(frozen=True)
class GruOp(_RecurrentOp):
    """Keras GRU; fused weights with gate order z, r, h.

    ``reset_after=True`` (Keras 3 / tf-keras default): bias ``(2, 3u)``, row 0
    the input bias and row 1 the recurrent bias; the reset gate multiplies
    ``h . R_h + b_rec_h``.  ``reset_after=False`` (Keras <= 2.2 default): bias
    ``(3u,)`` and the reset gate multiplies ``h`` before ``R_h``.
    """

    units: int
    activation: Activation
    recurrent_activation: Activation
    reset_after: bool
    return_sequences: bool
    go_backwards: bool
    kernel: WeightTensor            # (in, 3u)
    recurrent_kernel: WeightTensor  # (u, 3u)
    bias: Optional[WeightTensor]    # (2, 3u) if reset_after else (3u,)
    return_state: bool = False
    stateful: bool = False
    zero_output_for_mask: bool = False
    masked: bool = False
    initial_state: bool = False
    kind: ClassVar[str] = "gru"
    cell: ClassVar[str] = "GruCell"
    runtime: ClassVar[tuple[str, ...]] = ("Recurrent", "GruCell", "Activation", "Check")

    def cell_args(self) -> tuple:
        return (self.reset_after,)


@register_op
@dataclass(frozen=True)
class SimpleRnnOp(_RecurrentOp):
    """Keras SimpleRNN: ``h = act(x . kernel + bias + h . recurrent_kernel)``."""

    units: int
    activation: Activation
    return_sequences: bool
    go_backwards: bool
    kernel: WeightTensor            # (in, u)
    recurrent_kernel: WeightTensor  # (u, u)
    bias: Optional[WeightTensor]    # (u,)
    return_state: bool = False
    stateful: bool = False
    zero_output_for_mask: bool = False
    masked: bool = False
    initial_state: bool = False
    kind: ClassVar[str] = "simple_rnn"
    cell: ClassVar[str] = "SimpleRnnCell"
    runtime: ClassVar[tuple[str, ...]] = ("Recurrent", "SimpleRnnCell", "Activation", "Check")

    def describe_weights(self):
        return Op.describe_weights(self)


def recurrent_view(op, node, ctx: ViewContext, halves, merge: str) -> RecurrentView:
    """A recurrent layer or a Bidirectional: Python decides which states are
    copied in and out and which tensors fill or read them."""
    x = ctx.ins[0]
    steps = x.step_count()
    mask = Var(ctx.ins[-1].var) if op.masked else None
    n_out = 2 if merge == "NONE" else 1
    state = Var("st." + ctx.state)
    init: list[StateCopy] = []
    out_states: list[StateCopy] = []
    state_ins = list(ctx.ins[1:len(ctx.ins) - (1 if op.masked else 0)])
    state_outs = list(ctx.outs[n_out:])
    for half, sub in halves:
        for k in range(sub.state_count):
            if op.initial_state:
                init.append(StateCopy(half, k, state_ins.pop(0).var, sub.units))
            if op.return_state:
                out_states.append(StateCopy(half, k, state_outs.pop(0).var, sub.units))
    args: tuple = (Var(x.var), 0, steps, mask, 0, state, 0, Var(ctx.outs[0].var), 0)
    if merge:
        args += (Var(ctx.outs[1].var) if n_out == 2 else None, 0)
    args += (Var("ws"), 0)
    return RecurrentView(
        field=ctx.field, comment=comment(node), cells=tuple(sub.cell_view(ctx) for _, sub in halves), merge=merge,
        outs=tuple(Out(o.var, o.length()) for o in ctx.outs[:n_out]), forward_args=args, steps=steps,
        state=state.name,
        keep_states=op.stateful, init_states=tuple(init), out_states=tuple(out_states))


def recurrent_batch_view(op, node, ctx: ViewContext, merge: str) -> Optional[RecurrentBatchView]:
    """A recurrent layer or a Bidirectional on a batch (``forwardBatch``: zero initial
    states, each timestep one matrix product over the batch).  None for layers whose
    states outlive the call or come from or go to tensors (stateful, initial_state,
    return_state): those models run their batches one sample at a time."""
    if op.stateful or op.initial_state or op.return_state:
        return None
    x = ctx.ins[0]
    steps = x.step_count()
    mask = Var(ctx.ins[-1].var) if op.masked else None
    n_out = 2 if merge == "NONE" else 1
    args: tuple = (Var(x.var), 0, Var(BATCH), steps, mask, 0, Var(ctx.outs[0].var), 0)
    if merge:
        args += (Var(ctx.outs[1].var) if n_out == 2 else None, 0)
    args += (Var("ws"), 0)
    return RecurrentBatchView(field=ctx.field, comment=comment(node),
                              outs=tuple(Out(o.var, Times(BATCH, o.length())) for o in ctx.outs[:n_out]),
                              args=args, steps=steps)


# -- inspect: how stored tensors map to gates ------------------------------------------------

ROLE_TEXT = {"kernel": ("W", "input kernel"), "recurrent_kernel": ("U", "recurrent kernel"), "bias": ("b", "bias")}
GATES = {
    "lstm": (("i", "input gate"), ("f", "forget gate"), ("c", "cell candidate"), ("o", "output gate")),
    "gru": (("z", "update gate"), ("r", "reset gate"), ("h", "candidate")),
}


def _gate_lines(w: WeightTensor, gates, units: int) -> list[str]:
    sym, text = ROLE_TEXT.get(w.role, (w.role, w.role))
    out = []
    for g, (gname, gtext) in enumerate(gates):
        lo, hi = g * units, (g + 1) * units
        sl = f"[:, {lo}:{hi}]" if len(w.shape) == 2 else f"[{lo}:{hi}]"
        out.append(f"{w.source}{sl} {format_shape(w.shape)} -> {sym}_{gname} ({text}, {gtext})")
    return out


def _gate_describer(op) -> list[str]:
    gates = GATES[op.kind]
    lines = []
    for w in op.weights():
        if w.role == "bias" and len(w.shape) == 2:  # GRU reset_after: input bias row, recurrent bias row
            for row, what in ((0, "input bias"), (1, "recurrent bias")):
                for g, (gname, gtext) in enumerate(gates):
                    lo, hi = g * op.units, (g + 1) * op.units
                    lines.append(f"{w.source}[{row}, {lo}:{hi}] {format_shape(w.shape)} -> b_{gname} ({what}, {gtext})")
        else:
            lines.extend(_gate_lines(w, gates, op.units))
    return lines


# -- numpy reference -----------------------------------------------------------------------------

def _rnn(op, x: np.ndarray) -> tuple[np.ndarray, list[np.ndarray]]:
    """Run one recurrent op over x (T, F); returns (outputs in processing order, final states)."""
    u = op.units
    seq = x[::-1] if op.go_backwards else x
    W, U = f64(op.kernel), f64(op.recurrent_kernel)
    h = np.zeros(u)
    c = np.zeros(u)
    outs = []
    for xt in np.asarray(seq, np.float64):
        if isinstance(op, LstmOp):
            z = xt @ W + h @ U + (f64(op.bias) if op.bias is not None else 0)
            ra = op.recurrent_activation
            i, f = activate(ra, z[:u]), activate(ra, z[u:2 * u])
            c = f * c + i * activate(op.activation, z[2 * u:3 * u])
            c = np.asarray(c, f32).astype(np.float64)
            o = activate(ra, z[3 * u:])
            h = np.asarray(o * activate(op.activation, c), np.float64)
        elif isinstance(op, GruOp):
            ra = op.recurrent_activation
            if op.reset_after:
                b = f64(op.bias) if op.bias is not None else np.zeros((2, 3 * u))
                mx = xt @ W + b[0]
                mi = h @ U + b[1]
                z = activate(ra, mx[:u] + mi[:u])
                r = activate(ra, mx[u:2 * u] + mi[u:2 * u])
                hh = activate(op.activation, mx[2 * u:] + r * mi[2 * u:])
            else:
                b = f64(op.bias) if op.bias is not None else np.zeros(3 * u)
                mx = xt @ W + b
                z = activate(ra, mx[:u] + h @ U[:, :u])
                r = activate(ra, mx[u:2 * u] + h @ U[:, u:2 * u])
                hh = activate(op.activation, mx[2 * u:] + (r * h) @ U[:, 2 * u:])
            h = np.asarray(np.asarray(z * h + (1 - z) * hh, f32), np.float64)
        else:
            z = xt @ W + h @ U + (f64(op.bias) if op.bias is not None else 0)
            h = np.asarray(activate(op.activation, z), np.float64)
        outs.append(h.copy())
    states = [h, c] if isinstance(op, LstmOp) else [h]
    return np.asarray(outs, f32), [np.asarray(s, f32) for s in states]


def _recurrent(op, ins: list) -> list:
    seqs, states = _rnn(op, ins[0])
    out = seqs if op.return_sequences else seqs[-1]
    return [out] + (states if op.return_state else [])


# -- converters ----------------------------------------------------------------------------------

def _flags(ctx: LayerContext):
    """Options shared by every Keras RNN layer."""
    problems = []
    if ctx.layer.config.get("time_major") is True:
        problems.append("time_major=True is not supported")
    if problems:
        raise ConversionProblem(*problems)
    return dict(
        return_sequences=ctx.get_bool("return_sequences", False),
        go_backwards=ctx.get_bool("go_backwards", False),
        return_state=ctx.get_bool("return_state", False),
        stateful=ctx.get_bool("stateful", False),
        zero_output_for_mask=ctx.get_bool("zero_output_for_mask", False),
    )


def _sequence_input(ctx: LayerContext, state_count: int, units: int) -> tuple[Shape, bool]:
    """The (timesteps, features) input and whether initial states follow it."""
    if not ctx.input_shapes:
        raise ConversionProblem("expects an input")
    shape = ctx.input_shapes[0]
    require_rank(shape, 2, "input (timesteps, features)")
    states = ctx.input_shapes[1:]
    if states:
        if len(states) != state_count:
            raise ConversionProblem(f"got {len(states)} initial state tensor(s), expected {state_count}")
        bad = [format_shape(s) for s in states if tuple(s) != (units,)]
        if bad:
            raise ConversionProblem(f"initial states have shapes {', '.join(bad)}, expected ({units},)")
    return shape, bool(states)


def _outputs(shape: Shape, units: int, flags: dict, state_count: int) -> tuple[Shape, ...]:
    out: Shape = (shape[0], units) if flags["return_sequences"] else (units,)
    return (out,) + (((units,),) * state_count if flags["return_state"] else ())


def _recurrent_default(ctx: LayerContext) -> str:
    # Keras 3 and Keras >= 2.3 default to sigmoid (and always write the key);
    # Keras 1 and 2.0-2.2 defaulted to hard_sigmoid.
    return "sigmoid" if ctx.keras_major >= 3 else "hard_sigmoid"


def _common(ctx: LayerContext, state_count: int):
    """What every recurrent layer reads first: options, units, input, bias, activation."""
    flags = _flags(ctx)
    units = ctx.get_int("units", minimum=1)
    shape, init = _sequence_input(ctx, state_count, units)
    return flags, units, shape, init, last_dim(shape), ctx.get_bool("use_bias", True), \
        ctx.activation("activation", "tanh")


@converter("LSTM", mask=MaskRule.CONSUME, tensor_kwargs=("initial_state",))
def convert_lstm(ctx: LayerContext) -> Converted:
    flags, units, shape, init, n_in, use_bias, act = _common(ctx, 2)
    rec = ctx.activation("recurrent_activation", _recurrent_default(ctx))
    specs = [("kernel", (n_in, 4 * units)), ("recurrent_kernel", (units, 4 * units))]
    if use_bias:
        specs.append(("bias", (4 * units,)))
    w = ctx.weights(specs)
    op = LstmOp(units=units, activation=act, recurrent_activation=rec,
                kernel=w[0], recurrent_kernel=w[1], bias=w[2] if use_bias else None,
                masked=ctx.input_mask, initial_state=init, **flags)
    return Converted(op, _outputs(shape, units, flags, 2))


@converter("GRU", mask=MaskRule.CONSUME, tensor_kwargs=("initial_state",))
def convert_gru(ctx: LayerContext) -> Converted:
    flags, units, shape, init, n_in, use_bias, act = _common(ctx, 1)
    rec = ctx.activation("recurrent_activation", _recurrent_default(ctx))
    if "reset_after" in ctx.layer.config:
        reset_after = ctx.get_bool("reset_after")
    else:
        # Old configs lack the key: Keras <= 2.2 had no reset_after (False);
        # infer from the stored bias shape when there is one.
        reset_after = ctx.keras_major >= 3
        if use_bias and len(ctx.layer.weights) == 3:
            reset_after = tuple(ctx.layer.weights[2].shape) == (2, 3 * units)
    specs = [("kernel", (n_in, 3 * units)), ("recurrent_kernel", (units, 3 * units))]
    if use_bias:
        specs.append(("bias", (2, 3 * units) if reset_after else (3 * units,)))
    w = ctx.weights(specs)
    op = GruOp(units=units, activation=act, recurrent_activation=rec, reset_after=reset_after,
               kernel=w[0], recurrent_kernel=w[1], bias=w[2] if use_bias else None,
               masked=ctx.input_mask, initial_state=init, **flags)
    return Converted(op, _outputs(shape, units, flags, 1))


@converter("SimpleRNN", mask=MaskRule.CONSUME, tensor_kwargs=("initial_state",))
def convert_simple_rnn(ctx: LayerContext) -> Converted:
    flags, units, shape, init, n_in, use_bias, act = _common(ctx, 1)
    specs = [("kernel", (n_in, units)), ("recurrent_kernel", (units, units))]
    if use_bias:
        specs.append(("bias", (units,)))
    w = ctx.weights(specs)
    op = SimpleRnnOp(units=units, activation=act, kernel=w[0], recurrent_kernel=w[1],
                     bias=w[2] if use_bias else None, masked=ctx.input_mask, initial_state=init, **flags)
    return Converted(op, _outputs(shape, units, flags, 1))


CELL_LAYERS = {"LSTMCell": "LSTM", "GRUCell": "GRU", "SimpleRNNCell": "SimpleRNN"}
RNN_FLAGS = ("return_sequences", "return_state", "go_backwards", "stateful", "zero_output_for_mask", "time_major")


@converter("RNN", mask=MaskRule.CONSUME, tensor_kwargs=("initial_state",))
def convert_rnn(ctx: LayerContext) -> "Converted | Composite":
    """``keras.layers.RNN(cell)`` around one built-in cell: the same as the
    matching layer (LSTM, GRU, SimpleRNN) with the RNN's options."""
    cell = ctx.layer.config.get("cell")
    cls = cell.get("class_name") if isinstance(cell, Mapping) else None
    if cls == "StackedRNNCells":
        from .stacked_rnn import convert_stacked_rnn
        return convert_stacked_rnn(ctx)
    if cls not in CELL_LAYERS:
        raise ConversionProblem(f"RNN cell {cls!r} is not supported; supported: {', '.join(CELL_LAYERS)} "
                                "or StackedRNNCells of them (not a list of cells)")
    cell_cfg = cell.get("config") or {}
    if not isinstance(cell_cfg, Mapping):
        raise ConversionProblem("RNN cell config is not an object")
    merged = dict(cell_cfg)
    merged.update({k: v for k, v in ctx.layer.config.items() if k in RNN_FLAGS})
    layer = RawLayer(ctx.layer.name, CELL_LAYERS[cls], freeze(merged), ctx.layer.weights, ctx.layer.inbound_nodes)
    return RNN_CONVERTERS[CELL_LAYERS[cls]](replace(ctx, layer=layer))


RNN_CONVERTERS = {"LSTM": convert_lstm, "GRU": convert_gru, "SimpleRNN": convert_simple_rnn, "RNN": convert_rnn}


def _inner_layer(value: Any, what: str, weights, outer: RawLayer) -> RawLayer:
    if not isinstance(value, Mapping) or not isinstance(value.get("class_name"), str):
        raise ConversionProblem(f"{what} config is missing or not a layer config")
    cfg = value.get("config") or {}
    if not isinstance(cfg, Mapping):
        raise ConversionProblem(f"{what} config is not an object")
    name = cfg.get("name") if isinstance(cfg.get("name"), str) else f"{outer.name}/{what}"
    return RawLayer(name, value["class_name"], freeze(dict(cfg)), tuple(weights), ())

