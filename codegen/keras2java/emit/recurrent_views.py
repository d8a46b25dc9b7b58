"""Views of the recurrent family: LSTM/GRU/SimpleRNN (one shared driver),
Bidirectional, Embedding, masks, and the per-instance recurrent state.

Every recurrent node owns a state array ``st.s<k>`` in the generated
``State`` class: per model instance for ``predict``, per ``Session`` for
streaming.  Python decides here which states exist, how a call begins
(reset, or keep states for stateful layers) and which tensors fill or read
them; the templates only place these values.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

from ..ir import (BidirectionalOp, ComputeMaskOp, EmbeddingOp, GruOp, LstmOp, MaskingOp, Node, Op,
                  SimpleRnnOp)
from .naming import float_literal
from .views import ActivationView, TensorInfo, activation_view, comment, offset_expr

MERGE_CONSTANTS = {"concat": "CONCAT", "sum": "SUM", "mul": "MUL", "ave": "AVE", None: "NONE"}


def _bool(b: bool) -> str:
    return "true" if b else "false"


def _steps(info: TensorInfo) -> str:
    return info.steps if info.steps is not None else str(info.shape[0])


@dataclass(frozen=True)
class CellView:
    """``new Recurrent(new <cell_class>(data, <args>, <acts>), <flags>)``."""

    cell_class: str
    args: tuple[str, ...]
    acts: tuple[ActivationView, ...]
    flags: tuple[str, ...]          # goBackwards, returnSequences, zeroOutputForMask


@dataclass(frozen=True)
class StateCopy:
    """Copies initial state ``k`` in from a tensor, or a final state out to one."""

    layer: str       # Java expression of the Recurrent object
    offset: str      # offset of its state inside the node's state array
    index: str       # 0 = h, 1 = c
    var: str         # the tensor's buffer
    length: str      # units


@dataclass(frozen=True)
class RecurrentView:
    template: str
    field: str
    comment: str
    java_class: str            # "Recurrent" or "Bidirectional"
    forward_args: tuple[str, ...]
    out2_len: str              # "" unless merge_mode None
    state: str                 # the node's state array, e.g. "st.s3"
    begin: str                 # "reset" (fresh per call) or "beginCall" (stateful: keep states)
    inp: str
    steps: str
    mask: str                  # mask buffer or "null"
    out: str
    out_len: str
    out2: str                  # Bidirectional merge_mode None: second output buffer, else "null"
    cells: tuple[CellView, ...]
    merge: str                 # Bidirectional merge constant, "" for a single layer
    init_states: tuple[StateCopy, ...]
    out_states: tuple[StateCopy, ...]


def _cell(op: Op, layout) -> CellView:
    flags = (_bool(op.go_backwards), _bool(op.return_sequences), _bool(op.zero_output_for_mask))  # type: ignore[attr-defined]
    common = (offset_expr(layout, op.kernel), offset_expr(layout, op.recurrent_kernel), offset_expr(layout, op.bias),  # type: ignore[attr-defined]
              str(op.kernel.shape[0]), str(op.units))  # type: ignore[attr-defined]
    if isinstance(op, LstmOp):
        return CellView("LstmCell", common, (activation_view(op.activation), activation_view(op.recurrent_activation)), flags)
    if isinstance(op, GruOp):
        return CellView("GruCell", common + (_bool(op.reset_after),),
                        (activation_view(op.activation), activation_view(op.recurrent_activation)), flags)
    if isinstance(op, SimpleRnnOp):
        return CellView("SimpleRnnCell", common, (activation_view(op.activation),), flags)
    raise TypeError(type(op).__name__)


def recurrent_view(node: Node, field: str, ins, outs, layout) -> RecurrentView:
    op = node.op
    x = ins[0]
    steps = _steps(x)
    mask = ins[-1].var if op.masked else "null"  # type: ignore[attr-defined]
    layer = f"n.{field}"
    state = f"st.s{field[1:]}"
    n_out = 1
    if isinstance(op, BidirectionalOp):
        cells = (_cell(op.forward, layout), _cell(op.backward, layout))
        parts = ((f"{layer}.forwardLayer()", "0", op.forward),
                 (f"{layer}.backwardLayer()", f"{layer}.backwardStateOffset()", op.backward))
        merge = MERGE_CONSTANTS[op.merge_mode]
        if op.merge_mode is None:
            n_out = 2
    else:
        cells = (_cell(op, layout),)
        parts = ((layer, "0", op),)
        merge = ""
    init: list[StateCopy] = []
    out_states: list[StateCopy] = []
    state_ins = list(ins[1:len(ins) - (1 if op.masked else 0)])  # type: ignore[attr-defined]
    state_outs = list(outs[n_out:])
    for expr, off, sub in parts:
        for k in range(sub.state_count):
            if op.initial_state:  # type: ignore[attr-defined]
                init.append(StateCopy(expr, off, str(k), state_ins.pop(0).var, str(sub.units)))
            if op.return_state:  # type: ignore[attr-defined]
                out_states.append(StateCopy(expr, off, str(k), state_outs.pop(0).var, str(sub.units)))
    out2 = outs[1].var if n_out == 2 else "null"
    args = (x.var, "0", steps, mask, "0", state, "0", outs[0].var, "0")
    if isinstance(op, BidirectionalOp):
        args += (out2, "0")
    args += ("ws", "0")
    return RecurrentView(
        template="ops/recurrent.j2", field=field, comment=comment(node),
        java_class="Bidirectional" if isinstance(op, BidirectionalOp) else "Recurrent",
        forward_args=args, out2_len=outs[1].length() if n_out == 2 else "", state=state,
        begin="beginCall" if op.stateful else "reset",  # type: ignore[attr-defined]
        inp=x.var, steps=steps, mask=mask, out=outs[0].var, out_len=outs[0].length(),
        out2=out2, cells=cells, merge=merge,
        init_states=tuple(init), out_states=tuple(out_states))


@dataclass(frozen=True)
class SimpleView:
    template: str
    field: str
    comment: str
    inp: str
    out: str
    out_len: str
    args: tuple[str, ...] = ()
    mask: str = ""
    count: str = ""
    features: str = ""
    method: str = ""


def embedding_view(node: Node, field: str, ins, outs, layout) -> SimpleView:
    op: EmbeddingOp = node.op  # type: ignore[assignment]
    return SimpleView("ops/embedding.j2", field, comment(node), ins[0].var, outs[0].var, outs[0].length(),
                      args=(offset_expr(layout, op.embeddings), str(op.input_dim), str(op.output_dim)),
                      count=ins[0].length())


def compute_mask_view(node: Node, field: str, ins, outs, layout) -> SimpleView:
    op: ComputeMaskOp = node.op  # type: ignore[assignment]
    x = ins[0]
    if op.mode == "not_equal":
        return SimpleView("ops/compute_mask.j2", field, comment(node), x.var, outs[0].var, outs[0].length(),
                          method="notEqual", args=(x.var, "0", _steps(x), str(x.shape[-1]), float_literal(op.value),
                                                   outs[0].var, "0"))
    return SimpleView("ops/compute_mask.j2", field, comment(node), x.var, outs[0].var, outs[0].length(),
                      method="nonZero", args=(x.var, "0", _steps(x), outs[0].var, "0"))


def masking_view(node: Node, field: str, ins, outs, layout) -> SimpleView:
    x = ins[0]
    return SimpleView("ops/masking.j2", field, comment(node), x.var, outs[0].var, outs[0].length(),
                      mask=ins[1].var, count=_steps(x), features=str(x.shape[-1]))


VIEWS = {
    LstmOp: recurrent_view,
    GruOp: recurrent_view,
    SimpleRnnOp: recurrent_view,
    BidirectionalOp: recurrent_view,
    EmbeddingOp: embedding_view,
    ComputeMaskOp: compute_mask_view,
    MaskingOp: masking_view,
}

#: Ops that own a state array in the generated State class.
STATEFUL_OPS = (LstmOp, GruOp, SimpleRnnOp, BidirectionalOp)


@dataclass(frozen=True)
class StateView:
    var: str       # field of State, e.g. "s3"
    layer: str     # field of Net, e.g. "L3"
    begin: str     # method called on the layer at the start of predict: "reset" or "beginCall"


def state_view(field: str, op: Op) -> Optional[StateView]:
    if not isinstance(op, STATEFUL_OPS):
        return None
    return StateView(f"s{field[1:]}", field, "beginCall" if op.stateful else "reset")  # type: ignore[attr-defined]


@dataclass(frozen=True)
class StreamView:
    """The generated ``Session`` API: one timestep of the single input per step."""

    per_step: str          # floats per timestep
    input_doc: str         # shape of one frame, for docs


def _per_step_op(op: Op, rank: int) -> bool:
    from ..ir import ActivationOp, DenseOp, IdentityOp, NormalizeOp, ScaleShiftOp
    if isinstance(op, (EmbeddingOp, ComputeMaskOp)):
        return True
    if isinstance(op, ScaleShiftOp):
        return op.axis > 0 and rank >= 2
    if isinstance(op, NormalizeOp):
        return op.axes < rank
    return isinstance(op, (DenseOp, ActivationOp, IdentityOp, MaskingOp)) and rank >= 2


def streamable(model) -> bool:
    """True if feeding the single input one timestep at a time can reproduce
    ``predict`` on every prefix: the time axis flows only through per-step
    layers and forward recurrent layers without initial-state inputs."""
    return _timed(model) is not None


def relax_time(model):
    """The model with a variable time axis on every tensor that carries the
    input's timesteps (for streaming models saved with a fixed length)."""
    from dataclasses import replace

    timed = _timed(model)
    if timed is None:
        raise RuntimeError("internal error: relax_time called for a model that cannot stream")
    tensors = tuple(replace(t, shape=(None,) + tuple(t.shape[1:])) if t.name in timed else t for t in model.tensors)
    return replace(model, tensors=tensors)


def _timed(model):
    """The tensors carrying the input's time axis, or None if not streamable."""
    if len(model.inputs) != 1:
        return None
    first = model.tensor(model.inputs[0].tensor).shape
    if not first:
        return None
    timed = {model.inputs[0].tensor}
    for node in model.nodes:
        if not any(t in timed for t in node.inputs):
            continue
        op = node.op
        if isinstance(op, (LstmOp, GruOp, SimpleRnnOp)):
            if op.go_backwards or op.initial_state:
                return None
            if op.return_sequences:
                timed.add(node.outputs[0])
        elif _per_step_op(op, len(model.tensor(node.inputs[0]).shape)):
            timed.update(node.outputs)
        else:
            return None
    return timed


def token_input(model, tensor: str) -> bool:
    """True if the input tensor feeds only Embedding layers (and their masks)."""
    users = [n for n in model.nodes if tensor in n.inputs]
    return bool(users) and all(isinstance(n.op, (EmbeddingOp, ComputeMaskOp)) and
                               (not isinstance(n.op, ComputeMaskOp) or n.op.mode == "nonzero") for n in users)
