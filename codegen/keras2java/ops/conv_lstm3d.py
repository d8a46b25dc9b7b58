"""ConvLSTM3D (Keras 3 ``keras/src/layers/rnn/conv_lstm3d.py``, tf-keras
``layers/rnn/conv_lstm3d.py``): the ConvLSTM recurrence of
:mod:`.conv_recurrent` over ``(timesteps, depth, height, width, channels)``
frames, its two convolutions 3-D (:class:`.conv3d.Conv3DOp`; the recurrent one
``same``, stride 1, no dilation).  The runtime ``ConvLstm`` runs them through
``FrameConv``, an output frame's height and width being one axis of pixels
for it.  Masks, return_state, go_backwards and streaming as ConvLSTM2D.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, Optional

import numpy as np

from ..ir import Activation, WeightTensor, format_shape
from .base import ConversionProblem, MaskRule, converter, register_op
from .context import Converted, LayerContext
from .conv2d import BLOCK_PIXELS, _padding, _size
from .conv3d import Conv3DOp, Triple, tuple3
from .conv_recurrent import ConvLstmTraits, lstm_call, lstm_frames, lstm_options, lstm_outputs, lstm_returns
from .view import Act, CallView, Const, New, Var, ViewContext

f32 = np.float32


@register_op
@dataclass(frozen=True)
class ConvLstm3DOp(ConvLstmTraits):
    """One ConvLSTM3D layer over ``(timesteps, d, h, w, channels)`` frames."""

    filters: int
    frame: tuple[int, int, int, int]     # input (d, h, w, channels)
    out_dhw: Triple
    kernel_size: Triple
    strides: Triple
    dilation: Triple
    padding: str
    activation: Activation
    recurrent_activation: Activation
    go_backwards: bool
    return_sequences: bool
    return_state: bool
    kernel: WeightTensor                 # (kd*kh*kw*in, 4*filters)
    recurrent_kernel: WeightTensor       # (kd*kh*kw*filters, 4*filters)
    bias: Optional[WeightTensor]         # (4*filters,)
    zero_output_for_mask: bool = False
    masked: bool = False                 # the node's last input is a per-timestep mask
    stateful: bool = False               # refused by the converter; read by the emitter's state wiring
    kind: ClassVar[str] = "conv_lstm3d"
    runtime: ClassVar[tuple[str, ...]] = ("ConvLstm", "FrameConv", "Conv3D", "Conv2D", "Linear", "Activation",
                                          "Check")

    def evaluate(self, inputs):
        lin = Activation("linear")
        F = self.filters
        xc = Conv3DOp(4 * F, self.kernel_size, self.strides, self.dilation, self.padding, 1, self.frame[3], lin,
                      self.kernel, self.bias)
        rc = Conv3DOp(4 * F, self.kernel_size, (1, 1, 1), (1, 1, 1), "same", 1, F, lin, self.recurrent_kernel, None)
        state = self.out_dhw + (F,)
        return lstm_outputs(self, np.asarray(inputs[0]), xc.one, rc.one, state, state)

    def view(self, node, ctx: ViewContext) -> CallView:
        (kd, kh, kw), (sd, sh, sw), (dd, dh, dw) = self.kernel_size, self.strides, self.dilation
        idp, ih, iw, cin = self.frame
        od, oh, ow = self.out_dhw
        F = self.filters
        block = min(max(1, -(-BLOCK_PIXELS // ow)), od * oh)
        lin = Act(Activation("linear"))
        xconv = New("Conv3D", (Var("data"), ctx.offset(self.kernel), ctx.offset(self.bias), kd, kh, kw, cin, ih, iw,
                               4 * F, sd, sh, sw, dd, dh, dw, Const("Conv3D", self.padding.upper()), 1, block, lin))
        rconv = New("Conv3D", (Var("data"), ctx.offset(self.recurrent_kernel), -1, kd, kh, kw, F, oh, ow, 4 * F,
                               1, 1, 1, 1, 1, 1, Const("Conv3D", "SAME"), 1, block, lin))
        rows = block * ow
        conv_space = max(rows * kd * kh * kw * cin, rows * kd * kh * kw * F)
        return lstm_call(self, node, ctx, xconv, rconv, (idp, od, oh * ow), conv_space)


@converter("ConvLSTM3D", mask=MaskRule.CONSUME)
def convert_conv_lstm3d(ctx: LayerContext) -> Converted:
    shape, frame = lstm_frames(ctx, "depth, rows, cols")
    k = tuple3(ctx, "kernel_size", None)
    strides = tuple3(ctx, "strides", 1)
    dilation = tuple3(ctx, "dilation_rate", 1)
    padding = _padding(ctx)
    if max(strides) > 1 and max(dilation) > 1:
        raise ConversionProblem("strides > 1 together with dilation_rate > 1 is not supported")
    span = tuple(di * (ki - 1) + 1 for ki, di in zip(k, dilation))
    if padding == "valid" and any(n < sp for n, sp in zip(frame[:3], span)):
        raise ConversionProblem(f"frame {format_shape(frame)} is smaller than the kernel's span")
    out = tuple(_size(n, sp, s, padding) for n, sp, s in zip(frame[:3], span, strides))
    F, act, rec, use_bias = lstm_options(ctx)
    cin = frame[3]
    w = ctx.weights([("kernel", k + (cin, 4 * F)), ("recurrent_kernel", k + (F, 4 * F))]
                    + ([("bias", (4 * F,))] if use_bias else []))
    ret_seq, ret_state, zero_out = lstm_returns(ctx)

    def flat(t: WeightTensor) -> WeightTensor:
        return WeightTensor(t.role, t.source, np.asarray(t.array, f32).reshape(-1, 4 * F))

    op = ConvLstm3DOp(F, frame, out, k, strides, dilation, padding, act, rec,  # type: ignore[arg-type]
                      ctx.get_bool("go_backwards", False), ret_seq, ret_state, flat(w[0]), flat(w[1]),
                      w[2] if use_bias else None, zero_out, ctx.input_mask)
    state = out + (F,)
    return Converted(op, (((shape[0],) + state) if ret_seq else state,) + ((state, state) if ret_state else ()))
