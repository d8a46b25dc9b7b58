"""Keras 1/2 upgrade hooks of the recurrent family (LSTM, GRU, SimpleRNN and the
cuDNN layers), registered with :func:`legacy_upgrade` beside the converters of
:mod:`.recurrent`.  Each rule follows the Keras source named:

* Keras 1 config keys (Keras 2.2.4 ``keras/legacy/interfaces.py``):
  ``output_dim -> units``, ``inner_activation -> recurrent_activation``,
  ``dropout_W/U -> dropout/recurrent_dropout``; a Keras 1 GRU always resets
  before the recurrent product (``reset_after=False``).
* Keras 1 per-gate weights (Keras 1.2.2 ``keras/layers/recurrent.py``): LSTM
  stores ``W_i,U_i,b_i, W_c,U_c,b_c, W_f,U_f,b_f, W_o,U_o,b_o`` (gate order
  i,c,f,o); Keras 2 fuses them as i,f,c,o, exactly as
  ``preprocess_weights_for_loading`` does (``weights[0], [6], [3], [9]``).  GRU
  stores ``W_z,U_z,b_z, W_r,U_r,b_r, W_h,U_h,b_h``.  ``consume_less='gpu'``
  stores the fused ``W, U, b`` already in Keras 2 order.
* ``CuDNNLSTM`` / ``CuDNNGRU`` (Keras 2.0.9+ ``keras/layers/cudnn_recurrent.py``)
  and LSTM/GRU layers holding cuDNN weights (bias ``8u`` / ``6u``): converted as
  tf-keras ``hdf5_format._convert_rnn_weights`` does: each gate's input kernel
  is read in Fortran order (``k.T.reshape(k.shape, order='F')``), each gate's
  recurrent kernel is transposed, LSTM input and recurrent biases are summed,
  the GRU bias becomes ``(2, 3u)`` and the GRU is ``reset_after=True``.  cuDNN
  layers always use tanh and sigmoid.
* A missing ``recurrent_activation`` means ``hard_sigmoid`` in Keras < 2.3 and
  ``sigmoid`` from 2.3 on; a missing GRU ``reset_after`` is decided from the
  bias shape.
"""
from __future__ import annotations

from dataclasses import replace
from typing import Mapping, Optional

import numpy as np

from ..errors import ModelFileError
from ..ir import format_shape
from ..reader.raw import RawLayer, RawWeight, freeze
from .base import legacy_upgrade
from .legacy import UpgradeContext, describe_keras1, keras1_input_shape, rename

CUDNN = {"CuDNNLSTM": "LSTM", "CuDNNGRU": "GRU"}
ROLE = {"W": "input kernel", "U": "recurrent kernel", "b": "bias"}
LSTM_GATES = {"i": "input gate", "f": "forget gate", "c": "cell candidate", "o": "output gate"}
GRU_GATES = {"z": "update gate", "r": "reset gate", "h": "candidate"}
#: Keras 1 per-gate storage order and the Keras 2 fused gate order.
K1_LSTM_ORDER = ("i", "c", "f", "o")
K2_LSTM_ORDER = ("i", "f", "c", "o")
GRU_ORDER = ("z", "r", "h")


def _gate_target(sym: str, gate: str, gates: Mapping[str, str]) -> str:
    return f"{sym}_{gate} ({ROLE[sym]}, {gates[gate]})"


def _fuse_per_gate(layer: RawLayer, order: tuple[str, ...], fused_order: tuple[str, ...],
                   gates: Mapping[str, str], ctx: UpgradeContext) -> tuple[RawWeight, ...]:
    """Per-gate tensors (stored gate by gate: W, U, b per gate) -> kernel, recurrent_kernel, bias."""
    w = layer.weights
    by_gate = {g: (w[3 * k], w[3 * k + 1], w[3 * k + 2]) for k, g in enumerate(order)}
    for k, g in enumerate(order):
        for j, sym in enumerate("WUb"):
            ctx.add(layer.name, w[3 * k + j], _gate_target(sym, g, gates))
    out = []
    for j, role in enumerate(("kernel", "recurrent_kernel", "bias")):
        parts = [by_gate[g][j] for g in fused_order]
        ranks = {p.array.ndim for p in parts}
        if ranks != {1 if j == 2 else 2}:
            raise ModelFileError(f"layer {layer.name!r}: per-gate weights have unexpected shapes "
                                 + ", ".join(f"{p.name} {format_shape(p.shape)}" for p in parts))
        try:
            arr = np.concatenate([p.array for p in parts], axis=-1)
        except ValueError:
            raise ModelFileError(f"layer {layer.name!r}: per-gate weights do not fit together: "
                                 + ", ".join(f"{p.name} {format_shape(p.shape)}" for p in parts)) from None
        sym = "WUb"[j]
        out.append(RawWeight(f"{layer.name}/{role} (fused from {','.join(sym + '_' + g for g in fused_order)})", arr))
    return tuple(out)


