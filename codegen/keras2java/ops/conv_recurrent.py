"""Convolutional recurrence: ConvLSTM2D and ConvLSTM1D (Keras 3
``keras/src/layers/rnn/conv_lstm.py``, tf-keras ``layers/rnn/conv_lstm*.py``).

Gates i, f, c, o as ``ConvLSTMCell``: the input convolution (padding,
strides and dilation of the layer, with the bias) plus the recurrent
convolution of h (``same``, stride 1, no dilation), ``c = f*c + i*act(z_c)``,
``h = o*act(c)``.  A ConvLSTM1D frame ``(steps, channels)`` is an image of
width 1.  The runtime convolves all frames with the input kernel first, as
one matrix product per block of pixels.

Masks (one value per timestep, as for every Keras RNN): a masked step keeps
h and c and repeats the previous output (zeros with Keras 3's
``zero_output_for_mask``).  The states live in the generated ``State``, so
a model whose time axis reaches the layer through per-frame layers streams
one frame per ``Session.step`` (not with ``go_backwards``).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, Optional

import numpy as np

from ..activations import evaluate as activate
from ..ir import Activation, WeightTensor, format_shape
from .base import ConversionProblem, MaskRule, Op, converter, register_op
from .context import Converted, LayerContext
from .conv2d import BLOCK_PIXELS, Conv2DOp, _conv2d, _size, channels_first, tuple2
from .view import Act, Call, CallView, Const, New, Var, ViewContext, comment

f32 = np.float32


def lstm_outputs(op, x: np.ndarray, conv_x, conv_h, state: tuple, shape: tuple) -> list:
    """The numpy reference of a ConvLSTM ``op`` (filters, activations, go_backwards,
    return_sequences, return_state) on the frames ``x``: ``conv_x(frame)`` and ``conv_h(h)``
    are its two convolutions (with the bias, without the activation), ``state`` the shape of
    h and c, ``shape`` the shape of one output step."""
    F = op.filters
    h = np.zeros(state)
    c = np.zeros(state)
    seq = []
    order = range(x.shape[0] - 1, -1, -1) if op.go_backwards else range(x.shape[0])
    for t in order:
        z = np.asarray(conv_x(x[t]), np.float64) + np.asarray(conv_h(np.asarray(h, f32)), np.float64)
        i = activate(op.recurrent_activation, z[..., :F])
        f = activate(op.recurrent_activation, z[..., F:2 * F])
        g = activate(op.activation, z[..., 2 * F:3 * F])
        o = activate(op.recurrent_activation, z[..., 3 * F:])
        c = np.asarray(f, np.float64) * c + np.asarray(i, np.float64) * g
        h = np.asarray(o, np.float64) * np.asarray(activate(op.activation, np.asarray(c, f32)), np.float64)
        seq.append(np.asarray(h, f32))
    out = np.stack(seq).reshape((-1,) + shape) if op.return_sequences else seq[-1].reshape(shape)
    outs = [out]
    if op.return_state:
        outs += [seq[-1].reshape(shape), np.asarray(c, f32).reshape(shape)]
    return outs


class ConvLstmTraits(Op):
    """What every ConvLSTM op shares (ConvLstmOp here, ConvLstm3DOp in conv_lstm3d): recurrent
    state, masks consumed per timestep, streaming one frame per step unless go_backwards."""

    has_state: ClassVar[bool] = True

    def stream_outputs(self, rank):
        if self.go_backwards:   # type: ignore[attr-defined]
            return None
        return (0,) if self.return_sequences else ()   # type: ignore[attr-defined]

    def mask_outputs(self):
        return (0,) if self.return_sequences else ()   # type: ignore[attr-defined]

    def reference_problem(self):
        return "the numpy reference does not implement masks" if self.masked else None   # type: ignore[attr-defined]


@register_op
@dataclass(frozen=True)
class ConvLstmOp(ConvLstmTraits):
    """One ConvLSTM layer over ``(timesteps, h, w, channels)`` frames (w = 1 for ConvLSTM1D)."""

    filters: int
    frame: tuple[int, int, int]          # input (h, w, channels)
    out_hw: tuple[int, int]
    kernel_size: tuple[int, int]
    strides: tuple[int, int]
    dilation: tuple[int, int]
    padding: str
    activation: Activation
    recurrent_activation: Activation
    go_backwards: bool
    return_sequences: bool
    return_state: bool
    kernel: WeightTensor                 # (kh*kw*in, 4*filters)
    recurrent_kernel: WeightTensor       # (kh*kw*filters, 4*filters)
    bias: Optional[WeightTensor]         # (4*filters,)
    rank: int = 2
    zero_output_for_mask: bool = False
    masked: bool = False                 # the node's last input is a per-timestep mask
    stateful: bool = False               # refused by the converter; read by the emitter's state wiring
    kind: ClassVar[str] = "conv_lstm"
    runtime: ClassVar[tuple[str, ...]] = ("ConvLstm", "FrameConv", "Conv2D", "Linear", "Activation", "Check")

    def _convs(self) -> tuple[Conv2DOp, Conv2DOp]:
        lin = Activation("linear")
        x = Conv2DOp(4 * self.filters, self.kernel_size, self.strides, self.dilation, self.padding, 1, self.frame[2],
                     lin, self.kernel, self.bias)
        r = Conv2DOp(4 * self.filters, self.kernel_size, (1, 1), (1, 1), "same", 1, self.filters, lin,
                     self.recurrent_kernel, None)
        return x, r

    def evaluate(self, inputs):
        x = np.asarray(inputs[0])
        if self.rank == 1:
            x = x[:, :, None, :]
        xc, rc = self._convs()
        oh, ow = self.out_hw
        shape = (oh, self.filters) if self.rank == 1 else (oh, ow, self.filters)
        return lstm_outputs(self, x, lambda frame: _conv2d(xc, frame), lambda h: _conv2d(rc, h),
                            (oh, ow, self.filters), shape)

    def view(self, node, ctx: ViewContext) -> CallView:
        (kh, kw), (sh, sw), (dh, dw) = self.kernel_size, self.strides, self.dilation
        ih, iw, cin = self.frame
        oh, ow = self.out_hw
        F = self.filters
        block_in = min(max(1, -(-BLOCK_PIXELS // ow)), oh)
        conv = Const("Conv2D", self.padding.upper())
        xconv = New("Conv2D", (Var("data"), ctx.offset(self.kernel), ctx.offset(self.bias), -1, kh, kw, cin, iw,
                               4 * F, 4 * F, sh, sw, dh, dw, conv, 1, block_in, Act(Activation("linear"))))
        rconv = New("Conv2D", (Var("data"), ctx.offset(self.recurrent_kernel), -1, -1, kh, kw, F, ow, 4 * F, 4 * F,
                               1, 1, 1, 1, Const("Conv2D", "SAME"), 1, block_in, Act(Activation("linear"))))
        rows = block_in * ow
        conv_space = max(rows * kh * kw * cin, rows * kh * kw * F)
        return lstm_call(self, node, ctx, xconv, rconv, (ih, oh, ow), conv_space)


def lstm_call(op, node, ctx: ViewContext, xconv: New, rconv: New, sizes: tuple, conv_space: int) -> CallView:
    """The view of a ConvLSTM ``op`` running its two convolutions ``xconv`` and ``rconv``
    (runtime FrameConv objects): ``sizes`` are (input frame rows, output frame rows, pixels
    per output row), ``conv_space`` the workspace either convolution needs."""
    x = ctx.ins[0]
    steps = x.step_count()
    ih, oh, ow = sizes
    F = op.filters
    pixels = oh * ow
    init = New("ConvLstm", (xconv, rconv, ih, oh, ow, F, conv_space, Act(op.activation),
                            Act(op.recurrent_activation), op.go_backwards, op.return_sequences,
                            op.zero_output_for_mask))
    mask = Var(ctx.ins[-1].var) if op.masked else None
    outs = ctx.outs
    h_out = Var(outs[1].var) if op.return_state else None
    c_out = Var(outs[2].var) if op.return_state else None
    ws = Call("ConvLstm", "workspaceSize", (steps, pixels * 4 * F, pixels * 4 * F + conv_space))
    return CallView(ctx.field, comment(node), ctx.out_bufs(), "forward",
                    (Var(x.var), steps, mask, Var(outs[0].var), h_out, c_out, Var("st." + ctx.state), 0,
                     Var("ws")), cls="ConvLstm", init=init, workspace_size=ws)


def _flat_kernel(w: WeightTensor, shape4: tuple) -> WeightTensor:
    a = np.asarray(w.array, f32).reshape(shape4)
    return WeightTensor(w.role, w.source, a.reshape(-1, shape4[-1]))


def lstm_options(ctx: LayerContext) -> tuple:
    """(filters, activation, recurrent_activation, use_bias) of a ConvLSTM layer."""
    F = ctx.get_int("filters", minimum=1)
    act = ctx.activation("activation", "tanh")
    rec = ctx.activation("recurrent_activation", "sigmoid" if ctx.keras_major >= 3 else "hard_sigmoid")
    for a, name in ((act, "activation"), (rec, "recurrent_activation")):
        if a.kind in ("softmax", "log_softmax"):
            raise ConversionProblem(f"{name}={a.kind} is not supported for ConvLSTM")
    use_bias = ctx.get_bool("use_bias", True)
    return F, act, rec, use_bias


def lstm_returns(ctx: LayerContext) -> tuple:
    """(return_sequences, return_state, zero_output_for_mask) of a ConvLSTM layer."""
    ret_seq = ctx.get_bool("return_sequences", False)
    ret_state = ctx.get_bool("return_state", False)
    # Keras 3's ConvLSTM is an RNN (zero_output_for_mask among its options); tf-keras'
    # ConvRNN calls backend.rnn without it, so a masked step always repeats the previous output.
    zero_out = ctx.get_bool("zero_output_for_mask", False) if ctx.keras_major >= 3 else False
    return ret_seq, ret_state, zero_out


def lstm_frames(ctx: LayerContext, axes: str) -> tuple:
    """(input shape, frame shape) of a ConvLSTM layer whose frames have the ``axes`` (e.g.
    ``"rows, cols"``) before their channels; refuses what keras2java does not take."""
    shape = ctx.single_input()
    if len(shape) != axes.count(",") + 3:
        raise ConversionProblem(f"input has shape {format_shape(shape)}, expected (timesteps, {axes}, channels) "
                                "without batch")
    if channels_first(ctx):
        raise ConversionProblem("data_format='channels_first' is not supported for ConvLSTM; only 'channels_last'")
    ctx.reject_true("stateful", why="is not supported for ConvLSTM")
    frame = tuple(shape[1:])
    if any(d is None for d in frame):
        raise ConversionProblem(f"frame shape {format_shape(frame)} must be fixed")
    return shape, frame


def _convert(ctx: LayerContext, rank: int) -> Converted:
    shape, frame = lstm_frames(ctx, "rows, cols" if rank == 2 else "steps")
    if rank == 1:
        ih, iw, cin = frame[0], 1, frame[1]
        from .shape_rules import int1
        k = (int1(ctx, "kernel_size", None), 1)
        strides = (int1(ctx, "strides", 1), 1)
        dilation = (int1(ctx, "dilation_rate", 1), 1)
    else:
        ih, iw, cin = frame
        k = tuple2(ctx, "kernel_size", None)
        strides = tuple2(ctx, "strides", 1)
        dilation = tuple2(ctx, "dilation_rate", 1)
    padding = ctx.get_str("padding", "valid").lower()
    if padding not in ("valid", "same"):
        raise ConversionProblem(f"padding={padding!r} is not supported; expected 'valid' or 'same'")
    if max(strides) > 1 and max(dilation) > 1:
        raise ConversionProblem("strides > 1 together with dilation_rate > 1 is not supported")
    span = (dilation[0] * (k[0] - 1) + 1, dilation[1] * (k[1] - 1) + 1)
    if padding == "valid" and (ih < span[0] or iw < span[1]):
        raise ConversionProblem(f"frame {format_shape(frame)} is smaller than the kernel's span")
    oh, ow = _size(ih, span[0], strides[0], padding), _size(iw, span[1], strides[1], padding)
    F, act, rec, use_bias = lstm_options(ctx)
    ks = k if rank == 2 else (k[0],)
    w = ctx.weights([("kernel", ks + (cin, 4 * F)), ("recurrent_kernel", ks + (F, 4 * F))]
                    + ([("bias", (4 * F,))] if use_bias else []))
    ret_seq, ret_state, zero_out = lstm_returns(ctx)
    op = ConvLstmOp(F, (ih, iw, cin), (oh, ow), k, strides, dilation, padding, act, rec,
                    ctx.get_bool("go_backwards", False), ret_seq, ret_state,
                    _flat_kernel(w[0], (k[0], k[1], cin, 4 * F)), _flat_kernel(w[1], (k[0], k[1], F, 4 * F)),
                    w[2] if use_bias else None, rank, zero_out, ctx.input_mask)
    state = (oh, F) if rank == 1 else (oh, ow, F)
    out = ((shape[0],) + state) if ret_seq else state
    return Converted(op, (out,) + ((state, state) if ret_state else ()))


@converter("ConvLSTM2D", mask=MaskRule.CONSUME)
def convert_conv_lstm2d(ctx: LayerContext) -> Converted:
    return _convert(ctx, 2)


@converter("ConvLSTM1D", mask=MaskRule.CONSUME)
def convert_conv_lstm1d(ctx: LayerContext) -> Converted:
    return _convert(ctx, 1)
