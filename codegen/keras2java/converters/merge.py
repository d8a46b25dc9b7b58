"""Converters for merge layers: Concatenate and the elementwise merges."""
from __future__ import annotations

from ..ir import AttentionOp, ConcatenateOp, DotOp, MergeOp, format_shape
from .base import ConversionProblem, Converted, LayerContext


def _check_time(ctx: LayerContext) -> None:
    """Inputs with a variable number of timesteps must agree at run time (the
    generated code checks it); a fixed and a variable timestep axis never do."""
    shapes = [s for s in ctx.input_shapes if s]
    if any(s[0] is None for s in shapes) and any(s[0] is not None and len(s) > 1 for s in shapes) \
            and all(len(s) > 1 for s in shapes):
        raise ConversionProblem("inputs mix a fixed and a variable number of timesteps: "
                                + ", ".join(format_shape(s) for s in shapes))


def convert_concatenate(ctx: LayerContext) -> Converted:
    shapes = ctx.input_shapes
    if len(shapes) < 2:
        raise ConversionProblem(f"expects at least two inputs, got {len(shapes)}")
    ctx.weights([])
    rank = len(shapes[0])
    if any(len(s) != rank for s in shapes):
        raise ConversionProblem("inputs have different ranks: " + ", ".join(format_shape(s) for s in shapes))
    axis = ctx.get_int("axis", -1)
    k = axis - 1 if axis > 0 else rank + axis   # config axis counts the batch axis
    if not 0 <= k < rank:
        raise ConversionProblem(f"axis {axis} is out of range for inputs of rank {rank + 1} (with batch)")
    _check_time(ctx)
    if shapes[0][k] is None or any(s[k] is None for s in shapes):
        raise ConversionProblem("concatenating along the variable timestep axis is not supported")
    for s in shapes[1:]:
        for i in range(rank):
            if i != k and s[i] != shapes[0][i] and None not in (s[i], shapes[0][i]):
                raise ConversionProblem("input shapes " + ", ".join(format_shape(t) for t in shapes)
                                        + f" differ outside the concatenation axis {axis}")
    out = list(shapes[0])
    out[k] = sum(s[k] for s in shapes)  # type: ignore[misc]
    if any(s[0] is None for s in shapes):
        out[0] = None
    return Converted(ConcatenateOp(axis=k), (tuple(out),))


def _elementwise(mode: str):
    def convert(ctx: LayerContext) -> Converted:
        shapes = ctx.input_shapes
        if len(shapes) < 2 or (mode == "subtract" and len(shapes) != 2):
            raise ConversionProblem(f"expects {'exactly two' if mode == 'subtract' else 'at least two'} inputs, got {len(shapes)}")
        ctx.weights([])
        _check_time(ctx)
        if any(s != shapes[0] for s in shapes):
            raise ConversionProblem("inputs have different shapes " + ", ".join(format_shape(s) for s in shapes)
                                    + "; broadcasting merges are not supported")
        return Converted(MergeOp(mode), (shapes[0],))
    return convert


convert_add = _elementwise("add")
convert_subtract = _elementwise("subtract")
convert_multiply = _elementwise("multiply")
convert_average = _elementwise("average")
convert_maximum = _elementwise("maximum")
convert_minimum = _elementwise("minimum")


def convert_dot(ctx: LayerContext) -> Converted:
    shapes = ctx.input_shapes
    if len(shapes) != 2:
        raise ConversionProblem(f"expects exactly two inputs, got {len(shapes)}")
    a, b = shapes
    if len(a) != len(b) or len(a) not in (1, 2) or None in a + b:
        raise ConversionProblem("only inputs of equal rank 1 or 2 (without batch) with fixed shapes are supported, got "
                                + ", ".join(format_shape(s) for s in shapes))
    axes = ctx.layer.config.get("axes", -1)
    if isinstance(axes, int) and not isinstance(axes, bool):
        axes = (axes, axes)
    if (not isinstance(axes, (list, tuple)) or len(axes) != 2
            or not all(isinstance(x, int) and not isinstance(x, bool) for x in axes)):
        raise ConversionProblem(f"axes {axes!r} is not an integer or a pair of integers")
    rank = len(a) + 1   # Keras counts the batch axis
    ks = []
    for ax in axes:
        ax = ax % rank if ax < 0 else ax
        if not 1 <= ax < rank:
            raise ConversionProblem(f"axes {list(axes)!r} name the batch axis or are out of range")
        ks.append(ax - 1)
    if a[ks[0]] != b[ks[1]]:
        raise ConversionProblem(f"the dot axes have different sizes: {a[ks[0]]} and {b[ks[1]]}")
    normalize = ctx.get_bool("normalize", False)
    ctx.weights([])
    out = tuple(d for i, d in enumerate(a) if i != ks[0]) + tuple(d for i, d in enumerate(b) if i != ks[1])
    return Converted(DotOp((ks[0], ks[1]), normalize, 1e7 if ctx.keras_major >= 3 else 1e6), (out or (1,),))


def _attention_inputs(ctx: LayerContext):
    shapes = ctx.input_shapes
    if len(shapes) not in (2, 3):
        raise ConversionProblem(f"expects [query, value] or [query, value, key], got {len(shapes)} inputs")
    if any(len(s) != 2 for s in shapes):
        raise ConversionProblem("query, value and key must be (timesteps, features) sequences, got "
                                + ", ".join(format_shape(s) for s in shapes))
    q, v = shapes[0], shapes[1]
    k = shapes[2] if len(shapes) == 3 else v
    if q[1] != k[1]:
        raise ConversionProblem(f"query has {q[1]} features and key {k[1]}; they must agree")
    if v[0] != k[0] and None not in (v[0], k[0]):
        raise ConversionProblem(f"value has {v[0]} timesteps and key {k[0]}; they must agree")
    if (v[0] is None) != (k[0] is None):
        raise ConversionProblem("value and key must both have a fixed or both a variable number of timesteps")
    other = ctx.call.other_kwargs if ctx.call is not None else {}
    causal = other.get("use_causal_mask", False) is True
    scores = other.get("return_attention_scores", False) is True
    if scores and v[0] is None:
        raise ConversionProblem("return_attention_scores with a variable number of value timesteps is not supported")
    outs = ((q[0], v[1]),) + (((q[0], v[0]),) if scores else ())
    return int(q[1]), causal, scores, outs


def convert_attention(ctx: LayerContext) -> Converted:
    d, causal, scores, outs = _attention_inputs(ctx)
    mode = ctx.get_str("score_mode", "dot")
    if mode not in ("dot", "concat"):
        raise ConversionProblem(f"score_mode {mode!r} is not supported; expected 'dot' or 'concat'")
    use_scale = ctx.get_bool("use_scale", False)
    roles = (["scale"] if use_scale else []) + (["concat_score_weight"] if mode == "concat" else [])
    # scalar weights: h5 files hold them with shape () or (1,)
    stored = ctx.layer.weights
    shapes = [(1,) if i < len(stored) and tuple(stored[i].shape) == (1,) else () for i in range(len(roles))]
    w = ctx.weights(list(zip(roles, shapes)))
    scale = w[0] if use_scale else None
    concat = w[-1] if mode == "concat" else None
    return Converted(AttentionOp(mode, causal, scores, scale, concat), outs)


def convert_additive_attention(ctx: LayerContext) -> Converted:
    d, causal, scores, outs = _attention_inputs(ctx)
    use_scale = ctx.get_bool("use_scale", True)
    w = ctx.weights([("scale", (d,))] if use_scale else [])
    return Converted(AttentionOp("additive", causal, scores, w[0] if use_scale else None), outs)
