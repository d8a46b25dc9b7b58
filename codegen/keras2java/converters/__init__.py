"""The registry: one explicit map from Keras class name to converter.

Adding a layer means: a converter here, a kernel in ``java-runtime/``, a
template fragment in ``templates/ops/`` and a test row against Keras.
"""
from __future__ import annotations

from typing import Mapping

from . import core, merge, recurrent, sequence
from .base import ConversionProblem, Converted, Converter, LayerContext

REGISTRY: Mapping[str, Converter] = {
    # core
    "Dense": core.convert_dense,
    "Activation": core.convert_activation,
    "Softmax": core.convert_softmax,
    "ReLU": core.convert_relu,
    "LeakyReLU": core.convert_leaky_relu,
    "ELU": core.convert_elu,
    # inference no-ops
    "Dropout": core.convert_noop,
    "SpatialDropout1D": core.convert_noop,
    "GaussianNoise": core.convert_noop,
    "GaussianDropout": core.convert_noop,
    "AlphaDropout": core.convert_noop,
    "ActivityRegularization": core.convert_noop,
    # merges
    "Concatenate": merge.convert_concatenate,
    "Add": merge.convert_add,
    "Subtract": merge.convert_subtract,
    "Multiply": merge.convert_multiply,
    "Average": merge.convert_average,
    "Maximum": merge.convert_maximum,
    "Minimum": merge.convert_minimum,
    "Dot": merge.convert_dot,
    # attention
    "Attention": merge.convert_attention,
    "AdditiveAttention": merge.convert_additive_attention,
    "MultiHeadAttention": merge.convert_multi_head_attention,
    # recurrent
    "LSTM": recurrent.convert_lstm,
    "GRU": recurrent.convert_gru,
    "SimpleRNN": recurrent.convert_simple_rnn,
    "RNN": recurrent.convert_rnn,
    "Bidirectional": recurrent.convert_bidirectional,
    "TimeDistributed": recurrent.convert_time_distributed,
    "Embedding": recurrent.convert_embedding,
    "Masking": recurrent.convert_masking,
    # convolution and pooling on sequences
    "Conv1D": sequence.convert_conv1d,
    "DepthwiseConv1D": sequence.convert_depthwise_conv1d,
    "SeparableConv1D": sequence.convert_separable_conv1d,
    "MaxPooling1D": sequence.convert_max_pooling1d,
    "AveragePooling1D": sequence.convert_average_pooling1d,
    "GlobalMaxPooling1D": sequence.convert_global_max_pooling1d,
    "GlobalAveragePooling1D": sequence.convert_global_average_pooling1d,
    # normalization
    "BatchNormalization": sequence.convert_batch_normalization,
    "LayerNormalization": sequence.convert_layer_normalization,
    "UnitNormalization": sequence.convert_unit_normalization,
    # shape
    "Flatten": sequence.convert_flatten,
    "Reshape": sequence.convert_reshape,
    "Permute": sequence.convert_permute,
    "RepeatVector": sequence.convert_repeat_vector,
    "UpSampling1D": sequence.convert_up_sampling1d,
    "ZeroPadding1D": sequence.convert_zero_padding1d,
    "Cropping1D": sequence.convert_cropping1d,
}

#: Handled by the graph builder itself rather than by a converter.
STRUCTURAL = ("InputLayer",)


def supported_classes() -> tuple[str, ...]:
    return tuple(sorted(set(REGISTRY) | set(STRUCTURAL)))


__all__ = ["REGISTRY", "STRUCTURAL", "supported_classes", "ConversionProblem", "Converted",
           "Converter", "LayerContext"]
