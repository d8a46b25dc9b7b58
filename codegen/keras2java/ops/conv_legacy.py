"""Keras 1/2 upgrade hooks of the convolution families (:mod:`.conv`,
:mod:`.conv2d`, :mod:`.conv_recurrent`), registered with :func:`legacy_upgrade`:
Keras 1 convolution, pooling and image layers, and Theano-trained kernels,
translated into the Keras 2 form the converters read.

Each rule follows the Keras 2.2.4 source:

* config keys (``keras/legacy/interfaces.py``): ``nb_filter -> filters``;
  ``(nb_row, nb_col) -> kernel_size`` (2-D) and ``filter_length ->
  kernel_size`` (1-D); ``subsample -> strides`` and ``subsample_length ->
  strides``; ``border_mode -> padding``; ``atrous_rate -> dilation_rate``;
  ``bias -> use_bias``; ``dim_ordering`` ``tf``/``th`` -> ``data_format``
  ``channels_last``/``channels_first``; 1-D pooling ``pool_length ->
  pool_size``, ``stride -> strides``.  ``Convolution1D/2D`` and
  ``AtrousConvolution1D/2D`` become ``Conv1D/Conv2D``; ``Deconvolution2D``
  becomes ``Conv2DTranspose`` (its ``output_shape`` is dropped by Keras 2,
  which infers the size; the converter checks the stored one agrees) and
  ``SeparableConvolution2D`` becomes ``SeparableConv2D`` (same keys; ``init``
  names both kernels' initializer).
* weights (``keras/engine/saving.py preprocess_weights_for_loading``): a
  Keras 1 ``Conv2D`` kernel stored ``th``-ordered ``(filters, stack, rows,
  cols)`` is transposed ``(2, 3, 1, 0)``; a Keras 1 ``Conv1D`` kernel is
  ``(filter_length, 1, input_dim, filters)`` (Keras 1.1:
  ``(filters, input_dim, filter_length, 1)``, transposed ``(2, 3, 1, 0)``
  first) and loses axis 1; a Keras 1 ``Conv2DTranspose`` kernel ``tf``-ordered
  ``(rows, cols, stack, filters)`` is transposed ``(0, 1, 3, 2)`` and
  ``th``-ordered ``(filters, stack, rows, cols)`` ``(2, 3, 0, 1)``, both to
  ``(rows, cols, filters, stack)``; SeparableConv2D kernels are kept (Keras 1
  wrote them ``tf``-ordered as Keras 2 reads them).
* then, when the file's ``backend`` attribute says ``theano`` (true
  convolution rather than TensorFlow's correlation), the kernel of Conv1D,
  Conv2D, Conv2DTranspose and ConvLSTM2D (and ConvLSTM2D's recurrent
  kernel) is flipped along every axis but the last two
  (``keras/utils/conv_utils.py convert_kernel``).
"""
from __future__ import annotations

from dataclasses import replace

import numpy as np

from ..errors import ModelFileError
from ..reader.raw import RawLayer, RawWeight, freeze
from .base import legacy_upgrade
from .legacy import UpgradeContext, keras1_input_shape

K1_CONV = {"Convolution1D": "Conv1D", "Convolution2D": "Conv2D", "AtrousConvolution1D": "Conv1D",
           "AtrousConvolution2D": "Conv2D", "Deconvolution2D": "Conv2DTranspose",
           "SeparableConvolution2D": "SeparableConv2D"}
K1_IMAGE = ("MaxPooling2D", "AveragePooling2D", "GlobalMaxPooling2D", "GlobalAveragePooling2D", "ZeroPadding2D",
            "Cropping2D", "UpSampling2D")
K1_POOL1D = ("MaxPooling1D", "AveragePooling1D")
#: Keras 2 classes whose kernel convert_kernel flips for Theano-trained weights
FLIPPED = ("Conv1D", "Conv2D", "Conv2DTranspose", "ConvLSTM2D")
DIM_ORDERING = {"tf": "channels_last", "th": "channels_first"}


class LegacyConvError(ValueError):
    """A Keras 1 convolution config keras2java cannot translate."""


def is_keras1_conv(cls: str) -> bool:
    return cls in K1_CONV or cls in K1_IMAGE or cls in K1_POOL1D


