"""Older Keras generations, translated into the Keras 2 form the converters read.

Keras 0.x, 1.x and 2.0-2.2 wrote models that differ from today's in config
keys, weight layouts and defaults.  Rather than teaching every converter each
generation, the readers hand their :class:`RawModel` to :func:`normalize_model`,
which rewrites legacy layers into Keras 2 layers with Keras 2 weights and
records, for ``keras2java inspect``, how every stored tensor maps to a gate and
role (``SourceInfo.weight_map``).

What it translates (each rule follows the Keras source named):

* Keras 1 config keys (Keras 2.2.4 ``keras/legacy/interfaces.py``):
  ``output_dim -> units`` (not for Embedding), ``inner_activation ->
  recurrent_activation``, ``bias -> use_bias``, ``p -> rate``; ``input_dim`` /
  ``input_length`` / ``input_shape`` of the first layer -> ``batch_input_shape``.
* Keras 1 per-gate weights (Keras 1.2.2 ``keras/layers/recurrent.py``): LSTM
  stores ``W_i,U_i,b_i, W_c,U_c,b_c, W_f,U_f,b_f, W_o,U_o,b_o`` (gate order
  i,c,f,o); Keras 2 fuses them as i,f,c,o, exactly as
  ``preprocess_weights_for_loading`` does (``weights[0], [6], [3], [9]``).  GRU
  stores ``W_z,U_z,b_z, W_r,U_r,b_r, W_h,U_h,b_h`` and always resets before the
  recurrent product (``reset_after=False``).  ``consume_less='gpu'`` stores the
  fused ``W, U, b`` already in Keras 2 order.
* ``TimeDistributedDense`` (Keras 0.x/1.x): a Dense applied to the last axis.
* Keras 1 ``Merge`` layers (``merge([a, b], mode=...)``, 1.2.2
  ``engine/topology.py``) with modes sum, mul, concat, ave, max become Add,
  Multiply, Concatenate(axis=concat_axis), Average, Maximum.
* A Sequential model whose first layer is a ``Merge`` of Sequential branches
  (Keras 1.x and 2.0-2.1 ``Sequential([Merge([model_a, model_b], mode=...), ...])``;
  2.0.8 ``keras/models.py`` ``Sequential.get_config`` / ``legacy_from_config``,
  ``keras/legacy/layers.py``): the Merge config holds each branch's config
  under ``layers``; :func:`merge_sequential_config` rewrites it as the
  equivalent Functional config (one input per branch, named ``<first
  layer>_input`` as Keras named them, the branches chained, the Merge fed by
  their outputs, the following layers chained after it).  The weights are
  stored per layer name (``legacy_sequential_layers``: the branches' layers,
  then the layers after the Merge), so they are found as in any model.
* ``Bidirectional``: the wrapped layer's config and each half of the weights
  (forward, then backward) are translated like a plain layer.
* ``CuDNNLSTM`` / ``CuDNNGRU`` (Keras 2.0.9+ ``keras/layers/cudnn_recurrent.py``)
  and LSTM/GRU layers holding cuDNN weights (bias ``8u`` / ``6u``): converted as
  tf-keras ``hdf5_format._convert_rnn_weights`` does: each gate's input kernel
  is read in Fortran order (``k.T.reshape(k.shape, order='F')``), each gate's
  recurrent kernel is transposed, LSTM input and recurrent biases are summed,
  the GRU bias becomes ``(2, 3u)`` and the GRU is ``reset_after=True``.  cuDNN
  layers always use tanh and sigmoid.
* A missing ``recurrent_activation`` means ``hard_sigmoid`` in Keras < 2.3 and
  ``sigmoid`` from 2.3 on; a missing GRU ``reset_after`` is decided by the
  converter from the bias shape.
"""
from __future__ import annotations

import re
from dataclasses import replace
from typing import Any, Mapping, Optional

import numpy as np

from ..errors import ModelFileError
from ..ir import format_shape
from .legacy_conv import (LegacyConvError, flip_theano_kernels, is_keras1_conv, keras1_conv_config,
                          keras1_conv_weights)
from .raw import RawLayer, RawModel, RawWeight, freeze

RECURRENT = ("LSTM", "GRU", "SimpleRNN")
CUDNN = {"CuDNNLSTM": "LSTM", "CuDNNGRU": "GRU"}

