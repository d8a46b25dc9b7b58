"""keras2java plugin: ``AttentionWeightedAverage``, attention pooling over time
(as in DeepMoji): one weight ``W`` of shape ``(features, 1)`` scores each
timestep, a softmax over time turns the scores into weights, and the output is
the weighted sum of the timesteps.

The Keras layer (Keras 3; tf-keras is the same with ``tf`` ops)::

    @keras.saving.register_keras_serializable()
    class AttentionWeightedAverage(keras.layers.Layer):
        def __init__(self, return_attention=False, **kwargs):
            super().__init__(**kwargs)
            self.return_attention = return_attention

        def build(self, input_shape):
            self.W = self.add_weight(name="W", shape=(input_shape[-1], 1), initializer="glorot_uniform")

        def call(self, x):                            # x: (batch, timesteps, features)
            scores = keras.ops.matmul(x, self.W)      # (batch, timesteps, 1)
            weights = keras.ops.softmax(scores, axis=1)
            out = keras.ops.sum(x * weights, axis=1)  # (batch, features)
            return [out, keras.ops.squeeze(weights, -1)] if self.return_attention else out

        def get_config(self):
            return {**super().get_config(), "return_attention": self.return_attention}

Fixed or variable numbers of timesteps.

    keras2java convert model.keras --out src --plugin examples/plugins/attention_weighted_average.py
"""
import keras2java


@keras2java.layer("AttentionWeightedAverage")
def attention_weighted_average(ctx):
    ctx.allow_options("return_attention")
    if ctx.get_bool("return_attention", False):
        ctx.refuse("return_attention=True is not supported by this plugin (only the pooled output)")
    shape = ctx.single_input()
    if len(shape) != 2 or shape[1] is None:
        ctx.refuse(f"expects (timesteps, features) inputs, got {shape}")
    (w,) = ctx.weights([("W", (shape[1], 1))])
    g = ctx.graph()
    x = g.input(0)                              # (T, F); axes count without the batch axis: 0 is time
    scores = g.matmul(x, w)                     # (T, 1)
    weights = g.softmax(scores, axis=0)         # over time
    return g.output(g.sum(g.multiply(x, weights), axis=0))   # (F,)
