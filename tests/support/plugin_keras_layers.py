"""The real Keras custom layers that the plugins of ``examples/plugins/`` and
``tests/plugins/`` reproduce, for Keras 3 (saved as .keras) and tf-keras
(saved as .h5).  Each module's classes are defined and registered once."""
from __future__ import annotations

import functools
from types import SimpleNamespace


@functools.lru_cache(maxsize=None)
def keras3_layers() -> SimpleNamespace:
    import keras
    from keras import ops

    register = keras.saving.register_keras_serializable(package="k2jtest")

    @register
    class ReversedLSTM(keras.layers.LSTM):
        """An LSTM run backwards whose outputs are flipped back into input order."""

        def __init__(self, units, **kwargs):
            kwargs.update(go_backwards=True, return_sequences=True)
            super().__init__(units, **kwargs)

        def call(self, sequences, initial_state=None, mask=None, training=False):
            out = super().call(sequences, initial_state=initial_state, mask=mask, training=training)
            return ops.flip(out, axis=1)

    @register
    class AttentionWeightedAverage(keras.layers.Layer):
        """Attention pooling over time with one weight W (features, 1)."""

        def __init__(self, return_attention=False, **kwargs):
            super().__init__(**kwargs)
            self.return_attention = return_attention

        def build(self, input_shape):
            self.W = self.add_weight(name="W", shape=(input_shape[-1], 1), initializer="glorot_uniform")

        def call(self, x):
            scores = ops.matmul(x, self.W)
            weights = ops.softmax(scores, axis=1)
            out = ops.sum(x * weights, axis=1)
            return [out, ops.squeeze(weights, -1)] if self.return_attention else out

        def get_config(self):
            return {**super().get_config(), "return_attention": self.return_attention}

    def t(x):
        return ops.transpose(x, (0, 2, 1))

    probes = {
        "mean_time": lambda x: ops.mean(x, axis=1),
        "max_last_keep": lambda x: ops.max(x, axis=-1, keepdims=True),
        "plus_mean": lambda x: x + ops.mean(x, axis=1, keepdims=True),
        "gram": lambda x: ops.matmul(t(x), x),
        "self_attention": lambda x: ops.matmul(ops.softmax(ops.matmul(x, t(x)), axis=-1), x),
        "rank3": lambda x: ops.max(ops.softmax(x, axis=2) * ops.sum(x, axis=3, keepdims=True), axis=2),
        "flip3": lambda x: ops.flip(x, axis=1) + ops.mean(x, axis=1, keepdims=True),
    }

    @register
    class K2jProbe(keras.layers.Layer):
        """One expression of primitive ops, chosen by ``expr``."""

        def __init__(self, expr, **kwargs):
            super().__init__(**kwargs)
            self.expr = expr

        def call(self, x):
            return probes[self.expr](x)

        def get_config(self):
            return {**super().get_config(), "expr": self.expr}

    plain, override = _plain_layers(keras, keras.saving.register_keras_serializable(package="k2jplain"),
                                    lambda x, w: ops.sum(x * ops.softmax(ops.matmul(x, w), axis=1), axis=1),
                                    ReversedLSTM)
    return SimpleNamespace(ReversedLSTM=ReversedLSTM, AttentionWeightedAverage=AttentionWeightedAverage,
                           K2jProbe=K2jProbe, PlainAttentionWeightedAverage=plain, ReversedLSTMOverride=override,
                           keras=keras)


@functools.lru_cache(maxsize=None)
def tf_keras_layers() -> SimpleNamespace:
    import tensorflow as tf
    import tf_keras

    register = tf_keras.utils.register_keras_serializable(package="k2jtest")

    @register
    class ReversedLSTM(tf_keras.layers.LSTM):
        def __init__(self, units, **kwargs):
            kwargs.update(go_backwards=True, return_sequences=True)
            super().__init__(units, **kwargs)

        def call(self, inputs, mask=None, training=None, initial_state=None):
            out = super().call(inputs, mask=mask, training=training, initial_state=initial_state)
            return tf.reverse(out, axis=[1])

    @register
    class AttentionWeightedAverage(tf_keras.layers.Layer):
        def __init__(self, return_attention=False, **kwargs):
            super().__init__(**kwargs)
            self.return_attention = return_attention

        def build(self, input_shape):
            self.W = self.add_weight(name="W", shape=(int(input_shape[-1]), 1), initializer="glorot_uniform")
            super().build(input_shape)

        def call(self, x):
            weights = tf.nn.softmax(tf.tensordot(x, self.W, axes=1), axis=1)
            return tf.reduce_sum(x * weights, axis=1)

        def get_config(self):
            return {**super().get_config(), "return_attention": self.return_attention}

    plain, override = _plain_layers(
        tf_keras, tf_keras.utils.register_keras_serializable(package="k2jplain"),
        lambda x, w: tf.reduce_sum(x * tf.nn.softmax(tf.tensordot(x, w, axes=1), axis=1), axis=1),
        ReversedLSTM)
    return SimpleNamespace(ReversedLSTM=ReversedLSTM, AttentionWeightedAverage=AttentionWeightedAverage,
                           PlainAttentionWeightedAverage=plain, ReversedLSTMOverride=override, keras=tf_keras)


def _plain_layers(k, register, pool, reversed_lstm):
    """The two custom layers again as many real ones are written, registered under another
    package with the same class names: an ``AttentionWeightedAverage`` with only ``build``
    and ``call`` (its config is the base ``Layer``'s: Keras 3 records ``name``,
    ``trainable``, ``dtype``, ``autocast`` and ``activity_regularizer``), and a
    ``ReversedLSTM`` whose ``get_config`` override drops the options its constructor fixes."""

    @register
    class AttentionWeightedAverage(k.layers.Layer):
        def build(self, input_shape):
            self.W = self.add_weight(name="W", shape=(int(input_shape[-1]), 1), initializer="glorot_uniform")

        def call(self, x):
            return pool(x, self.W)

    @register
    class ReversedLSTM(reversed_lstm):
        def get_config(self):
            return {key: v for key, v in super().get_config().items()
                    if key not in ("go_backwards", "return_sequences")}

    return AttentionWeightedAverage, ReversedLSTM
