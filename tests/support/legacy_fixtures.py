"""Write models built with tf-keras (Keras 2 semantics) in the layouts of older
Keras generations, which cannot be installed here.

Every layout below is transcribed from the source of the Keras version that
wrote it (``git show <tag>:<file>`` in github.com/keras-team/keras):

* Keras 2.0-2.2 ``save_model`` (2.2.4 ``keras/engine/saving.py``,
  2.0.x ``keras/engine/topology.py``): root attributes ``keras_version``,
  ``backend``, ``model_config`` written as UTF-8 bytes; ``model_weights`` with
  ``layer_names`` (a list of bytes; split into ``layer_names0``,
  ``layer_names1`` ... when over 64 KB, ``save_attributes_to_hdf5_group``);
  one group per layer whose ``weight_names`` are the TF variable names
  ``lstm_1/kernel:0`` (datasets nested accordingly; the Theano backend wrote
  them without ``:0``).  Sequential configs before 2.2.3 are a bare list of
  layers with ``batch_input_shape`` on the first.  Keys added later
  (``reset_after`` in 2.1.5 with default False, ``recurrent_activation``
  default changing to sigmoid in 2.3) can be dropped to reproduce older files.
* ``CuDNNLSTM`` / ``CuDNNGRU`` (2.2.4 ``keras/layers/cudnn_recurrent.py``):
  weights in cuDNN layout, produced from the plain LSTM/GRU weights by tf-keras'
  own ``hdf5_format._convert_rnn_weights`` (the function Keras uses to load
  them); the LSTM bias split between input and recurrent halves is then made
  uneven (any split with the same sum is valid, per that function's comment)
  so that a reader that does not sum them fails.
* Keras 1.x ``save_model`` (1.2.2 ``keras/models.py``,
  ``keras/engine/topology.py``, ``keras/layers/recurrent.py``): Keras 1 config
  keys (``output_dim``, ``init``, ``inner_activation``, ``consume_less``,
  Dense ``bias``, Dropout ``p``); LSTM weights ``W_i,U_i,b_i, W_c,U_c,b_c,
  W_f,U_f,b_f, W_o,U_o,b_o`` named ``lstm_1_W_i`` (Theano) or ``lstm_1_W_i:0``
  (TensorFlow); with ``consume_less='gpu'`` fused ``W, U, b`` in i,f,c,o order.
  GRU ``W_z,U_z,b_z, W_r,U_r,b_r, W_h,U_h,b_h``; SimpleRNN ``W, U, b``; Dense
  ``W, b``; Embedding ``W``.
* Keras 0.x ``save_weights`` (0.3.3 ``keras/models.py``): root attribute
  ``nb_layers``; group ``layer_{k}`` per ``model.layers`` entry with attribute
  ``nb_params`` and datasets ``param_{p}`` in ``layer.get_weights()`` order
  (the Keras 1 per-gate order for LSTM/GRU).  The architecture is Keras 0.x
  ``to_json()`` (0.3.3 ``containers.Sequential.get_config``: ``{"name":
  "Sequential", "layers": [{"name": "<class>", ...}]}``, recurrent layers with
  ``input_dim`` / ``input_length``).

The tf-keras model that provides the weights also provides the reference
outputs: it computes with the legacy semantics when built that way
(``recurrent_activation='hard_sigmoid'`` = clip(0.2x+0.5, 0, 1) in tf-keras,
``GRU(reset_after=False)`` for Keras 1 and Keras 2.0 GRUs, tanh/sigmoid and
``reset_after=True`` for cuDNN layers).
"""
from __future__ import annotations

import json
from typing import Any

import h5py
import numpy as np

