"""Keras 1.2.2 files with convolution layers, written from a Keras model
(tests/scenarios/test_legacy_conv.py): configs as Keras 1.2.2 ``get_config`` wrote them
(``Convolution2D``: ``nb_filter, nb_row, nb_col, border_mode, subsample,
dim_ordering``; ``Convolution1D``: ``filter_length, subsample_length``;
``MaxPooling1D``: ``pool_length, stride``; ``Deconvolution2D``: the
Convolution2D keys plus ``output_shape``; ``SeparableConvolution2D``: the
Convolution2D keys plus ``depth_multiplier`` and the depthwise/pointwise
regularizers and constraints) and kernels in Keras 1 layouts:
``th`` Convolution2D ``(filters, stack, rows, cols)``, Convolution1D
``(filter_length, 1, input_dim, filters)``, Deconvolution2D (a Convolution2D
kernel: ``tf`` ``(rows, cols, stack, filters)``, ``th`` ``(filters, stack,
rows, cols)``; Keras 2's kernel is ``(rows, cols, filters, stack)``),
SeparableConvolution2D ``tf`` ``(rows, cols, stack, multiplier)`` and
``(1, 1, multiplier * stack, filters)``.  Every layout is the inverse of
Keras 2.2.4's ``preprocess_weights_for_loading``; ``theano=True`` stores kernels
flipped along their spatial axes (Theano convolves) and sets the file's
``backend`` attribute to ``theano``."""
from __future__ import annotations

import json

import h5py
import numpy as np

from support.legacy_fixtures import keras1_layer_config


def _order(c: dict) -> str:
    return "th" if c.get("data_format") == "channels_first" else "tf"


def _config(layer, first: bool, batch_input_shape: list) -> dict:
    cls = layer.__class__.__name__
    c = layer.get_config()
    out = {"name": layer.name, "trainable": True}
    if first:
        out["batch_input_shape"] = batch_input_shape
        out["input_dtype"] = "float32"
    act = c.get("activation") if isinstance(c.get("activation"), str) else "linear"
    if cls == "Conv2D":
        out.update(nb_filter=c["filters"], nb_row=c["kernel_size"][0], nb_col=c["kernel_size"][1], init="glorot_uniform",
                   activation=act, border_mode=c["padding"], subsample=list(c["strides"]), dim_ordering=_order(c),
                   W_regularizer=None, b_regularizer=None, activity_regularizer=None, W_constraint=None,
                   b_constraint=None, bias=c["use_bias"])
        if max(c["dilation_rate"]) > 1:
            out["atrous_rate"] = list(c["dilation_rate"])
            return {"class_name": "AtrousConvolution2D", "config": out}
        return {"class_name": "Convolution2D", "config": out}
    if cls == "Conv2DTranspose":
        out.update(nb_filter=c["filters"], nb_row=c["kernel_size"][0], nb_col=c["kernel_size"][1],
                   init="glorot_uniform", activation=act, border_mode=c["padding"], subsample=list(c["strides"]),
                   dim_ordering=_order(c), W_regularizer=None, b_regularizer=None, activity_regularizer=None,
                   W_constraint=None, b_constraint=None, bias=c["use_bias"],
                   output_shape=[None] + [int(d) for d in layer.output.shape[1:]])
        return {"class_name": "Deconvolution2D", "config": out}
    if cls == "SeparableConv2D":
        out.update(nb_filter=c["filters"], nb_row=c["kernel_size"][0], nb_col=c["kernel_size"][1],
                   init="glorot_uniform", activation=act, border_mode=c["padding"], subsample=list(c["strides"]),
                   depth_multiplier=c["depth_multiplier"], dim_ordering=_order(c), depthwise_regularizer=None,
                   pointwise_regularizer=None, b_regularizer=None, activity_regularizer=None,
                   depthwise_constraint=None, pointwise_constraint=None, b_constraint=None, bias=c["use_bias"])
        return {"class_name": "SeparableConvolution2D", "config": out}
    if cls == "Conv1D":
        out.update(nb_filter=c["filters"], filter_length=c["kernel_size"][0], init="uniform", activation=act,
                   border_mode=c["padding"], subsample_length=c["strides"][0], W_regularizer=None, b_regularizer=None,
                   activity_regularizer=None, W_constraint=None, b_constraint=None, bias=c["use_bias"],
                   input_dim=batch_input_shape[2] if first else None,
                   input_length=batch_input_shape[1] if first else None)
        out.pop("batch_input_shape", None)
        return {"class_name": "Convolution1D", "config": out}
    if cls in ("MaxPooling2D", "AveragePooling2D"):
        out.update(pool_size=list(c["pool_size"]), strides=list(c["strides"]), border_mode=c["padding"],
                   dim_ordering=_order(c))
        return {"class_name": cls, "config": out}
    if cls in ("MaxPooling1D", "AveragePooling1D"):
        out.update(pool_length=c["pool_size"][0], stride=c["strides"][0], border_mode=c["padding"])
        return {"class_name": cls, "config": out}
    if cls in ("GlobalMaxPooling2D", "GlobalAveragePooling2D"):
        out.update(dim_ordering=_order(c))
        return {"class_name": cls, "config": out}
    if cls == "ZeroPadding2D":
        (t, b), (l, r) = c["padding"]
        out.update(padding=[t, b, l, r], dim_ordering=_order(c))
        return {"class_name": cls, "config": out}
    if cls == "UpSampling2D":
        out.update(size=list(c["size"]), dim_ordering=_order(c))
        return {"class_name": cls, "config": out}
    if cls == "Flatten":
        return {"class_name": cls, "config": out}
    return keras1_layer_config(layer, first, batch_input_shape)


