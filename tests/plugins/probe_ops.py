"""A test-only keras2java plugin: ``K2jProbe(expr=...)`` computes one of the
expressions below, so that every primitive op of :mod:`keras2java.ops.primitive`
(and every mode and transpose of them) is compared with Keras through a real
custom layer (``tests/support/plugin_keras_layers.py`` holds the Keras side)."""
import keras2java


def mean_time(g, x):               # (T, F) -> (F,)
    return g.mean(x, axis=0)


def max_last_keep(g, x):           # (T, F) -> (T, 1)
    return g.max(x, axis=-1, keepdims=True)


def plus_mean(g, x):               # (T, F) + (1, F)
    return g.plus(x, g.mean(x, axis=0, keepdims=True))


def gram(g, x):                    # x^T x: contracts the timestep axis -> (F, F)
    return g.matmul(x, x, transpose_a=True)


def self_attention(g, x):          # softmax(x x^T) x -> (T, F), fixed T
    return g.matmul(g.softmax(g.matmul(x, x, transpose_b=True), axis=-1), x)


def rank3(g, x):                   # (T, A, B): softmax over A times sums over B, max over A -> (T, B)
    return g.max(g.multiply(g.softmax(x, axis=1), g.sum(x, axis=2, keepdims=True)), axis=1)


def flip3(g, x):                   # (T, A, B) reversed in time plus its mean over time, (A, B): lower-rank broadcast
    return g.plus(g.reverse_time(x), g.mean(x, axis=0))


EXPRESSIONS = {f.__name__: f for f in (mean_time, max_last_keep, plus_mean, gram, self_attention, rank3, flip3)}


@keras2java.layer("K2jProbe", mask="refuse")
def k2j_probe(ctx):
    ctx.allow_options("expr")
    expr = ctx.get_str("expr")
    if expr not in EXPRESSIONS:
        ctx.refuse(f"unknown expr {expr!r}")
    g = ctx.graph()
    return g.output(EXPRESSIONS[expr](g, g.input(0)))
