"""Every operation keras2java can compile, one module per op family.

Importing this package registers the built-in ops and converters; the
registry in :mod:`keras2java.ops.base` is the one place that knows them.
"""
from __future__ import annotations

from . import (activation_layers, activation_ops, adaptive_pooling, attention, bidirectional,  # noqa: F401
               categorical, conv, conv2d, conv3d, conv_lstm3d, conv_recurrent, conv_transpose, core, einsum_dense,
               grouped_query_attention, hashing,
               image_preprocessing, keras_ops, keras_ops_shape, mask, merge, norm, pool2d, pool3d, preprocessing,
               primitive, recurrent, shape, tensor_ops, text, wrappers)  # (registration)
from . import conv_legacy, recurrent_legacy  # noqa: F401  (Keras 1/2 upgrade hooks)
from .base import (ConfigDtype, ConversionProblem, LayerSpec, MaskRule, Op, converter, is_registered, layer_spec,
                   layer_specs, op_classes, register_op)
from .context import Composite, Converted, LayerContext, Step

FAMILIES = (core, einsum_dense, recurrent, bidirectional, mask, merge, attention, grouped_query_attention, conv,
            conv2d, pool2d, conv_transpose, conv_recurrent, conv3d, pool3d, conv_lstm3d, norm, shape, wrappers, text,
            hashing, preprocessing, categorical, image_preprocessing, activation_layers, activation_ops,
            adaptive_pooling, keras_ops, keras_ops_shape)
#: The plugin front-end of the tensor-op IR (:mod:`keras2java.plugins` composes its ops).
PRIMITIVES = primitive

#: Keras classes the graph builder handles itself rather than through a converter.
STRUCTURAL = ("InputLayer",)


def supported_classes() -> tuple[str, ...]:
    return tuple(sorted(set(layer_specs()) | set(STRUCTURAL)))


__all__ = ["Composite", "ConfigDtype", "ConversionProblem", "Converted", "FAMILIES", "LayerContext", "LayerSpec",
           "MaskRule", "Op", "PRIMITIVES", "STRUCTURAL", "Step", "converter", "is_registered", "layer_spec",
           "layer_specs", "op_classes", "register_op", "supported_classes"]