def _kernel(layer, theano: bool) -> list:
    """(suffix, value) of a conv layer's weights in Keras 1 layout."""
    cls = layer.__class__.__name__
    w = [np.asarray(v) for v in layer.get_weights()]
    if cls == "Conv2D":
        k = w[0]
        if theano:
            k = k[::-1, ::-1]
        if layer.get_config().get("data_format") == "channels_first":
            k = np.transpose(k, (3, 2, 0, 1))
        return [("W", np.ascontiguousarray(k))] + ([("b", w[1])] if len(w) > 1 else [])
    if cls == "Conv2DTranspose":   # Keras 2 (rows, cols, filters, stack)
        k = w[0][::-1, ::-1] if theano else w[0]
        first = layer.get_config().get("data_format") == "channels_first"
        k = np.transpose(k, (2, 3, 0, 1) if first else (0, 1, 3, 2))
        return [("W", np.ascontiguousarray(k))] + ([("b", w[1])] if len(w) > 1 else [])
    if cls == "SeparableConv2D":
        names = ["depthwise_kernel", "pointwise_kernel", "b"]
        return [(n, np.ascontiguousarray(v)) for n, v in zip(names, w)]
    if cls == "Conv1D":
        k = w[0][::-1] if theano else w[0]
        return [("W", np.ascontiguousarray(k[:, None]))] + ([("b", w[1])] if len(w) > 1 else [])
    from support.legacy_fixtures import keras1_layer_weights
    return keras1_layer_weights(layer)


def write_keras1_conv_h5(model, path: str, *, theano: bool = False, version: str = "1.2.2") -> None:
    layers = [l for l in model.layers if l.__class__.__name__ != "InputLayer"]
    bis = [None] + list(model.inputs[0].shape[1:])
    config = {"class_name": "Sequential",
              "config": [_config(layer, k == 0, bis) for k, layer in enumerate(layers)]}
    with h5py.File(path, "w") as f:
        f.attrs["keras_version"] = version.encode("utf8")
        f.attrs["backend"] = b"theano" if theano else b"tensorflow"
        f.attrs["model_config"] = json.dumps(config).encode("utf8")
        g = f.create_group("model_weights")
        g.attrs["layer_names"] = [l.name.encode("utf8") for l in layers]
        g.attrs["backend"] = f.attrs["backend"]
        for layer in layers:
            lg = g.create_group(layer.name)
            pairs = _kernel(layer, theano)
            names = [f"{layer.name}_{sfx}" for sfx, _ in pairs]
            lg.attrs["weight_names"] = [n.encode("utf8") for n in names]
            for n, (_, v) in zip(names, pairs):
                lg.create_dataset(n, data=v)