#: Keras 2.0-2.2 weight variable names per layer class (``add_weight(name=...)``).
WEIGHT_NAMES = {
    "LSTM": ("kernel", "recurrent_kernel", "bias"),
    "GRU": ("kernel", "recurrent_kernel", "bias"),
    "SimpleRNN": ("kernel", "recurrent_kernel", "bias"),
    "Dense": ("kernel", "bias"),
    "Embedding": ("embeddings",),
}
MERGE_CLASSES = {"Add": "sum", "Multiply": "mul", "Concatenate": "concat", "Average": "ave", "Maximum": "max"}
LSTM_FUSED = ("i", "f", "c", "o")        # Keras 2 / Keras 1 'gpu' order
LSTM_PER_GATE = ("i", "c", "f", "o")     # Keras 0.x / 1.x storage order
GRU_GATES = ("z", "r", "h")


def _layers(model) -> list:
    """``model.layers`` as old Keras listed them: a Sequential model without its
    InputLayer, a Functional model with its input layers."""
    if model.__class__.__name__ != "Sequential":
        return list(model.layers)
    return [layer for layer in model.layers if layer.__class__.__name__ != "InputLayer"]


def _batch_input_shape(model) -> list:
    return [None] + [None if d is None else int(d) for d in model.inputs[0].shape[1:]]


def _weights(layer) -> list[np.ndarray]:
    return [np.asarray(w, dtype=np.float32) for w in layer.get_weights()]


# -- Keras 2.0-2.2 ------------------------------------------------------------------------
def keras2_era_config(model, *, bare_list: bool = True, drop_keys: tuple = (), cudnn: bool = False) -> dict:
    """The model_config of a Sequential model as Keras 2.0-2.2 wrote it."""
    cfg = json.loads(model.to_json())
    if model.__class__.__name__ != "Sequential":
        # Keras 2.0-2.3 Functional configs: class_name "Model", 4-element inbound entries
        inner = dict(cfg["config"])
        inner["layers"] = [dict(ld, config={key: v for key, v in ld["config"].items()
                                            if key not in drop_keys and key not in ("time_major", "zero_output_for_mask")})
                           for ld in inner["layers"]]
        return {"class_name": "Model", "config": inner}
    layer_dicts = []
    for k, ld in enumerate(cfg["config"]["layers"]):
        if ld["class_name"] == "InputLayer":
            continue
        c = {key: v for key, v in ld["config"].items() if key not in drop_keys
             and key not in ("time_major", "zero_output_for_mask", "unroll", "implementation")}
        cls = ld["class_name"]
        if cudnn and cls in ("LSTM", "GRU"):
            cls, c = _cudnn_config(cls, c)
        if cudnn and cls == "Bidirectional":
            icls, icfg = _cudnn_config(c["layer"]["class_name"], c["layer"]["config"])
            c = {key: v for key, v in c.items() if key != "backward_layer"}
            c["layer"] = {"class_name": icls, "config": icfg}
        if not layer_dicts:
            c["batch_input_shape"] = _batch_input_shape(model)
        layer_dicts.append({"class_name": cls, "config": c})
    if bare_list:
        return {"class_name": "Sequential", "config": layer_dicts}
    return {"class_name": "Sequential", "config": {"name": cfg["config"]["name"], "layers": layer_dicts}}


def _cudnn_config(cls: str, c: dict) -> tuple[str, dict]:
    """2.2.4 ``CuDNNLSTM.get_config``: no activation keys (always tanh/sigmoid)."""
    return "CuDNN" + cls, {key: c[key] for key in ("name", "trainable", "units", "return_sequences", "return_state",
                                                  "go_backwards", "stateful", "kernel_initializer") if key in c}


def _to_cudnn(cls: str, weights: list[np.ndarray], seed: int) -> list[np.ndarray]:
    from tf_keras.src.saving.legacy.hdf5_format import _convert_rnn_weights

    target = type("CuDNN" + cls, (), {"reset_after": True})()
    out = [np.asarray(w, dtype=np.float32) for w in _convert_rnn_weights(target, list(weights))]
    if cls == "LSTM":
        half = out[2].shape[0] // 2
        d = np.random.default_rng(seed).uniform(-0.3, 0.3, half).astype(np.float32)
        out[2] = np.concatenate([out[2][:half] + d, out[2][half:] - d]).astype(np.float32)
    return out


