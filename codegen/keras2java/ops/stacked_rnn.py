"""``RNN(StackedRNNCells([...]))``, alone and inside ``Bidirectional``: a
:class:`Composite` of one recurrent op per cell.

Keras' stacked cells run in lockstep: at each step cell ``k`` reads cell
``k-1``'s output and every cell keeps its own states (Keras 3
``keras/src/layers/rnn/stacked_rnn_cells.py``).  The same values come from one
recurrent layer per cell, each returning sequences into the next:

- a mask applies to every cell (all states hold at a masked step); the inner
  outputs at masked steps are never read, so only the last cell's
  ``zero_output_for_mask`` matters;
- with ``go_backwards`` every cell runs backwards and each inner output (in
  reversed order) is flipped back to input order before the next cell;
- ``return_state`` gives the states cell by cell (Keras flattens them in that
  order), and initial states are taken in the same order;
- inside ``Bidirectional`` the initial states are the forward stack's then the
  backward stack's, and so are the final states after the merged output.
"""
from __future__ import annotations

from dataclasses import replace
from typing import Mapping, Optional

from ..ir import Shape
from ..reader.keras3 import to_snake_case
from ..reader.raw import RawLayer, freeze
from .base import ConversionProblem, layer_spec
from .context import Composite, Converted, LayerContext, Step
from .keras_ops import NONE
from .merge import ConcatenateOp, MergeOp
from .tensor_ops import StridedOp, TimeSliceOp

CELL_LAYERS = {"LSTMCell": ("LSTM", 2), "GRUCell": ("GRU", 1), "SimpleRNNCell": ("SimpleRNN", 1)}
RNN_FLAGS = ("return_sequences", "return_state", "go_backwards", "stateful", "zero_output_for_mask", "time_major")


def reverse_op(shape: Shape):
    """Flips a ``(timesteps, features)`` sequence along time."""
    steps, width = shape
    key = ((None, None, -1), (None, None, None))
    if steps is None:
        return TimeSliceOp((-width, 1), 0, slice0=(NONE, NONE, -1), key=key)
    return StridedOp((-width, 1), (steps - 1) * width, key=key)


def _cells(ctx: LayerContext, cell: Mapping) -> list[tuple[str, Mapping, int]]:
    """(layer class, cell config, state count) per cell of a StackedRNNCells config."""
    cfg = cell.get("config") or {}
    cells = cfg.get("cells") if isinstance(cfg, Mapping) else None
    if not isinstance(cells, (list, tuple)) or not cells:
        raise ConversionProblem("StackedRNNCells has no 'cells' list")
    out = []
    for c in cells:
        cls = c.get("class_name") if isinstance(c, Mapping) else None
        if cls not in CELL_LAYERS:
            raise ConversionProblem(f"StackedRNNCells cell {cls!r} is not supported; supported: "
                                    + ", ".join(CELL_LAYERS))
        ccfg = c.get("config") or {}
        if not isinstance(ccfg, Mapping):
            raise ConversionProblem("a stacked cell's config is not an object")
        out.append((cls, ccfg, CELL_LAYERS[cls][1]))
    return out


def _split_weights(weights, cells) -> list[tuple]:
    """Each cell's stored weights.  Keras 3 files store cells as ``cells/<snake_case class>[_n]``
    (read back alphabetically); legacy files list them in cell order."""
    counts = [3 if cfg.get("use_bias", True) is not False else 2 for _, cfg, _ in cells]
    if weights and all("/cells/" in w.name for w in weights):
        used: dict[str, int] = {}
        out = []
        for cls, _, _ in cells:
            g = to_snake_case(cls)
            used[g] = used.get(g, -1) + 1
            group = g if used[g] == 0 else f"{g}_{used[g]}"
            out.append(tuple(w for w in weights if f"/cells/{group}/" in w.name))
        return out
    if len(weights) != sum(counts):
        raise ConversionProblem(f"expected {sum(counts)} weight tensors for the stacked cells, found {len(weights)}")
    out, pos = [], 0
    for n in counts:
        out.append(tuple(weights[pos:pos + n]))
        pos += n
    return out


