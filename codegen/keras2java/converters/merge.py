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
    w = ctx.weights(([("scale", ())] if use_scale else []) + ([("concat_score_weight", ())] if mode == "concat" else []))
    scale = w[0] if use_scale else None
    concat = w[-1] if mode == "concat" else None
    return Converted(AttentionOp(mode, causal, scores, scale, concat), outs)


def convert_additive_attention(ctx: LayerContext) -> Converted:
    d, causal, scores, outs = _attention_inputs(ctx)
    use_scale = ctx.get_bool("use_scale", True)
    w = ctx.weights([("scale", (d,))] if use_scale else [])
    return Converted(AttentionOp("additive", causal, scores, w[0] if use_scale else None), outs)


#: Keras 3 sub-layer names (``query_dense``...) and tf-keras ones (``query``...) of MultiHeadAttention.
_MHA_PARTS = {"query_dense": "query", "key_dense": "key", "value_dense": "value", "output_dense": "output",
              "query": "query", "key": "key", "value": "value", "attention_output": "output"}


def _mha_weights(ctx: LayerContext) -> dict:
    """The stored weights by (part, "kernel"/"bias"), found by their path segments."""
    found: dict = {}
    for w in ctx.layer.weights:
        segs = w.name.replace(":0", "").split("/")
        if len(segs) >= 3 and segs[-2] == "vars" and segs[-3] in _MHA_PARTS:        # Keras 3: part/vars/i
            key = (_MHA_PARTS[segs[-3]], {"0": "kernel", "1": "bias"}.get(segs[-1], "?"))
        elif len(segs) >= 2 and segs[-2] in _MHA_PARTS:                              # tf-keras: part/kernel
            key = (_MHA_PARTS[segs[-2]], segs[-1])
        else:
            raise ConversionProblem(f"unexpected weight {w.name!r}")
        if key in found:
            raise ConversionProblem(f"two weights for {key[0]} {key[1]}")
        found[key] = w
    return found


def convert_multi_head_attention(ctx: LayerContext) -> Converted:
    from ..ir import MultiHeadAttentionOp, WeightTensor
    other = ctx.call.other_kwargs if ctx.call is not None else {}
    if len(ctx.input_shapes) == 1 and "value" in other:
        raise ConversionProblem("the value passed as a keyword argument (tf-keras configs) is not supported yet; "
                                "call the layer as layer(query, value) in Keras 3")
    shapes = ctx.input_shapes
    if len(shapes) not in (2, 3) or any(len(x) != 2 for x in shapes):
        raise ConversionProblem("expects query, value[, key] sequences (timesteps, features), got "
                                + ", ".join(format_shape(x) for x in shapes))
    if len(shapes) == 3 and (shapes[1][0] is None) != (shapes[2][0] is None) or \
            (len(shapes) == 3 and None not in (shapes[1][0], shapes[2][0]) and shapes[1][0] != shapes[2][0]):
        raise ConversionProblem("value and key must have the same number of timesteps")
    causal = other.get("use_causal_mask", False) is True
    scores = other.get("return_attention_scores", False) is True
    if scores and shapes[1][0] is None:
        raise ConversionProblem("return_attention_scores with a variable number of value timesteps is not supported")
    q, v = ctx.input_shapes[0], ctx.input_shapes[1]
    k = ctx.input_shapes[2] if len(ctx.input_shapes) == 3 else v
    heads = ctx.get_int("num_heads", minimum=1)
    key_dim = ctx.get_int("key_dim", minimum=1)
    value_dim = ctx.get_int("value_dim", key_dim, minimum=1) if ctx.layer.config.get("value_dim") is not None \
        else key_dim
    use_bias = ctx.get_bool("use_bias", True)
    axes = ctx.layer.config.get("attention_axes")
    if axes not in (None, [1], (1,), 1, [-2], (-2,), -2):
        raise ConversionProblem(f"attention_axes {axes!r} is not supported; only attention over the time axis")
    ctx.reject_true("use_gate", why="(gated attention) is not supported")
    if ctx.layer.config.get("sliding_window") is not None:
        raise ConversionProblem("sliding_window is not supported")
    out_shape = ctx.layer.config.get("output_shape")
    if isinstance(out_shape, (list, tuple)) and len(out_shape) == 1:
        out_shape = out_shape[0]
    if out_shape is not None and (not isinstance(out_shape, int) or out_shape < 1):
        raise ConversionProblem(f"output_shape {out_shape!r} is not supported; only one positive size")
    d_out = int(out_shape) if out_shape is not None else int(q[-1])
    parts = _mha_weights(ctx)
    want = {("query", "kernel"): (q[-1], heads, key_dim), ("key", "kernel"): (k[-1], heads, key_dim),
            ("value", "kernel"): (v[-1], heads, value_dim), ("output", "kernel"): (heads, value_dim, d_out)}
    if use_bias:
        want.update({("query", "bias"): (heads, key_dim), ("key", "bias"): (heads, key_dim),
                     ("value", "bias"): (heads, value_dim), ("output", "bias"): (d_out,)})
    problems = [f"missing weight {p} {kind} {shape}" for (p, kind), shape in want.items() if (p, kind) not in parts]
    problems += [f"weight {p} {kind} has shape {parts[(p, kind)].shape}, expected {shape}"
                 for (p, kind), shape in want.items() if (p, kind) in parts and parts[(p, kind)].shape != shape]
    problems += [f"unexpected weight {w.name!r}" for key, w in parts.items() if key not in want]
    if problems:
        raise ConversionProblem(*problems)

    def tensor(part, kind, rows=None):
        w = parts.get((part, kind))
        if w is None:
            return None
        arr = w.array if rows is None else w.array.reshape(rows, -1)
        return WeightTensor(f"{part} {kind}", w.name, arr.reshape(-1) if kind == "bias" else arr)

    op = MultiHeadAttentionOp(heads, key_dim, value_dim, causal, scores,
                              tensor("query", "kernel", q[-1]), tensor("key", "kernel", k[-1]),
                              tensor("value", "kernel", v[-1]), tensor("output", "kernel", heads * value_dim),
                              tensor("query", "bias"), tensor("key", "bias"), tensor("value", "bias"),
                              tensor("output", "bias"))
    outs = ((q[0], d_out),) + (((heads, q[0], v[0]),) if scores else ())
    if scores and q[0] is None:
        raise ConversionProblem("return_attention_scores with a variable number of query timesteps is not supported")
    return Converted(op, outs)
