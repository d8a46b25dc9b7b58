"""``keras2java inspect``: a readable table of a model as keras2java sees it."""
from __future__ import annotations

from typing import Callable

from .ir import BidirectionalOp, DenseOp, GruOp, LstmOp, Model, Node, Op, SimpleRnnOp, WeightTensor, format_shape
from .emit.views import shape_text
from .reader.legacy_keras import detected_text

LSTM_GATES = (("i", "input gate"), ("f", "forget gate"), ("c", "cell candidate"), ("o", "output gate"))
ROLE_TEXT = {"kernel": ("W", "input kernel"), "recurrent_kernel": ("U", "recurrent kernel"), "bias": ("b", "bias")}


def _gate_lines(w: WeightTensor, gates, units: int) -> list[str]:
    sym, text = ROLE_TEXT.get(w.role, (w.role, w.role))
    out = []
    for g, (gname, gtext) in enumerate(gates):
        lo, hi = g * units, (g + 1) * units
        sl = f"[:, {lo}:{hi}]" if len(w.shape) == 2 else f"[{lo}:{hi}]"
        out.append(f"{w.source}{sl} {format_shape(w.shape)} -> {sym}_{gname} ({text}, {gtext})")
    return out


def _lstm(op: LstmOp) -> list[str]:
    lines = []
    for w in op.weights():
        lines.extend(_gate_lines(w, LSTM_GATES, op.units))
    return lines


def _plain(op: Op) -> list[str]:
    return [f"{w.source} {format_shape(w.shape)} -> {w.role}" for w in op.weights()]


GRU_GATES = (("z", "update gate"), ("r", "reset gate"), ("h", "candidate"))


def _gru(op: GruOp) -> list[str]:
    lines = []
    for w in op.weights():
        if w.role == "bias" and len(w.shape) == 2:  # reset_after: input bias row, recurrent bias row
            for row, what in ((0, "input bias"), (1, "recurrent bias")):
                for g, (gname, gtext) in enumerate(GRU_GATES):
                    lo, hi = g * op.units, (g + 1) * op.units
                    lines.append(f"{w.source}[{row}, {lo}:{hi}] {format_shape(w.shape)} -> b_{gname} ({what}, {gtext})")
        else:
            lines.extend(_gate_lines(w, GRU_GATES, op.units))
    return lines


def _bidirectional(op: BidirectionalOp) -> list[str]:
    lines = []
    for label, sub in (("forward", op.forward), ("backward", op.backward)):
        lines.extend(f"{line} [{label}]" for line in WEIGHT_DESCRIBERS.get(type(sub), _plain)(sub))
    return lines


WEIGHT_DESCRIBERS: dict[type, Callable[[Op], list[str]]] = {
    LstmOp: _lstm, DenseOp: _plain, GruOp: _gru, SimpleRnnOp: _plain, BidirectionalOp: _bidirectional}


def describe(model: Model) -> str:
    src = model.source
    semantics = ("Keras 3 (hard_sigmoid = relu6(x+3)/6)" if src.keras_major >= 3
                 else f"Keras {'0.x/1' if src.keras_major <= 1 else '1/2'} (hard_sigmoid = clip(0.2x+0.5, 0, 1))")
    lines = [
        f"model: {model.name!r}   format: {src.format}   keras_version: {src.keras_version or 'unknown'}",
    ]
    detected = detected_text(src)
    if detected:
        lines.append(f"detected: {detected}")
    lines += [
        f"semantics: {semantics}",
        f"parameters: {model.param_count():,}",
        "inputs: " + ", ".join(f"{p.keras_name!r} {shape_text(model.tensor(p.tensor).shape)}" for p in model.inputs),
        "outputs: " + ", ".join(f"{p.keras_name!r} {shape_text(model.tensor(p.tensor).shape)}" for p in model.outputs),
        "",
    ]
    rows = [("layer", "class", "input -> output", "params", "activations")]
    for node in model.nodes:
        rows.append(_row(model, node))
    widths = [max(len(r[i]) for r in rows) for i in range(5)]
    for k, r in enumerate(rows):
        lines.append("  ".join(c.ljust(widths[i]) for i, c in enumerate(r)).rstrip())
        if k == 0:
            lines.append("  ".join("-" * w for w in widths))
    details = []
    for node in model.nodes:
        fn = WEIGHT_DESCRIBERS.get(type(node.op), _plain)
        wl = fn(node.op)
        if wl:
            details.append(f"{node.layer_name} ({node.class_name}):")
            details.extend("  " + x for x in wl)
    if details:
        lines += ["", "weights:"] + ["  " + d for d in details]
    if src.weight_map:
        lines += ["", "stored tensors -> gates (legacy layout, as translated):"]
        last = None
        for layer, text in src.weight_map:
            if layer != last:
                lines.append(f"  {layer}:")
                last = layer
            lines.append(f"    {text}")
    return "\n".join(lines) + "\n"


def _row(model: Model, node: Node) -> tuple[str, str, str, str, str]:
    ins = ", ".join(shape_text(model.tensor(t).shape) for t in node.inputs)
    outs = ", ".join(shape_text(model.tensor(t).shape) for t in node.outputs)
    acts = ", ".join(a.describe() for a in node.op.activations()) or "-"
    return (node.layer_name, node.class_name, f"{ins} -> {outs}", f"{node.op.param_count():,}", acts)
