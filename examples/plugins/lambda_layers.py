"""keras2java plugin: two ``Lambda`` layers, claimed by their layer names.

keras2java never runs the Python code a ``Lambda`` holds (a model file is data,
not a program), so it refuses Lambda layers unless a plugin states what each
one computes, with the same composition API as custom layers.  The Lambdas
of this example (Keras 3; tf-keras is the same with ``tf`` / ``K`` functions)::

    x = keras.layers.Lambda(lambda t: t * keras.ops.sigmoid(t), name="self_gate")(x)
    x = keras.layers.Lambda(lambda t: keras.ops.mean(t, axis=1), name="mean_over_time")(x)

Layer names are the model's own: check them with ``keras2java inspect`` (the
refusal of an unclaimed Lambda names the decorator to write).

    keras2java convert model.keras --out src --plugin examples/plugins/lambda_layers.py
"""
import keras2java


@keras2java.lambda_layer("self_gate", mask="pass")
def self_gate(ctx):
    """``t * sigmoid(t)``, elementwise: any input shape; a Keras mask passes on."""
    sigmoid = ctx.builtin("Activation", config={"activation": "sigmoid"})
    g = ctx.graph()
    x = g.input(0)
    return g.output(g.multiply(x, g.add(sigmoid, [x])))


@keras2java.lambda_layer("mean_over_time")
def mean_over_time(ctx):
    """``mean(t, axis=1)`` of a sequence ``(timesteps, features)``: fixed or variable timesteps."""
    shape = ctx.single_input()
    if len(shape) != 2:
        ctx.refuse(f"expects (timesteps, features) inputs, got {shape}")
    g = ctx.graph()
    return g.output(g.mean(g.input(0), axis=0))   # axes count without the batch axis: 0 is time