ROLE = {"W": "input kernel", "U": "recurrent kernel", "b": "bias"}
LSTM_GATES = {"i": "input gate", "f": "forget gate", "c": "cell candidate", "o": "output gate"}
GRU_GATES = {"z": "update gate", "r": "reset gate", "h": "candidate"}
#: Keras 1 per-gate storage order and the Keras 2 fused gate order.
K1_LSTM_ORDER = ("i", "c", "f", "o")
K2_LSTM_ORDER = ("i", "f", "c", "o")
GRU_ORDER = ("z", "r", "h")

#: Human-readable names of the formats, shown by ``inspect``.
FORMAT_TEXT = {
    "keras1-h5": "Keras 1.x save_model .h5 (model_config with Keras 1 keys)",
    "keras1-weights-h5+json": "Keras 1.x save_weights .h5 + to_json architecture",
    "keras0-weights-h5+json": "Keras 0.x save_weights .h5 (nb_layers / layer_k / param_p) + architecture JSON",
}


def detected_text(source) -> Optional[str]:
    """What ``inspect`` says about the Keras generation that wrote the file."""
    if source.format in FORMAT_TEXT:
        return FORMAT_TEXT[source.format]
    v = parse_version(source.keras_version)
    if v is not None and v[0] == 2 and v < (2, 3) and source.format in ("legacy-h5", "weights-h5+json"):
        return (f"Keras {v[0]}.{v[1]} file: a missing recurrent_activation means hard_sigmoid, "
                "a missing GRU reset_after means False (checked against the bias shape)")
    return None


def parse_version(version: str) -> Optional[tuple[int, int]]:
    m = re.match(r"\s*(\d+)\.(\d+)", version or "")
    return (int(m.group(1)), int(m.group(2))) if m else None


# -- Keras 0.x architecture JSON ---------------------------------------------------
def is_keras0_json(config: Any) -> bool:
    """Keras 0.x ``to_json``: ``{"name": "Sequential", "layers": [{"name": "LSTM", ...}]}``
    (Keras 0.3.3 ``containers.Sequential.get_config``: ``name`` is the class)."""
    return (isinstance(config, Mapping) and "class_name" not in config
            and isinstance(config.get("name"), str) and isinstance(config.get("layers"), list))


def keras0_to_keras1(config: Mapping[str, Any], what: str) -> dict:
    """Rewrite a Keras 0.x Sequential JSON into the Keras 1 ``model_config`` form.
    Layers get Keras 1 style names (``lstm_1``, ``dense_1``, ...)."""
    if config.get("name") != "Sequential":
        raise ModelFileError(f"{what}: Keras 0.x {config.get('name')!r} models are not supported "
                             "(only Sequential; Graph models cannot be converted)")
    counts: dict[str, int] = {}
    layers = []
    for i, layer in enumerate(config["layers"]):
        if not isinstance(layer, Mapping) or not isinstance(layer.get("name"), str):
            raise ModelFileError(f"{what}: layer #{i} is not a Keras 0.x layer config (no class 'name')")
        cls = layer["name"]
        cfg = {k: v for k, v in layer.items() if k != "name"}
        # Keras 1 ``topology._to_snake_case``: LSTM -> lstm, SimpleRNN -> simple_rnn
        snake = re.sub("([a-z0-9])([A-Z])", r"\1_\2", re.sub("(.)([A-Z][a-z]+)", r"\1_\2", cls)).lower()
        counts[snake] = counts.get(snake, 0) + 1
        cfg["name"] = f"{snake}_{counts[snake]}"
        layers.append({"class_name": cls, "config": cfg})
    return {"class_name": "Sequential", "config": layers}