def _write_split_attr(group, name: str, values: list[bytes], chunks: int) -> None:
    """``save_attributes_to_hdf5_group``: split into ``name0, name1, ...`` chunks."""
    if chunks <= 1:
        group.attrs[name] = values
        return
    parts = np.array_split(np.array(values), chunks)
    for i, part in enumerate(parts):
        group.attrs[f"{name}{i}"] = part


def write_keras2_era_h5(model, path: str, *, version: str = "2.1.6", bare_list: bool = True,
                        drop_keys: tuple = (), colon: bool = True, str_attrs: bool = False,
                        split_chunks: int = 1, cudnn: bool = False, seed: int = 0) -> None:
    """A Keras 2.0-2.2 ``model.save('m.h5')`` file of a Sequential tf-keras model."""
    config = keras2_era_config(model, bare_list=bare_list, drop_keys=drop_keys, cudnn=cudnn)

    def enc(s: str):
        return s if str_attrs else s.encode("utf8")

    with h5py.File(path, "w") as f:
        f.attrs["keras_version"] = enc(version)
        f.attrs["backend"] = enc("tensorflow" if colon else "theano")
        f.attrs["model_config"] = enc(json.dumps(config))
        g = f.create_group("model_weights")
        names = [layer.name for layer in _layers(model)]
        _write_split_attr(g, "layer_names", [enc(n) for n in names], split_chunks)
        g.attrs["backend"] = enc("tensorflow")
        g.attrs["keras_version"] = enc(version)
        for layer in _layers(model):
            lg = g.create_group(layer.name)
            cls = layer.__class__.__name__
            values = _weights(layer)
            if cudnn and cls in ("LSTM", "GRU"):
                values = _to_cudnn(cls, values, seed)
            wnames = [f"{layer.name}/{n}" + (":0" if colon else "") for n in WEIGHT_NAMES.get(cls, ())][:len(values)]
            if cls == "Bidirectional":
                icls = layer.forward_layer.__class__.__name__
                values, wnames = [], []
                for side in ("forward", "backward"):
                    sub = getattr(layer, f"{side}_layer")
                    vals = _weights(sub)
                    values += _to_cudnn(icls, vals, seed) if cudnn else vals
                    wnames += [f"{layer.name}/{sub.name}/{n}" + (":0" if colon else "")
                               for n in WEIGHT_NAMES[icls]]
            lg.attrs["weight_names"] = [enc(n) for n in wnames]
            for n, v in zip(wnames, values):
                lg.create_dataset(n, data=v)


# -- Keras 1.x ------------------------------------------------------------------------------
def _split_gates(arr: np.ndarray, gates: tuple) -> dict:
    u = arr.shape[-1] // len(gates)
    return {g: np.ascontiguousarray(arr[..., k * u:(k + 1) * u]) for k, g in enumerate(gates)}


def keras1_layer_weights(layer, fused: bool = False) -> list[tuple[str, np.ndarray]]:
    """(variable suffix, value) in Keras 1 ``layer.weights`` order.  Bidirectional
    (1.2.2 ``layers/wrappers.py``): the forward then the backward layer's weights,
    those layers renamed ``forward_<name>`` / ``backward_<name>``."""
    cls = layer.__class__.__name__
    if cls == "Bidirectional":
        # tf-keras names the copies like Keras 1 did: forward_<name>, backward_<name>
        return [(f"{sub.name}_{sfx}", v) for sub in (layer.forward_layer, layer.backward_layer)
                for sfx, v in keras1_layer_weights(sub, fused)]
    w = _weights(layer)
    if cls in ("LSTM", "GRU"):
        if fused:
            return list(zip(("W", "U", "b"), w))
        fused_order, stored = (LSTM_FUSED, LSTM_PER_GATE) if cls == "LSTM" else (GRU_GATES, GRU_GATES)
        parts = [_split_gates(x, fused_order) for x in w]
        return [(f"{sym}_{g}", parts[j][g]) for g in stored for j, sym in enumerate("WUb")]
    if cls == "SimpleRNN":
        return list(zip(("W", "U", "b"), w))
    if cls == "Dense":
        return list(zip(("W", "b"), w))
    if cls == "Embedding":
        return [("W", w[0])]
    return []