def stacked_composite(ctx: LayerContext, rnn_cfg: Mapping, weights, name: str,
                      force: Optional[dict] = None) -> tuple[Composite, tuple[Shape, ...]]:
    """The composite of an ``RNN(StackedRNNCells)`` layer whose values start with the layer's
    inputs (x, the initial states cell by cell) and then the mask when ``ctx.input_mask``.
    Returns it with its output shapes."""
    cells = _cells(ctx, rnn_cfg["cell"])
    flags = {k: v for k, v in rnn_cfg.items() if k in RNN_FLAGS}
    flags.update(force or {})
    if flags.get("time_major"):
        raise ConversionProblem("time_major=True is not supported")
    return_sequences = bool(flags.get("return_sequences", False))
    return_state = bool(flags.get("return_state", False))
    backwards = bool(flags.get("go_backwards", False))
    per_cell = _split_weights(weights, cells)
    x = ctx.input_shapes[0]
    states = list(ctx.input_shapes[1:])
    n_states = sum(n for _, _, n in cells)
    if states and len(states) != n_states:
        raise ConversionProblem(f"got {len(states)} initial state tensor(s), expected {n_states} (cell by cell)")
    n_in = len(ctx.input_shapes)
    mask_index = n_in if ctx.input_mask else None
    shapes: list[Shape] = list(ctx.input_shapes) + ([(x[0],)] if ctx.input_mask else [])
    steps: list[Step] = []
    current, state_pos = 0, 1
    final_states: list[int] = []
    last = len(cells) - 1
    out_index = 0
    for k, ((cls, ccfg, n), w) in enumerate(zip(cells, per_cell)):
        layer_cls = CELL_LAYERS[cls][0]
        cfg = dict(ccfg)
        cfg.update(flags)
        cfg["return_sequences"] = return_sequences if k == last else True
        cfg["return_state"] = return_state
        cfg["zero_output_for_mask"] = bool(flags.get("zero_output_for_mask", False)) if k == last else False
        inner = RawLayer(f"{name}/cell{k}", layer_cls, freeze(cfg), tuple(w), ())
        in_idx = (current,) + (tuple(range(state_pos, state_pos + n)) if states else ())
        state_pos += n
        sub = LayerContext(inner, tuple(shapes[i] for i in in_idx), ctx.keras_major, None, ctx.input_mask)
        try:
            conv = layer_spec(layer_cls).convert(sub)   # type: ignore[union-attr]
        except ConversionProblem as exc:
            raise ConversionProblem(*[f"cell {k} ({cls}): {r}" for r in exc.reasons]) from None
        if not isinstance(conv, Converted):
            raise ConversionProblem(f"cell {k} ({cls}) does not convert to a single recurrent op")
        op = conv.op
        ins = in_idx + ((mask_index,) if mask_index is not None else ())
        steps.append(Step(op, ins, conv.output_shapes))
        base = len(shapes)
        shapes.extend(conv.output_shapes)
        out_index = base
        final_states.extend(range(base + 1, base + 1 + (n if return_state else 0)))
        current = base
        if backwards and k != last:   # back to input order for the next cell
            rev = reverse_op(conv.output_shapes[0])
            steps.append(Step(rev, (base,), (conv.output_shapes[0],)))
            shapes.append(conv.output_shapes[0])
            current = len(shapes) - 1
    outputs = (out_index,) + tuple(final_states)
    comp = Composite(tuple(steps), outputs, (0,) if return_sequences else ())
    return comp, tuple(shapes[i] for i in outputs)


def convert_stacked_rnn(ctx: LayerContext) -> Composite:
    cfg = ctx.layer.config
    comp, _ = stacked_composite(ctx, cfg, ctx.layer.weights, ctx.layer.name)
    return comp


def _shift(comp: Composite, mapping: dict, base: int) -> tuple[list[Step], dict]:
    """The composite's steps inside a larger one: value ``i`` of ``comp`` is ``mapping[i]``
    for its own inputs, and its step outputs are numbered from ``base``."""
    m = dict(mapping)
    steps = []
    pos = base
    n_own = len(mapping)
    own_pos = n_own
    for st in comp.steps:
        steps.append(Step(st.op, tuple(m[i] for i in st.inputs), st.output_shapes))
        for _ in st.output_shapes:
            m[own_pos] = pos
            own_pos += 1
            pos += 1
    return steps, m