# -- config translation ---------------------------------------------------------------
def _keras1_config(cls: str, cfg: dict) -> dict:
    """Keras 1 keys -> Keras 2 keys (Keras 2.2.4 ``legacy/interfaces.py``)."""
    out = dict(cfg)

    def rename(old: str, new: str) -> None:
        if old in out and new not in out:
            out[new] = out.pop(old)

    if cls in RECURRENT or cls == "Dense":
        rename("output_dim", "units")
    if cls in RECURRENT:
        rename("inner_activation", "recurrent_activation")
        rename("dropout_W", "dropout")
        rename("dropout_U", "recurrent_dropout")
    if cls == "Dense":
        rename("bias", "use_bias")
    if cls in ("Dropout", "SpatialDropout1D"):
        rename("p", "rate")
    if cls == "GRU":
        out.setdefault("reset_after", False)  # Keras 1 resets before the recurrent product
    if "batch_input_shape" not in out:
        if isinstance(out.get("input_shape"), (list, tuple)):          # Keras 0.x
            out["batch_input_shape"] = [None] + list(out["input_shape"])
        elif cls == "Embedding":
            if "input_length" in out:
                out["batch_input_shape"] = [None, out["input_length"]]
        elif out.get("input_dim") is not None:
            if cls in RECURRENT:
                out["batch_input_shape"] = [None, out.get("input_length"), out["input_dim"]]
            else:
                out["batch_input_shape"] = [None, out["input_dim"]]
    return out


# -- weight translation ---------------------------------------------------------------
class _Map:
    """Collects provenance lines: stored tensor -> gate and role."""

    def __init__(self) -> None:
        self.lines: list[tuple[str, str]] = []

    def add(self, layer: str, w: RawWeight, target: str, note: str = "", where: str = "") -> None:
        self.lines.append((layer, f"{w.name}{where} {format_shape(w.shape)} -> {target}{note}"))


def _gate_target(sym: str, gate: str, gates: Mapping[str, str]) -> str:
    return f"{sym}_{gate} ({ROLE[sym]}, {gates[gate]})"


def _fuse_per_gate(layer: RawLayer, order: tuple[str, ...], fused_order: tuple[str, ...],
                   gates: Mapping[str, str], pmap: _Map) -> tuple[RawWeight, ...]:
    """Per-gate tensors (stored gate by gate: W, U, b per gate) -> kernel, recurrent_kernel, bias."""
    w = layer.weights
    by_gate = {g: (w[3 * k], w[3 * k + 1], w[3 * k + 2]) for k, g in enumerate(order)}
    for k, g in enumerate(order):
        for j, sym in enumerate("WUb"):
            pmap.add(layer.name, w[3 * k + j], _gate_target(sym, g, gates))
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


def _describe_fused(layer: RawLayer, gates: Mapping[str, str], order: tuple[str, ...], pmap: _Map) -> None:
    """Provenance for already fused W, U, b (Keras 1 ``consume_less='gpu'``)."""
    for sym, w in zip("WUb", layer.weights):
        n = len(order)
        width = w.shape[-1] // n if w.shape and w.shape[-1] % n == 0 else None
        if width is None:
            continue
        for k, g in enumerate(order):
            lo, hi = k * width, (k + 1) * width
            sl = f"[:, {lo}:{hi}]" if len(w.shape) == 2 else f"[{lo}:{hi}]"
            pmap.add(layer.name, w, _gate_target(sym, g, gates), where=sl)


def _from_cudnn(layer: RawLayer, n_gates: int, gates: Mapping[str, str], order: tuple[str, ...],
                pmap: _Map) -> tuple[RawWeight, ...]:
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
        pmap.add(layer.name, kernel, _gate_target("W", g, gates), " [cuDNN layout: read in Fortran order]",
                 f"[:, {lo}:{hi}]")
    for k, g in enumerate(order):
        lo, hi = k * u, (k + 1) * u
        pmap.add(layer.name, rec, _gate_target("U", g, gates), " [cuDNN layout: transposed]", f"[:, {lo}:{hi}]")
    if n_gates == 4:
        new_bias = np.sum(np.split(bias.array, 2, axis=0), axis=0)
        for half, what in ((0, "input-side"), (1, "recurrent-side")):
            for k, g in enumerate(order):
                lo = half * 4 * u + k * u
                pmap.add(layer.name, bias, f"b_{g} ({what} bias, {gates[g]}; summed)", where=f"[{lo}:{lo + u}]")
    else:
        new_bias = bias.array.reshape((2, -1))
        for half, what in ((0, "input bias"), (1, "recurrent bias")):
            for k, g in enumerate(order):
                lo = half * 3 * u + k * u
                pmap.add(layer.name, bias, f"b_{g} ({what}, {gates[g]})", where=f"[{lo}:{lo + u}]")
    return (RawWeight(f"{kernel.name} (from cuDNN)", new_kernel),
            RawWeight(f"{rec.name} (from cuDNN)", new_rec),
            RawWeight(f"{bias.name} (from cuDNN)", new_bias))