def _describe_fused(layer: RawLayer, gates: Mapping[str, str], order: tuple[str, ...], ctx: UpgradeContext) -> None:
    """Provenance for already fused W, U, b (Keras 1 ``consume_less='gpu'``)."""
    for sym, w in zip("WUb", layer.weights):
        n = len(order)
        width = w.shape[-1] // n if w.shape and w.shape[-1] % n == 0 else None
        if width is None:
            continue
        for k, g in enumerate(order):
            lo, hi = k * width, (k + 1) * width
            sl = f"[:, {lo}:{hi}]" if len(w.shape) == 2 else f"[{lo}:{hi}]"
            ctx.add(layer.name, w, _gate_target(sym, g, gates), where=sl)


def _from_cudnn(layer: RawLayer, n_gates: int, gates: Mapping[str, str], order: tuple[str, ...],
                ctx: UpgradeContext) -> tuple[RawWeight, ...]:
    """tf-keras ``_convert_rnn_weights(from_cudnn=True)``."""
    kernel, rec, bias = layer.weights
    if kernel.array.ndim != 2 or rec.array.ndim != 2 or kernel.shape[1] % n_gates or rec.shape[1] % n_gates:
        raise ModelFileError(f"layer {layer.name!r}: cuDNN weights have unexpected shapes "
                             f"{format_shape(kernel.shape)}, {format_shape(rec.shape)}")
    u = rec.shape[0]
    k_parts = np.hsplit(kernel.array, n_gates)
    new_kernel = np.hstack([k.T.reshape(k.shape, order="F") for k in k_parts])
    new_rec = np.hstack([r.T for r in np.hsplit(rec.array, n_gates)])
    for k, g in enumerate(order):
        lo, hi = k * u, (k + 1) * u
        ctx.add(layer.name, kernel, _gate_target("W", g, gates), " [cuDNN layout: read in Fortran order]",
                f"[:, {lo}:{hi}]")
    for k, g in enumerate(order):
        lo, hi = k * u, (k + 1) * u
        ctx.add(layer.name, rec, _gate_target("U", g, gates), " [cuDNN layout: transposed]", f"[:, {lo}:{hi}]")
    if n_gates == 4:
        new_bias = np.sum(np.split(bias.array, 2, axis=0), axis=0)
        for half, what in ((0, "input-side"), (1, "recurrent-side")):
            for k, g in enumerate(order):
                lo = half * 4 * u + k * u
                ctx.add(layer.name, bias, f"b_{g} ({what} bias, {gates[g]}; summed)", where=f"[{lo}:{lo + u}]")
    else:
        new_bias = bias.array.reshape((2, -1))
        for half, what in ((0, "input bias"), (1, "recurrent bias")):
            for k, g in enumerate(order):
                lo = half * 3 * u + k * u
                ctx.add(layer.name, bias, f"b_{g} ({what}, {gates[g]})", where=f"[{lo}:{lo + u}]")
    return (RawWeight(f"{kernel.name} (from cuDNN)", new_kernel),
            RawWeight(f"{rec.name} (from cuDNN)", new_rec),
            RawWeight(f"{bias.name} (from cuDNN)", new_bias))


def _units(cfg: Mapping) -> Optional[int]:
    u = cfg.get("units")
    return u if isinstance(u, int) and not isinstance(u, bool) and u > 0 else None