def keras1_conv_config(cls: str, cfg: dict) -> tuple[str, dict]:
    """Keras 1 class and config keys -> Keras 2 (2.2.4 ``legacy/interfaces.py``)."""
    out = dict(cfg)

    def rename(old: str, new: str) -> None:
        if old in out and new not in out:
            out[new] = out.pop(old)

    if "dim_ordering" in out and "data_format" not in out:
        order = out.pop("dim_ordering")
        if order not in DIM_ORDERING:
            raise LegacyConvError(f"dim_ordering={order!r} is not supported; expected 'tf' or 'th'")
        out["data_format"] = DIM_ORDERING[order]
    rename("border_mode", "padding")
    new_cls = K1_CONV.get(cls, cls)
    if cls in K1_CONV:
        rename("nb_filter", "filters")
        rename("bias", "use_bias")
        rename("atrous_rate", "dilation_rate")
        if new_cls == "SeparableConv2D" and out.get("data_format") == "channels_first":
            # Keras 1 stored th-ordered separable kernels as (multiplier, stack, rows, cols) and
            # (filters, multiplier * stack, 1, 1); Keras 2's loader converts neither.
            raise LegacyConvError("dim_ordering='th' is not supported for SeparableConvolution2D: Keras 2 "
                                  "does not convert its th-ordered kernels (Keras 1 built it only with "
                                  "TensorFlow, normally 'tf')")
        if new_cls != "Conv1D":
            if "kernel_size" not in out:
                out["kernel_size"] = [out.pop("nb_row", None), out.pop("nb_col", None)]
            rename("subsample", "strides")
        else:
            rename("filter_length", "kernel_size")
            rename("subsample_length", "strides")
            if "batch_input_shape" not in out and out.get("input_dim") is not None:
                out["batch_input_shape"] = [None, out.get("input_length"), out["input_dim"]]
    if cls in K1_POOL1D:
        rename("pool_length", "pool_size")
        rename("stride", "strides")
    if cls == "ZeroPadding2D" and isinstance(out.get("padding"), (list, tuple)) and len(out["padding"]) == 4:
        t, b, l, r = out["padding"]
        out["padding"] = [[t, b], [l, r]]
    if isinstance(out.get("padding"), str) and out["padding"] not in ("valid", "same", "causal"):
        raise LegacyConvError(f"border_mode={out['padding']!r} is not supported; expected 'valid' or 'same'")
    return new_cls, out


def keras1_conv_weights(cls: str, cfg: dict, weights: tuple[RawWeight, ...]) -> tuple[RawWeight, ...]:
    """Keras 1 kernel layouts -> Keras 2 (``preprocess_weights_for_loading``, Keras 1 branch)."""
    if not weights or cls not in ("Conv1D", "Conv2D", "Conv2DTranspose"):
        return weights
    w = np.asarray(weights[0].array)
    if cls == "Conv2DTranspose" and w.ndim == 4:
        w = np.transpose(w, (2, 3, 0, 1) if cfg.get("data_format") == "channels_first" else (0, 1, 3, 2))
    if cls == "Conv2D" and cfg.get("data_format") == "channels_first" and w.ndim == 4:
        w = np.transpose(w, (2, 3, 1, 0))
    if cls == "Conv1D" and w.ndim == 4:
        k = cfg.get("kernel_size")
        k = k[0] if isinstance(k, (list, tuple)) else k
        if not (w.shape[:2] == (k, 1) and w.shape[3] == cfg.get("filters")):
            w = np.transpose(w, (2, 3, 1, 0))      # Keras 1.1: (filters, input_dim, filter_length, 1)
        w = w[:, 0, :, :]
    return (replace(weights[0], array=np.ascontiguousarray(w)),) + tuple(weights[1:])


def flip_theano_kernels(cls: str, weights: tuple[RawWeight, ...]) -> tuple[RawWeight, ...]:
    """``conv_utils.convert_kernel``: reverse every axis but the last two."""
    if cls not in FLIPPED or not weights:
        return weights
    n = 2 if cls == "ConvLSTM2D" else 1
    out = list(weights)
    for i in range(min(n, len(out))):
        a = np.asarray(out[i].array)
        if a.ndim < 3:
            continue
        flipped = a[tuple([slice(None, None, -1)] * (a.ndim - 2) + [slice(None), slice(None)])]
        out[i] = replace(out[i], array=np.ascontiguousarray(flipped))
    return tuple(out)


@legacy_upgrade(*K1_CONV, *K1_IMAGE, *K1_POOL1D, *FLIPPED)
def upgrade_conv(layer: RawLayer, ctx: UpgradeContext) -> RawLayer:
    cls, cfg, weights = layer.class_name, dict(layer.config), layer.weights
    if ctx.major <= 1 and is_keras1_conv(cls):
        try:
            cls_k2, cfg = keras1_conv_config(cls, cfg)
        except LegacyConvError as exc:
            raise ModelFileError(f"layer {layer.name!r} ({cls}): {exc}") from None
        weights = keras1_conv_weights(cls_k2, cfg, weights)
        if cls_k2 != cls:
            ctx.note(layer.name, f"class {cls} -> {cls_k2}")
        cls = cls_k2
    if ctx.theano:
        flipped = flip_theano_kernels(cls, weights)
        if flipped is not weights:
            ctx.note(layer.name, "kernel flipped (trained with Theano: convolution, not correlation)")
        weights = flipped
    if ctx.major <= 1:
        keras1_input_shape(cfg)
    return replace(layer, class_name=cls, config=freeze(cfg), weights=tuple(weights))