def _layer_list(cfg: Any) -> Optional[list]:
    """A Sequential config's layer list: a bare list (Keras < 2.2.3) or ``{"layers": [...]}``."""
    if isinstance(cfg, list):
        return cfg
    if isinstance(cfg, Mapping) and isinstance(cfg.get("layers"), list):
        return cfg["layers"]
    return None


def merge_sequential_config(config: Any) -> Any:
    """A Keras 1 / 2.0 Sequential config starting with a ``Merge`` of branches, as the
    equivalent Functional config; any other config unchanged."""
    if not isinstance(config, Mapping) or config.get("class_name") != "Sequential":
        return config
    layers = _layer_list(config.get("config"))
    if not layers or not isinstance(layers[0], Mapping) or layers[0].get("class_name") != "Merge":
        return config
    merge_cfg = dict(layers[0].get("config") or {})
    branches = merge_cfg.pop("layers", None)
    if not isinstance(branches, list) or not branches:
        raise ModelFileError("the Sequential model's first layer is a Merge without its branch models ('layers')")
    inputs, body, ends = [], [], []

    def name_of(ld: Any, what: str) -> str:
        c = ld.get("config") if isinstance(ld, Mapping) else None
        if not isinstance(c, Mapping) or not isinstance(c.get("name"), str):
            raise ModelFileError(f"{what} has no layer name")
        return c["name"]

    def chain(lds: list, prev: str, what: str) -> str:
        for i, ld in enumerate(lds):
            name = name_of(ld, f"{what} layer #{i}")
            body.append({"class_name": ld.get("class_name"), "config": dict(ld["config"]), "name": name,
                         "inbound_nodes": [[[prev, 0, 0, {}]]]})
            prev = name
        return prev

    for b, branch in enumerate(branches):
        what = f"Merge branch #{b}"
        if not isinstance(branch, Mapping):
            raise ModelFileError(f"{what} is not a JSON object")
        if branch.get("class_name") == "Sequential":
            blayers = _layer_list(branch.get("config"))
        else:   # a single layer as a branch
            blayers = [branch]
        if not blayers:
            raise ModelFileError(f"{what} has no layers")
        first = blayers[0]
        if isinstance(first, Mapping) and first.get("class_name") == "InputLayer":
            in_name, in_cfg, blayers = name_of(first, what), dict(first["config"]), blayers[1:]
        else:
            fcfg = first.get("config") if isinstance(first, Mapping) else None
            shape = fcfg.get("batch_input_shape") if isinstance(fcfg, Mapping) else None
            if shape is None:
                raise ModelFileError(f"{what}: its first layer has no batch_input_shape")
            in_name = name_of(first, what) + "_input"
            in_cfg = {"batch_input_shape": shape, "dtype": "float32", "name": in_name}
        inputs.append({"class_name": "InputLayer", "config": in_cfg, "name": in_name, "inbound_nodes": []})
        ends.append(chain(blayers, in_name, what))
    merge_name = merge_cfg.get("name") if isinstance(merge_cfg.get("name"), str) else "merge"
    body.append({"class_name": "Merge", "config": merge_cfg, "name": merge_name,
                 "inbound_nodes": [[[e, 0, 0, {}] for e in ends]]})
    last = chain(layers[1:], merge_name, "Sequential")
    inner = config.get("config")
    name = inner.get("name", "sequential") if isinstance(inner, Mapping) else "sequential"
    return {"class_name": "Model", "config": {
        "name": name, "layers": inputs + body,
        "input_layers": [[i["name"], 0, 0] for i in inputs], "output_layers": [[last, 0, 0]]}}


def _units(layer: RawLayer) -> Optional[int]:
    u = layer.config.get("units")
    return u if isinstance(u, int) and not isinstance(u, bool) and u > 0 else None


#: Keras 1 ``Merge`` modes (1.2.2 ``engine/topology.py``) -> Keras 2 merge layers.
MERGE_MODES = {"sum": "Add", "mul": "Multiply", "concat": "Concatenate", "ave": "Average", "max": "Maximum"}


