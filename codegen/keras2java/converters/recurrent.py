"""Converters for recurrent layers (LSTM, GRU, SimpleRNN), their wrappers
(Bidirectional, TimeDistributed), Embedding and Masking.

Semantics follow Keras 3 ``keras/src/layers/rnn/*.py`` and tf-keras
``tf_keras/layers/rnn/*.py``; version-dependent defaults (recurrent
activation, GRU ``reset_after``) are chosen by the Keras major version that
wrote the file.
"""
from __future__ import annotations

from dataclasses import replace
from typing import Any, Mapping

from ..ir import (ActivationOp, BidirectionalOp, DenseOp, EmbeddingOp, GruOp, IdentityOp, LstmOp, MaskingOp, Shape,
                  SimpleRnnOp, format_shape)
from ..reader.raw import RawLayer, freeze
from .base import ConversionProblem, Converted, LayerContext, last_dim, require_rank

#: Largest vocabulary whose token ids are exact as float32 (2^24).
MAX_VOCABULARY = 1 << 24

#: Ops that act on the last axis only, so TimeDistributed(op) == op on the whole tensor.
TIME_DISTRIBUTABLE = (DenseOp, ActivationOp, IdentityOp, EmbeddingOp)

MERGE_MODES = ("concat", "sum", "mul", "ave", None)


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


def convert_lstm(ctx: LayerContext) -> Converted:
    flags = _flags(ctx)
    units = ctx.get_int("units", minimum=1)
    shape, init = _sequence_input(ctx, 2, units)
    n_in = last_dim(shape)
    use_bias = ctx.get_bool("use_bias", True)
    act = ctx.activation("activation", "tanh")
    rec = ctx.activation("recurrent_activation", _recurrent_default(ctx))
    specs = [("kernel", (n_in, 4 * units)), ("recurrent_kernel", (units, 4 * units))]
    if use_bias:
        specs.append(("bias", (4 * units,)))
    w = ctx.weights(specs)
    op = LstmOp(units=units, activation=act, recurrent_activation=rec,
                kernel=w[0], recurrent_kernel=w[1], bias=w[2] if use_bias else None,
                masked=ctx.input_mask, initial_state=init, **flags)
    return Converted(op, _outputs(shape, units, flags, 2))


def convert_gru(ctx: LayerContext) -> Converted:
    flags = _flags(ctx)
    units = ctx.get_int("units", minimum=1)
    shape, init = _sequence_input(ctx, 1, units)
    n_in = last_dim(shape)
    use_bias = ctx.get_bool("use_bias", True)
    act = ctx.activation("activation", "tanh")
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


def convert_simple_rnn(ctx: LayerContext) -> Converted:
    flags = _flags(ctx)
    units = ctx.get_int("units", minimum=1)
    shape, init = _sequence_input(ctx, 1, units)
    n_in = last_dim(shape)
    use_bias = ctx.get_bool("use_bias", True)
    act = ctx.activation("activation", "tanh")
    specs = [("kernel", (n_in, units)), ("recurrent_kernel", (units, units))]
    if use_bias:
        specs.append(("bias", (units,)))
    w = ctx.weights(specs)
    op = SimpleRnnOp(units=units, activation=act, kernel=w[0], recurrent_kernel=w[1],
                     bias=w[2] if use_bias else None, masked=ctx.input_mask, initial_state=init, **flags)
    return Converted(op, _outputs(shape, units, flags, 1))


CELL_LAYERS = {"LSTMCell": "LSTM", "GRUCell": "GRU", "SimpleRNNCell": "SimpleRNN"}
RNN_FLAGS = ("return_sequences", "return_state", "go_backwards", "stateful", "zero_output_for_mask", "time_major")


