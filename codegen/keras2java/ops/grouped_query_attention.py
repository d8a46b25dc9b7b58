"""Keras 3 GroupedQueryAttention (``GroupQueryAttention``), lowered to the
MultiHeadAttention kernel: ``call`` repeats each key/value head ``num_query_heads //
num_key_value_heads`` times (``ops.repeat(key, num_repeats, axis=2)``) before
attending, so repeating the key and value projections' kernels and biases along
the head axis gives a MultiHeadAttention with ``num_query_heads`` heads of size
``head_dim``, scale ``1/sqrt(head_dim)`` and the same output projection
(``keras/src/layers/attention/grouped_query_attention.py``).  ``use_gate`` adds the
``gate`` projection (an EinsumDense ``bqm,muh->bquh`` like the query's, with a sigmoid):
the heads' outputs are multiplied by it before the output projection, which the kernel's
optional gate does."""
from __future__ import annotations

import numpy as np

from ..ir import WeightTensor, format_shape
from .attention import MultiHeadAttentionOp, _fully_masked, _mha_weights
from .base import ConversionProblem, MaskRule, converter
from .context import Converted, LayerContext


#: the sub-layers' names in .keras files (attributes) and in .h5 files (layer names)
_GQA_PARTS = {"_query_dense": "query", "_key_dense": "key", "_value_dense": "value", "_output_dense": "output",
              "_gate_dense": "gate", "query": "query", "key": "key", "value": "value", "attention_output": "output",
              "gate": "gate"}


@converter("GroupedQueryAttention", "GroupQueryAttention", mask=MaskRule.ATTEND, reads_masks=True,
           tensor_kwargs=("value", "key"))
def convert_grouped_query_attention(ctx: LayerContext) -> Converted:
    shapes = ctx.input_shapes
    if len(shapes) not in (2, 3) or any(len(x) != 2 for x in shapes):
        raise ConversionProblem("GroupedQueryAttention expects query, value[, key] sequences (timesteps, features), "
                                "got " + ", ".join(format_shape(x) for x in shapes))
    q, v = shapes[0], shapes[1]
    k = shapes[2] if len(shapes) == 3 else v
    if (v[0] is None) != (k[0] is None) or None not in (v[0], k[0]) and v[0] != k[0]:
        raise ConversionProblem("GroupedQueryAttention: value and key must have the same number of timesteps")
    other = ctx.call.other_kwargs if ctx.call is not None else {}
    causal = other.get("use_causal_mask", False) is True
    scores = other.get("return_attention_scores", False) is True
    if other.get("attention_mask") is not None:
        raise ConversionProblem("GroupedQueryAttention: an explicit attention_mask tensor is not supported "
                                "(Keras masks and use_causal_mask are)")
    hq = ctx.get_int("num_query_heads", minimum=1)
    hkv = ctx.get_int("num_key_value_heads", minimum=1)
    hd = ctx.get_int("head_dim", minimum=1)
    if hq % hkv:
        raise ConversionProblem(f"GroupedQueryAttention: num_query_heads {hq} is not a multiple of "
                                f"num_key_value_heads {hkv}")
    use_bias = ctx.get_bool("use_bias", True)
    use_gate = ctx.get_bool("use_gate", False)
    if ctx.layer.config.get("sliding_window") is not None:
        raise ConversionProblem("GroupedQueryAttention: sliding_window is not supported")
    if q[-1] != v[-1]:
        raise ConversionProblem(f"GroupedQueryAttention: query has {q[-1]} features and value {v[-1]}; "
                                "they must agree")
    if use_bias and hd == 1:
        for part, heads, steps in (("query", hq, q[0]), ("key", hkv, k[0]), ("value", hkv, v[0])):
            if heads > 1 and steps == heads:
                raise ConversionProblem(
                    f"GroupedQueryAttention: Keras 3's TensorFlow backend adds the {part} projection's ({heads}, 1) "
                    f"bias along the timestep axis when the {part} has {heads} timesteps (a channels-first "
                    "bias_add in backend/tensorflow/numpy.py add); keras2java does not copy that (use head_dim "
                    f"above 1 or a length other than {heads})")
    d = int(q[-1])
    parts = _mha_weights(ctx, _GQA_PARTS)
    want = {("query", "kernel"): (q[-1], hq, hd), ("key", "kernel"): (k[-1], hkv, hd),
            ("value", "kernel"): (v[-1], hkv, hd), ("output", "kernel"): (hq, hd, d)}
    if use_gate:
        want[("gate", "kernel")] = (q[-1], hq, hd)
    if use_bias:
        want.update({("query", "bias"): (hq, hd), ("key", "bias"): (hkv, hd), ("value", "bias"): (hkv, hd),
                     ("output", "bias"): (d,)})
        if use_gate:
            want[("gate", "bias")] = (hq, hd)
    problems = [f"GroupedQueryAttention: missing weight {p} {kind} {s}" for (p, kind), s in want.items()
                if (p, kind) not in parts]
    problems += [f"GroupedQueryAttention: weight {p} {kind} has shape {parts[(p, kind)].shape}, expected {s}"
                 for (p, kind), s in want.items() if (p, kind) in parts and parts[(p, kind)].shape != s]
    problems += [f"GroupedQueryAttention: unexpected weight {w.name!r}" for key, w in parts.items() if key not in want]
    if problems:
        raise ConversionProblem(*problems)
    repeats = hq // hkv

    def tensor(part, kind):
        w = parts.get((part, kind))
        if w is None:
            return None
        arr = np.asarray(w.array)
        if part in ("key", "value"):          # kv head j serves query heads j*repeats .. (j+1)*repeats-1
            arr = np.repeat(arr, repeats, axis=arr.ndim - 2)
        if kind == "bias":
            arr = arr.reshape(-1)
        else:                                 # (in, heads*hd), or (heads*hd, out) for the output projection
            arr = arr.reshape(hq * hd if part == "output" else arr.shape[0], -1)
        return WeightTensor(f"{part} {kind}", w.name, arr)

    op = MultiHeadAttentionOp(hq, hd, hd, causal, scores,
                              tensor("query", "kernel"), tensor("key", "kernel"), tensor("value", "kernel"),
                              tensor("output", "kernel"), tensor("query", "bias"), tensor("key", "bias"),
                              tensor("value", "bias"), tensor("output", "bias"), masked=ctx.input_masks,
                              fully_masked=_fully_masked(ctx, scores), gate_kernel=tensor("gate", "kernel"),
                              gate_bias=tensor("gate", "bias"))
    return Converted(op, ((q[0], d),) + (((hq, q[0], v[0]),) if scores else ()))