def _keras1_merge(layer: RawLayer, cfg: dict, pmap: _Map) -> tuple[str, dict]:
    mode, mode_type = cfg.get("mode"), cfg.get("mode_type", "raw")
    if mode_type != "raw" or not isinstance(mode, str) or mode not in MERGE_MODES:
        # reported by the builder as an unsupported class, naming the mode (dot, cos, Python functions)
        what = f"mode={mode!r}" if isinstance(mode, str) and mode_type == "raw" else "a Python function as mode"
        return f"Merge({what})", cfg
    new = {"name": cfg.get("name", layer.name)}
    if mode == "concat":
        new["axis"] = cfg.get("concat_axis", -1)
    pmap.lines.append((layer.name, f"class Merge(mode={mode!r}) -> {MERGE_MODES[mode]}"))
    return MERGE_MODES[mode], new


def _bidirectional(layer: RawLayer, cfg: dict, major: int, minor: int, pmap: _Map) -> tuple[dict, tuple]:
    """Normalize the wrapped layer's config and each half of the weights
    (forward then backward, as Keras 1.2.2 ``Bidirectional.get_weights``)."""
    half = len(layer.weights) // 2
    out_weights: list[RawWeight] = []
    original = {"layer": cfg.get("layer"), "backward_layer": cfg.get("backward_layer", cfg.get("layer"))}
    for key, label, ws in (("layer", "forward", layer.weights[:half]),
                           ("backward_layer", "backward", layer.weights[half:])):
        inner = original[key]
        if not isinstance(inner, Mapping) or not isinstance(inner.get("class_name"), str):
            return cfg, layer.weights
        icfg = inner.get("config") if isinstance(inner.get("config"), Mapping) else {}
        sub = RawLayer(f"{layer.name} [{label}]", inner["class_name"], freeze(dict(icfg)), tuple(ws), ())
        nsub = _normalize_layer(sub, major, minor, pmap)
        out_weights.extend(nsub.weights)
        if key in cfg:
            cfg[key] = {"class_name": nsub.class_name, "config": dict(nsub.config)}
    return cfg, tuple(out_weights)