def _act(name: Any) -> str:
    return name if isinstance(name, str) else "linear"


def keras1_layer_config(layer, first: bool, batch_input_shape: list, fused: bool = False,
                        td_dense: bool = False) -> dict:
    """``{"class_name", "config"}`` as Keras 1.2.2 ``get_config`` wrote it.  With
    ``td_dense`` a Dense layer on sequences is written as ``TimeDistributedDense``
    (Keras 0.x/1.x ``keras/layers/core.py``: same config keys and ``W, b`` weights)."""
    cls = layer.__class__.__name__
    c = layer.get_config()
    out: dict[str, Any] = {"name": layer.name, "trainable": True}
    if first:
        out["batch_input_shape"] = batch_input_shape
        out["input_dtype"] = "float32"
    if cls in ("LSTM", "GRU", "SimpleRNN"):
        out.update(output_dim=c["units"], init="glorot_uniform", inner_init="orthogonal",
                   activation=_act(c["activation"]), W_regularizer=None, U_regularizer=None, b_regularizer=None,
                   dropout_W=0.0, dropout_U=0.0, return_sequences=c["return_sequences"],
                   go_backwards=c["go_backwards"], stateful=False, unroll=False,
                   consume_less="gpu" if fused else "cpu")
        if cls != "SimpleRNN":
            out["inner_activation"] = _act(c["recurrent_activation"])
        if cls == "LSTM":
            out["forget_bias_init"] = "one"
    elif cls == "Dense":
        out.update(output_dim=c["units"], init="glorot_uniform", activation=_act(c["activation"]),
                   W_regularizer=None, b_regularizer=None, activity_regularizer=None, W_constraint=None,
                   b_constraint=None, bias=c["use_bias"], input_dim=None)
        if td_dense and len(layer.input.shape) == 3:
            return {"class_name": "TimeDistributedDense", "config": dict(out, input_length=None)}
    elif cls == "Embedding":
        out.update(input_dim=c["input_dim"], output_dim=c["output_dim"], init="uniform",
                   input_length=batch_input_shape[1] if first else None, mask_zero=c["mask_zero"],
                   W_regularizer=None, activity_regularizer=None, W_constraint=None, dropout=0.0)
        out.pop("input_dtype", None)
        if first:
            out["input_dtype"] = "int32"
    elif cls == "Bidirectional":
        inner = keras1_layer_config(layer.forward_layer, False, batch_input_shape, fused)
        inner["config"]["name"] = layer.forward_layer.name.replace("forward_", "", 1)
        out.update(merge_mode=c["merge_mode"], layer=inner)
    elif cls in MERGE_CLASSES:
        mode = MERGE_CLASSES[cls]
        out.update(mode=mode, mode_type="raw", concat_axis=c.get("axis", -1), dot_axes=-1, output_shape=None,
                   output_shape_type="raw", output_mask=None, output_mask_type="raw", arguments={})
        return {"class_name": "Merge", "config": out}
    elif cls == "Dropout":
        out["p"] = c["rate"]
    elif cls == "Activation":
        out["activation"] = _act(c["activation"])
    else:
        raise ValueError(f"no Keras 1 form for {cls}")
    return {"class_name": cls, "config": out}


