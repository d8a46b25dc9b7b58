"""Converters for recurrent layers."""
from __future__ import annotations

from ..ir import LstmOp
from .base import ConversionProblem, Converted, LayerContext, last_dim, require_rank

#: Options that change inference results and are not supported yet.
_UNSUPPORTED_RNN_FLAGS = ("return_state", "stateful", "time_major")


def _check_rnn(ctx: LayerContext):
    shape = ctx.single_input()
    require_rank(shape, 2, "input (timesteps, features)")
    problems = []
    for flag in _UNSUPPORTED_RNN_FLAGS:
        if ctx.layer.config.get(flag) is True:
            problems.append(f"{flag}=True is not supported")
    if problems:
        raise ConversionProblem(*problems)
    return shape


def convert_lstm(ctx: LayerContext) -> Converted:
    shape = _check_rnn(ctx)
    n_in = last_dim(shape)
    units = ctx.get_int("units", minimum=1)
    use_bias = ctx.get_bool("use_bias", True)
    act = ctx.activation("activation", "tanh")
    rec_default = "sigmoid" if ctx.keras_major >= 3 else "hard_sigmoid"
    rec = ctx.activation("recurrent_activation", rec_default)
    return_sequences = ctx.get_bool("return_sequences", False)
    go_backwards = ctx.get_bool("go_backwards", False)
    specs = [("kernel", (n_in, 4 * units)), ("recurrent_kernel", (units, 4 * units))]
    if use_bias:
        specs.append(("bias", (4 * units,)))
    w = ctx.weights(specs)
    op = LstmOp(units=units, activation=act, recurrent_activation=rec,
                return_sequences=return_sequences, go_backwards=go_backwards,
                kernel=w[0], recurrent_kernel=w[1], bias=w[2] if use_bias else None)
    out = (shape[0], units) if return_sequences else (units,)
    return Converted(op, (out,))