def _normalize_layer(layer: RawLayer, major: int, minor: int, pmap: _Map, theano: bool = False) -> RawLayer:
    cls = layer.class_name
    cfg = dict(layer.config)
    weights = layer.weights
    if cls == "Bidirectional":
        cfg, weights = _bidirectional(layer, cfg, major, minor, pmap)
        return replace(layer, config=freeze(cfg), weights=weights)
    if cls == "Merge":  # Keras 1, and keras.legacy.layers.Merge in Keras 2
        cls, cfg = _keras1_merge(layer, cfg, pmap)
        return replace(layer, class_name=cls, config=freeze(cfg))
    if major <= 1 and is_keras1_conv(cls):   # Keras 1 convolution / image layers (legacy_conv)
        try:
            cls_k2, cfg = keras1_conv_config(cls, cfg)
        except LegacyConvError as exc:
            raise ModelFileError(f"layer {layer.name!r} ({cls}): {exc}") from None
        weights = keras1_conv_weights(cls_k2, cfg, weights)
        if cls_k2 != cls:
            pmap.lines.append((layer.name, f"class {cls} -> {cls_k2}"))
        cls = cls_k2
    if theano:
        flipped = flip_theano_kernels(cls, weights)
        if flipped is not weights:
            pmap.lines.append((layer.name, "kernel flipped (trained with Theano: convolution, not correlation)"))
        weights = flipped
    if major <= 1:
        if cls == "TimeDistributedDense":
            cls = "Dense"
            pmap.lines.append((layer.name, "class TimeDistributedDense -> Dense (applied to each timestep)"))
            if "batch_input_shape" not in cfg and "input_shape" not in cfg and cfg.get("input_dim") is not None:
                cfg["batch_input_shape"] = [None, cfg.get("input_length"), cfg["input_dim"]]
        cfg = _keras1_config(cls, cfg)
    if cls in CUDNN:
        cls_new = CUDNN[cls]
        pmap.lines.append((layer.name, f"class {cls} -> {cls_new} (tanh, sigmoid"
                           + (", reset_after=True)" if cls_new == "GRU" else ")")))
        cfg.setdefault("activation", "tanh")
        cfg["recurrent_activation"] = "sigmoid"
        cfg["use_bias"] = True
        if cls_new == "GRU":
            cfg["reset_after"] = True
        cls = cls_new
    if cls in ("LSTM", "GRU") and "recurrent_activation" not in cfg:
        cfg["recurrent_activation"] = "hard_sigmoid" if (major, minor) < (2, 3) else "sigmoid"
        pmap.lines.append((layer.name, f"recurrent_activation missing: {cfg['recurrent_activation']} "
                                       f"(the default of Keras {major}.{minor})"))
    units = _units(RawLayer(layer.name, cls, cfg, (), ()))
    if cls == "GRU" and "reset_after" not in cfg and len(weights) == 3 and units:
        shape = weights[2].shape
        if shape in ((3 * units,), (2, 3 * units)):
            cfg["reset_after"] = shape == (2, 3 * units)
            pmap.lines.append((layer.name, f"reset_after missing: {cfg['reset_after']} "
                                           f"(bias {weights[2].name} has shape {format_shape(shape)})"))
    if cls == "LSTM" and len(weights) == 12:
        weights = _fuse_per_gate(replace(layer, weights=weights), K1_LSTM_ORDER, K2_LSTM_ORDER, LSTM_GATES, pmap)
    elif cls == "GRU" and len(weights) == 9:
        weights = _fuse_per_gate(replace(layer, weights=weights), GRU_ORDER, GRU_ORDER, GRU_GATES, pmap)
    elif cls == "LSTM" and len(weights) == 3 and units and weights[2].shape == (8 * units,):
        weights = _from_cudnn(layer, 4, LSTM_GATES, K2_LSTM_ORDER, pmap)
    elif cls == "GRU" and len(weights) == 3 and units and weights[2].shape == (6 * units,):
        weights = _from_cudnn(layer, 3, GRU_GATES, GRU_ORDER, pmap)
        cfg["reset_after"] = True
    elif major <= 1 and cls == "LSTM" and len(weights) == 3:
        _describe_fused(layer, LSTM_GATES, K2_LSTM_ORDER, pmap)
    elif major <= 1 and cls == "GRU" and len(weights) == 3:
        _describe_fused(layer, GRU_GATES, GRU_ORDER, pmap)
    elif major <= 1:
        names = {"Dense": ("W", "b"), "SimpleRNN": ("W", "U", "b"), "Embedding": ("W",)}.get(cls)
        roles = {"Dense": ("kernel", "bias"), "SimpleRNN": ("kernel", "recurrent_kernel", "bias"),
                 "Embedding": ("embeddings",)}.get(cls)
        if names and len(weights) <= len(names):
            for sym, role, w in zip(names, roles, weights):
                pmap.add(layer.name, w, f"{sym} ({role})")
    return replace(layer, class_name=cls, config=freeze(cfg), weights=tuple(weights))


def _normalize_layers(layers, major: int, minor: int, pmap: _Map, theano: bool = False) -> tuple[RawLayer, ...]:
    out = []
    for layer in layers:
        if layer.submodel is not None:  # a nested Sequential / Functional model
            sub = layer.submodel
            out.append(replace(layer, submodel=replace(sub, layers=_normalize_layers(sub.layers, major, minor, pmap,
                                                                                     theano))))
        else:
            out.append(_normalize_layer(layer, major, minor, pmap, theano))
    return tuple(out)


def normalize_model(raw: RawModel, version: str, legacy_format: Optional[str] = None,
                    backend: Optional[str] = None) -> RawModel:
    """Translate legacy layers of ``raw`` (written by Keras ``version``) into
    Keras 2 layers.  ``legacy_format`` replaces ``source.format`` when given;
    ``backend`` is the file's ``backend`` attribute (Theano kernels are flipped)."""
    parsed = parse_version(version)
    major, minor = parsed if parsed else (raw.source.keras_major, 0)
    if major >= 3:
        return raw
    pmap = _Map()
    layers = _normalize_layers(raw.layers, major, minor, pmap, backend == "theano")
    source = raw.source
    changes: dict[str, Any] = {}
    if pmap.lines:
        changes["weight_map"] = tuple(pmap.lines)
    if legacy_format:
        changes["format"] = legacy_format
    if changes:
        source = replace(source, **changes)
    return replace(raw, source=source, layers=layers)