def keras1_functional_config(model, fused: bool = False) -> dict:
    """Keras 1 ``model_config`` of a Functional model (1.2.2 ``Container.get_config``):
    ``class_name`` ``Model``; layers with ``inbound_nodes`` of ``[name, node, tensor]``;
    InputLayer configs with ``batch_input_shape``, ``input_dtype``, ``sparse``."""
    cfg = json.loads(model.to_json())["config"]
    layers = []
    for ld, layer in zip(cfg["layers"], model.layers):
        if ld["class_name"] == "InputLayer":
            lc = {"class_name": "InputLayer",
                  "config": {"name": layer.name, "batch_input_shape": ld["config"]["batch_input_shape"],
                             "input_dtype": "float32", "sparse": False}}
        else:
            lc = keras1_layer_config(layer, False, [], fused)
        nodes = [[list(entry[:3]) for entry in node] for node in ld["inbound_nodes"]]
        layers.append({"name": layer.name, "class_name": lc["class_name"], "config": lc["config"],
                       "inbound_nodes": nodes})
    return {"class_name": "Model", "config": {"name": cfg["name"], "layers": layers,
                                              "input_layers": cfg["input_layers"],
                                              "output_layers": cfg["output_layers"]}}


def keras1_config(model, fused: bool = False, td_dense: bool = False) -> dict:
    """Keras 1 ``model_config`` of a Sequential model: a bare list of layers."""
    if model.__class__.__name__ != "Sequential":
        return keras1_functional_config(model, fused)
    bis = _batch_input_shape(model)
    return {"class_name": "Sequential",
            "config": [keras1_layer_config(layer, k == 0, bis, fused, td_dense)
                       for k, layer in enumerate(_layers(model))]}


def write_keras1_h5(model, path: str, *, fused: bool = False, tf_names: bool = True, version: str = "1.2.2",
                    weights_only: bool = False, td_dense: bool = False) -> None:
    """Keras 1.x ``save_model`` (or ``save_weights`` when ``weights_only``)."""
    with h5py.File(path, "w") as f:
        if weights_only:
            g = f
        else:
            f.attrs["keras_version"] = version.encode("utf8")
            f.attrs["model_config"] = json.dumps(keras1_config(model, fused, td_dense)).encode("utf8")
            g = f.create_group("model_weights")
        g.attrs["layer_names"] = [layer.name.encode("utf8") for layer in _layers(model)]
        if weights_only:
            g.attrs["backend"] = b"tensorflow" if tf_names else b"theano"
            g.attrs["keras_version"] = version.encode("utf8")
        for layer in _layers(model):
            lg = g.create_group(layer.name)
            pairs = keras1_layer_weights(layer, fused)
            prefix = "" if layer.__class__.__name__ == "Bidirectional" else f"{layer.name}_"
            names = [f"{prefix}{sfx}" + (":0" if tf_names else "") for sfx, _ in pairs]
            lg.attrs["weight_names"] = [n.encode("utf8") for n in names]
            for n, (_, v) in zip(names, pairs):
                lg.create_dataset(n, data=v)


def keras1_json(model, fused: bool = False) -> str:
    cfg = keras1_config(model, fused)
    cfg["keras_version"] = "1.2.2"
    return json.dumps(cfg)


# -- Keras 0.x ------------------------------------------------------------------------------
def keras0_json(model, td_dense: bool = False) -> str:
    """Keras 0.3.3 ``model.to_json()`` of a Sequential model."""
    layers = []
    bis = _batch_input_shape(model)
    for k, layer in enumerate(_layers(model)):
        lc = keras1_layer_config(layer, False, bis, td_dense=td_dense)
        c1, cls = lc["config"], lc["class_name"]
        c = {key: v for key, v in c1.items() if key not in ("name", "trainable", "consume_less", "unroll")}
        c["name"] = cls
        if cls in ("LSTM", "GRU", "SimpleRNN"):
            c["input_dim"] = int(bis[-1]) if k == 0 else None
            c["input_length"] = bis[1] if k == 0 else None
        elif cls in ("Dense", "TimeDistributedDense"):
            c.pop("bias", None)
            c["input_dim"] = int(bis[-1]) if k == 0 else None
        if k == 0:
            c["input_shape"] = bis[1:]
        layers.append(c)
    return json.dumps({"name": "Sequential", "layers": layers, "class_mode": "categorical",
                       "loss": "categorical_crossentropy", "theano_mode": None})