def _keras2_recurrent(layer: RawLayer, cls: str, cfg: dict, ctx: UpgradeContext) -> RawLayer:
    """Defaults that changed in Keras 2.3, and the weight layouts of Keras 1 and cuDNN."""
    major, minor = ctx.major, ctx.minor
    weights = layer.weights
    if cls in ("LSTM", "GRU") and "recurrent_activation" not in cfg:
        cfg["recurrent_activation"] = "hard_sigmoid" if (major, minor) < (2, 3) else "sigmoid"
        ctx.note(layer.name, f"recurrent_activation missing: {cfg['recurrent_activation']} "
                             f"(the default of Keras {major}.{minor})")
    units = _units(cfg)
    if cls == "GRU" and "reset_after" not in cfg and len(weights) == 3 and units:
        shape = weights[2].shape
        if shape in ((3 * units,), (2, 3 * units)):
            cfg["reset_after"] = shape == (2, 3 * units)
            ctx.note(layer.name, f"reset_after missing: {cfg['reset_after']} "
                                 f"(bias {weights[2].name} has shape {format_shape(shape)})")
    if cls == "LSTM" and len(weights) == 12:
        weights = _fuse_per_gate(layer, K1_LSTM_ORDER, K2_LSTM_ORDER, LSTM_GATES, ctx)
    elif cls == "GRU" and len(weights) == 9:
        weights = _fuse_per_gate(layer, GRU_ORDER, GRU_ORDER, GRU_GATES, ctx)
    elif cls == "LSTM" and len(weights) == 3 and units and weights[2].shape == (8 * units,):
        weights = _from_cudnn(layer, 4, LSTM_GATES, K2_LSTM_ORDER, ctx)
    elif cls == "GRU" and len(weights) == 3 and units and weights[2].shape == (6 * units,):
        weights = _from_cudnn(layer, 3, GRU_GATES, GRU_ORDER, ctx)
        cfg["reset_after"] = True
    elif major <= 1 and cls == "LSTM" and len(weights) == 3:
        _describe_fused(layer, LSTM_GATES, K2_LSTM_ORDER, ctx)
    elif major <= 1 and cls == "GRU" and len(weights) == 3:
        _describe_fused(layer, GRU_GATES, GRU_ORDER, ctx)
    elif major <= 1 and cls == "SimpleRNN":
        describe_keras1(ctx, layer, weights, ("W", "U", "b"), ("kernel", "recurrent_kernel", "bias"))
    return replace(layer, class_name=cls, config=freeze(cfg), weights=tuple(weights))


@legacy_upgrade("LSTM", "GRU", "SimpleRNN")
def upgrade_recurrent(layer: RawLayer, ctx: UpgradeContext) -> RawLayer:
    cls, cfg = layer.class_name, dict(layer.config)
    if ctx.major <= 1:
        rename(cfg, "output_dim", "units")
        rename(cfg, "inner_activation", "recurrent_activation")
        rename(cfg, "dropout_W", "dropout")
        rename(cfg, "dropout_U", "recurrent_dropout")
        if cls == "GRU":
            cfg.setdefault("reset_after", False)  # Keras 1 resets before the recurrent product
        keras1_input_shape(cfg, sequence=True)
    return _keras2_recurrent(layer, cls, cfg, ctx)


@legacy_upgrade(*CUDNN)
def upgrade_cudnn(layer: RawLayer, ctx: UpgradeContext) -> RawLayer:
    cfg = dict(layer.config)
    if ctx.major <= 1:
        keras1_input_shape(cfg)
    cls = CUDNN[layer.class_name]
    ctx.note(layer.name, f"class {layer.class_name} -> {cls} (tanh, sigmoid"
                         + (", reset_after=True)" if cls == "GRU" else ")"))
    cfg.setdefault("activation", "tanh")
    cfg["recurrent_activation"] = "sigmoid"
    cfg["use_bias"] = True
    if cls == "GRU":
        cfg["reset_after"] = True
    return _keras2_recurrent(layer, cls, cfg, ctx)


@legacy_upgrade("Bidirectional")
def upgrade_bidirectional(layer: RawLayer, ctx: UpgradeContext) -> RawLayer:
    """The wrapped layer's config and each half of the weights (forward then backward,
    as Keras 1.2.2 ``Bidirectional.get_weights``) are upgraded like a plain layer."""
    cfg = dict(layer.config)
    half = len(layer.weights) // 2
    out_weights: list[RawWeight] = []
    original = {"layer": cfg.get("layer"), "backward_layer": cfg.get("backward_layer", cfg.get("layer"))}
    for key, label, ws in (("layer", "forward", layer.weights[:half]),
                           ("backward_layer", "backward", layer.weights[half:])):
        inner = original[key]
        if not isinstance(inner, Mapping) or not isinstance(inner.get("class_name"), str):
            return replace(layer, config=freeze(cfg), weights=layer.weights)
        icfg = inner.get("config") if isinstance(inner.get("config"), Mapping) else {}
        sub = RawLayer(f"{layer.name} [{label}]", inner["class_name"], freeze(dict(icfg)), tuple(ws), ())
        nsub = ctx.upgrade_inner(sub)
        out_weights.extend(nsub.weights)
        if key in cfg:
            cfg[key] = {"class_name": nsub.class_name, "config": dict(nsub.config)}
    return replace(layer, config=freeze(cfg), weights=tuple(out_weights))