def convert_bidirectional_stack(ctx: LayerContext, fwd_cfg: Mapping, bwd_cfg: Optional[Mapping]) -> Composite:
    """``Bidirectional(RNN(StackedRNNCells))``: both stacks, the backward output flipped back
    along time with return_sequences, then merged.  Initial states: the forward stack's
    (cell by cell) then the backward stack's, as Keras halves the list
    (``Bidirectional.call``); with ``return_state`` the outputs are the merged output (or
    both, with ``merge_mode=None``), then the forward then the backward final states."""
    cfg = ctx.layer.config
    merge_mode = cfg.get("merge_mode", "concat")
    if merge_mode not in ("concat", "sum", "mul", "ave", None):
        raise ConversionProblem(f"merge_mode {merge_mode!r} is not one of concat, sum, mul, ave, None")
    f_inner = dict(fwd_cfg.get("config") or {})
    if bwd_cfg is None:
        b_inner = dict(f_inner)
        b_inner["go_backwards"] = not f_inner.get("go_backwards", False)
    else:
        b_inner = dict(bwd_cfg.get("config") or {})
    if not isinstance(b_inner.get("cell"), Mapping) or b_inner["cell"].get("class_name") != "StackedRNNCells":
        raise ConversionProblem("the backward layer is not an RNN over StackedRNNCells as the forward one")
    if bool(f_inner.get("go_backwards", False)) == bool(b_inner.get("go_backwards", False)):
        raise ConversionProblem("forward and backward layers have the same go_backwards")
    for attr in ("return_sequences", "return_state"):
        if bool(f_inner.get(attr, False)) != bool(b_inner.get(attr, False)):
            raise ConversionProblem(f"forward and backward layers differ in {attr}")
    rs = bool(f_inner.get("return_sequences", False))
    return_state = bool(f_inner.get("return_state", False))
    force = {"zero_output_for_mask": rs}   # Keras forces zero_output_for_mask = return_sequences
    n_f = sum(3 if (c.get("config") or {}).get("use_bias", True) is not False else 2
              for c in (f_inner["cell"].get("config") or {}).get("cells", []))
    stored = ctx.layer.weights
    fwd_w = [w for w in stored if "/forward_layer/" in w.name] or list(stored[:n_f])
    bwd_w = [w for w in stored if "/backward_layer/" in w.name] or list(stored[n_f:])
    if not ctx.input_shapes:
        raise ConversionProblem("expects an input")
    x = ctx.input_shapes[0]
    states = tuple(ctx.input_shapes[1:])
    n_fs = sum(n for _, _, n in _cells(ctx, f_inner["cell"]))
    n_bs = sum(n for _, _, n in _cells(ctx, b_inner["cell"]))
    if states and len(states) != n_fs + n_bs:
        raise ConversionProblem(f"got {len(states)} initial state tensor(s), expected {n_fs + n_bs} "
                                "(the forward cells' then the backward cells')")
    f_states, b_states = (states[:n_fs], states[n_fs:]) if states else ((), ())
    f_comp, f_shapes = stacked_composite(replace(ctx, input_shapes=(x,) + f_states), f_inner, fwd_w,
                                         ctx.layer.name + "/forward", force)
    b_comp, b_shapes = stacked_composite(replace(ctx, input_shapes=(x,) + b_states), b_inner, bwd_w,
                                         ctx.layer.name + "/backward", force)
    n_in = len(ctx.input_shapes)
    mask = n_in if ctx.input_mask else None
    n_vals = n_in + (1 if ctx.input_mask else 0)
    # each stack's own values: x, its states, then the mask -> the composite's values
    f_map = {0: 0, **{1 + i: 1 + i for i in range(len(f_states))}}
    b_map = {0: 0, **{1 + i: 1 + len(f_states) + i for i in range(len(b_states))}}
    if mask is not None:
        f_map[1 + len(f_states)] = mask
        b_map[1 + len(b_states)] = mask
    f_steps, fm = _shift(f_comp, f_map, n_vals)
    base = n_vals + sum(len(s.output_shapes) for s in f_steps)
    b_steps, bm = _shift(b_comp, b_map, base)
    steps = f_steps + b_steps
    nxt = base + sum(len(s.output_shapes) for s in b_steps)
    f_out, b_out = fm[f_comp.outputs[0]], bm[b_comp.outputs[0]]
    final_states = tuple(fm[i] for i in f_comp.outputs[1:]) + tuple(bm[i] for i in b_comp.outputs[1:])
    if rs:
        steps.append(Step(reverse_op(b_shapes[0]), (b_out,), (b_shapes[0],)))
        b_out, nxt = nxt, nxt + 1
    fs, bs = f_shapes[0], b_shapes[0]
    if merge_mode is None:
        return Composite(tuple(steps), (f_out, b_out) + final_states, (0, 1) if rs else ())
    if merge_mode == "concat":
        out = fs[:-1] + (fs[-1] + bs[-1],)
        steps.append(Step(ConcatenateOp(len(fs) - 1), (f_out, b_out), (out,)))
    else:
        if fs != bs:
            raise ConversionProblem(f"merge_mode {merge_mode!r} needs equal units")
        mode = {"sum": "add", "mul": "multiply", "ave": "average"}[merge_mode]
        steps.append(Step(MergeOp(mode), (f_out, b_out), (fs,)))
    return Composite(tuple(steps), (nxt,) + final_states, (0,) if rs else ())