def convert_rnn(ctx: LayerContext) -> Converted:
    """``keras.layers.RNN(cell)`` around one built-in cell: the same as the
    matching layer (LSTM, GRU, SimpleRNN) with the RNN's options."""
    cell = ctx.layer.config.get("cell")
    cls = cell.get("class_name") if isinstance(cell, Mapping) else None
    if cls not in CELL_LAYERS:
        raise ConversionProblem(f"RNN cell {cls!r} is not supported; supported: {', '.join(CELL_LAYERS)} "
                                "(a single cell, not a list or StackedRNNCells)")
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


def _weight_count(layer_cfg: Mapping) -> int:
    cfg = layer_cfg.get("config") or {}
    if layer_cfg.get("class_name") == "RNN" and isinstance(cfg.get("cell"), Mapping):
        cfg = cfg["cell"].get("config") or {}
    return 3 if cfg.get("use_bias", True) is not False else 2


def convert_bidirectional(ctx: LayerContext) -> Converted:
    cfg = ctx.layer.config
    merge_mode = cfg.get("merge_mode", "concat")
    if merge_mode not in MERGE_MODES:
        raise ConversionProblem(f"merge_mode {merge_mode!r} is not one of concat, sum, mul, ave, None")
    fwd_cfg = cfg.get("layer")
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


def convert_time_distributed(ctx: LayerContext) -> Converted:
    from . import REGISTRY  # the registry imports this module
    shape = ctx.single_input()
    if len(shape) < 2:
        raise ConversionProblem(f"input has shape {format_shape(shape)}; TimeDistributed needs (timesteps, ...)")
    inner_cfg = ctx.layer.config.get("layer")
    cls = inner_cfg.get("class_name") if isinstance(inner_cfg, Mapping) else None
    if cls not in REGISTRY:
        raise ConversionProblem(f"wrapped layer class {cls!r} is not supported")
    inner = _inner_layer(inner_cfg, "wrapped layer", ctx.layer.weights, ctx.layer)
    sub = LayerContext(inner, (shape[1:],), ctx.keras_major, None)
    try:
        converted = REGISTRY[cls](sub)
    except ConversionProblem as exc:
        raise ConversionProblem(*[f"wrapped {cls}: {r}" for r in exc.reasons]) from None
    if isinstance(converted.op, EmbeddingOp) and converted.op.mask_zero:
        raise ConversionProblem("TimeDistributed(Embedding(mask_zero=True)) is not supported")
    if not isinstance(converted.op, TIME_DISTRIBUTABLE) or len(converted.output_shapes) != 1:
        raise ConversionProblem(f"TimeDistributed({cls}) is not supported; supported: per-step layers "
                                "(Dense, activations, Dropout and noise layers, Embedding)")
    return Converted(converted.op, ((shape[0],) + tuple(converted.output_shapes[0]),))


def convert_embedding(ctx: LayerContext) -> Converted:
    shape = ctx.single_input()
    vocab = ctx.get_int("input_dim", minimum=1)
    dim = ctx.get_int("output_dim", minimum=1)
    mask_zero = ctx.get_bool("mask_zero", False)
    problems = []
    if ctx.layer.config.get("lora_rank"):
        problems.append("LoRA-enabled Embedding (lora_rank) is not supported; merge the LoRA weights first")
    if vocab > MAX_VOCABULARY:
        problems.append(f"input_dim {vocab} is over {MAX_VOCABULARY}: token ids would not be exact as float32")
    if mask_zero and len(shape) != 1:
        problems.append(f"mask_zero=True needs token ids of shape (timesteps,), got {format_shape(shape)}")
    if problems:
        raise ConversionProblem(*problems)
    w = ctx.weights([("embeddings", (vocab, dim))])
    return Converted(EmbeddingOp(vocab, dim, w[0], mask_zero), (tuple(shape) + (dim,),))


def convert_masking(ctx: LayerContext) -> Converted:
    shape = ctx.single_input()
    require_rank(shape, 2, "input (timesteps, features)")
    value = ctx.get_float("mask_value", 0.0)
    ctx.weights([])
    return Converted(MaskingOp(value), (shape,))
