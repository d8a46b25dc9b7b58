"""keras2java plugin: ``ReversedLSTM``, an LSTM run backwards over the sequence
whose outputs are flipped back into forward order (the backward half of a
sequence tagger's Bidirectional, kept as a layer of its own).

The Keras layer (Keras 3; tf-keras is the same with ``tf.reverse``)::

    @keras.saving.register_keras_serializable()
    class ReversedLSTM(keras.layers.LSTM):
        def __init__(self, units, **kwargs):
            kwargs.update(go_backwards=True, return_sequences=True)
            super().__init__(units, **kwargs)

        def call(self, sequences, initial_state=None, mask=None, training=False):
            out = super().call(sequences, initial_state=initial_state, mask=mask, training=training)
            return keras.ops.flip(out, axis=1)

Its config carries the LSTM's options and its weights are the LSTM cell's
kernel, recurrent_kernel and bias, so the plugin is keras2java's own LSTM
converter (with ``go_backwards=True``) followed by a reversal along time.

    keras2java convert tagger.keras --out src --plugin examples/plugins/reversed_lstm.py
"""
import keras2java


@keras2java.layer("ReversedLSTM")
def reversed_lstm(ctx):
    if ctx.config.get("return_sequences", True) is not True:
        ctx.refuse("return_sequences=False is not supported: ReversedLSTM returns the whole sequence")
    ctx.reject_true("return_state", "stateful", why="is not supported by the ReversedLSTM plugin")
    lstm = ctx.builtin("LSTM", config={**ctx.config, "go_backwards": True, "return_sequences": True})
    g = ctx.graph()
    h = g.add(lstm, [g.input(0)])          # (timesteps, units), in processing (reversed) order
    return g.output(g.reverse_time(h))     # back in input order
