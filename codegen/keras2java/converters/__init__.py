"""The registry: one explicit map from Keras class name to converter.

Adding a layer means: a converter here, a kernel in ``java-runtime/``, a
template fragment in ``templates/ops/`` and a test row against Keras.
"""
from __future__ import annotations

from typing import Mapping

from . import core, merge, recurrent
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
    # recurrent
    "LSTM": recurrent.convert_lstm,
    "GRU": recurrent.convert_gru,
    "SimpleRNN": recurrent.convert_simple_rnn,
    "RNN": recurrent.convert_rnn,
    "Bidirectional": recurrent.convert_bidirectional,
    "TimeDistributed": recurrent.convert_time_distributed,
    "Embedding": recurrent.convert_embedding,
    "Masking": recurrent.convert_masking,
}

#: Handled by the graph builder itself rather than by a converter.
STRUCTURAL = ("InputLayer",)


def supported_classes() -> tuple[str, ...]:
    return tuple(sorted(set(REGISTRY) | set(STRUCTURAL)))


__all__ = ["REGISTRY", "STRUCTURAL", "supported_classes", "ConversionProblem", "Converted",
           "Converter", "LayerContext"]