def write_keras0_weights(model, path: str) -> None:
    """Keras 0.3.3 ``model.save_weights``."""
    with h5py.File(path, "w") as f:
        layers = _layers(model)
        f.attrs["nb_layers"] = len(layers)
        for k, layer in enumerate(layers):
            g = f.create_group(f"layer_{k}")
            values = [v for _, v in keras1_layer_weights(layer)]
            g.attrs["nb_params"] = len(values)
            for p, v in enumerate(values):
                g.create_dataset(f"param_{p}", data=v)


# -- Keras 1.x / 2.0-2.1: a Sequential model starting with a Merge of Sequential branches --
def write_keras2_0_merge_sequential_h5(model, path: str, branches: list, merge: str, after: list, mode: str, *,
                                       version: str = "2.0.8", drop_keys: tuple = ()) -> None:
    """``Sequential([Merge([branch_0, branch_1, ...], mode=mode), *after]).save(path)`` as
    Keras 2.0.8 wrote it, from a tf-keras Functional ``model`` computing the same: one
    input per branch (in ``branches`` order, each a list of layer names), the merge layer
    ``merge``, then the layers ``after``.  2.0.8 ``Sequential.get_config``: a bare list
    whose first entry is ``{"class_name": "Merge", "config": {<Merge.get_config()>,
    "layers": [<each branch as {"class_name": "Sequential", "config": [...]}>]}}``, the
    first layer of each branch with its ``batch_input_shape``; ``save_model`` stores the
    weights of ``legacy_sequential_layers``: each branch's layers, then the layers after
    the Merge (the Merge has no group)."""
    by_name = {layer.name: layer for layer in model.layers}

    def cfg(name: str, shape=None) -> dict:
        c = {key: v for key, v in by_name[name].get_config().items() if key not in drop_keys
             and key not in ("time_major", "zero_output_for_mask", "unroll", "implementation")}
        if shape is not None:
            c["batch_input_shape"] = shape
        return {"class_name": by_name[name].__class__.__name__, "config": c}

    branch_cfgs = []
    for inp, names in zip(model.inputs, branches):
        shape = [None] + [None if d is None else int(d) for d in inp.shape[1:]]
        branch_cfgs.append({"class_name": "Sequential",
                            "config": [cfg(n, shape if i == 0 else None) for i, n in enumerate(names)]})
    merge_cfg = {"name": merge, "mode": mode, "mode_type": "raw", "concat_axis": -1, "dot_axes": -1,
                 "output_shape": None, "output_shape_type": "raw", "output_mask": None,
                 "output_mask_type": "raw", "arguments": {}, "layers": branch_cfgs}
    config = {"class_name": "Sequential", "config": [{"class_name": "Merge", "config": merge_cfg}]
              + [cfg(n) for n in after]}
    order = [n for names in branches for n in names] + list(after)
    with h5py.File(path, "w") as f:
        f.attrs["keras_version"] = version.encode("utf8")
        f.attrs["backend"] = b"tensorflow"
        f.attrs["model_config"] = json.dumps(config).encode("utf8")
        g = f.create_group("model_weights")
        g.attrs["layer_names"] = [n.encode("utf8") for n in order]
        g.attrs["backend"] = b"tensorflow"
        g.attrs["keras_version"] = version.encode("utf8")
        for name in order:
            layer = by_name[name]
            values = _weights(layer)
            wnames = [f"{name}/{n}:0" for n in WEIGHT_NAMES.get(layer.__class__.__name__, ())][:len(values)]
            lg = g.create_group(name)
            lg.attrs["weight_names"] = [n.encode("utf8") for n in wnames]
            for n, v in zip(wnames, values):
                lg.create_dataset(n, data=v)
