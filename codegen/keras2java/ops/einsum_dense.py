"""Keras EinsumDense, lowered to existing kernels: an einsum with one group of
contracted axes is a permute + Dense (a matrix product on the last axis) + a
permute, then the bias (folded into the Dense when it only spans kernel axes)
and the activation (``keras/src/layers/core/einsum_dense.py``: ``call`` is
``einsum(equation, x, kernel) + bias`` then the activation)."""
from __future__ import annotations

import re
from math import prod

import numpy as np

from ..ir import Activation, WeightTensor, format_shape
from .base import ConversionProblem, MaskRule, converter
from .context import Composite, LayerContext, Step
from .core import ActivationOp, DenseOp
from .shape import PermuteOp, ReshapeOp
from .tensor_ops import BroadcastOp

_EQUATION = re.compile(r"^([a-zA-Z.]+),([a-zA-Z]+)->([a-zA-Z.]+)$")


def _expand(equation: str, rank: int) -> tuple[str, str, str]:
    """The equation's (input, kernel, output) specs with ``...`` replaced by fresh letters
    for the elided input axes (``_analyze_einsum_string``: left or right of the spec)."""
    m = _EQUATION.match(equation.replace(" ", ""))
    if not m:
        raise ConversionProblem(f"EinsumDense equation {equation!r} is not of the form 'ab,bc->ac'")
    inp, ker, out = m.groups()
    if "." in inp or "." in out:
        left = inp.startswith("...") and out.startswith("...")
        right = inp.endswith("...") and out.endswith("...")
        if not (left or right) or inp.count("...") != 1 or out.count("...") != 1 \
                or "." in inp.replace("...", "") or "." in out.replace("...", ""):
            raise ConversionProblem(f"EinsumDense equation {equation!r}: '...' must lead or end both the input "
                                    "and the output spec")
        used = set(inp + ker + out)
        fresh = "".join(c for c in "zyxwvutsrqponmlkjihgfedcbaZYXWVUTSRQPONMLKJIHGFEDCBA" if c not in used)
        n = rank - len(inp.replace("...", ""))
        if n < 0 or n > len(fresh):
            raise ConversionProblem(f"EinsumDense equation {equation!r} does not fit an input of rank {rank}")
        inp, out = inp.replace("...", fresh[:n]), out.replace("...", fresh[:n])
    return inp, ker, out


@converter("EinsumDense", mask=MaskRule.DROP)   # no supports_masking in either Keras version
def convert_einsum_dense(ctx: LayerContext):
    shape = ctx.single_input()                 # without the batch axis
    equation = ctx.get_str("equation")
    inp, ker, out = _expand(equation, len(shape) + 1)
    problems = []
    for name, spec in (("input", inp), ("kernel", ker), ("output", out)):
        if len(set(spec)) != len(spec):
            problems.append(f"EinsumDense {name} spec {spec!r} repeats an axis (a diagonal), not supported")
    if len(inp) != len(shape) + 1:
        problems.append(f"EinsumDense input spec {inp!r} does not match the input shape (batch, "
                        f"{format_shape(shape)})")
    if problems:
        raise ConversionProblem(*problems)
    batch = inp[0]
    if out[0] != batch or batch in ker:
        raise ConversionProblem(f"EinsumDense equation {equation!r}: the batch axis {batch!r} must lead the output "
                                "and not appear in the kernel")
    shared = [c for c in inp if c in ker and c in out]
    summed = [c for c in inp if c not in ker and c not in out]
    kernel_only = [c for c in ker if c not in inp and c not in out]
    if shared or summed or kernel_only or any(c not in inp and c not in ker for c in out):
        raise ConversionProblem(
            f"EinsumDense equation {equation!r} is not a matrix product keras2java can lower: "
            + "; ".join(filter(None, [
                shared and f"axes {''.join(shared)!r} are in the input, the kernel and the output (batched over the "
                           "kernel)",
                summed and f"input axes {''.join(summed)!r} are summed without the kernel",
                kernel_only and f"kernel axes {''.join(kernel_only)!r} are summed without the input"])))
    free_in = [c for c in inp[1:] if c in out]
    contracted = [c for c in inp[1:] if c in ker]
    free_k = [c for c in ker if c in out]
    if not contracted:
        raise ConversionProblem(f"EinsumDense equation {equation!r} contracts no axis (an outer product), "
                                "not supported")
    dims = dict(zip(inp[1:], shape))
    stored = ctx.layer.weights
    if not stored or len(stored[0].shape) != len(ker):
        raise ConversionProblem(f"EinsumDense expects a kernel of rank {len(ker)} for {equation!r}")
    dims.update({c: int(d) for c, d in zip(ker, stored[0].shape) if c in free_k})
    if any(dims[c] is None for c in contracted):
        raise ConversionProblem(f"EinsumDense contracted axes {''.join(contracted)!r} must have fixed sizes")
    bias_axes = ctx.layer.config.get("bias_axes")
    if bias_axes is not None and (not isinstance(bias_axes, str) or any(c not in out for c in bias_axes)):
        raise ConversionProblem(f"EinsumDense bias_axes {bias_axes!r} must name output axes of {equation!r}")
    if bias_axes and batch in bias_axes:
        raise ConversionProblem(f"EinsumDense bias_axes {bias_axes!r} include the batch axis")
    bias_spec = out[min(out.find(c) for c in bias_axes):] if bias_axes else ""
    specs = [("kernel", tuple(dims[c] for c in ker))]
    if bias_axes:
        specs.append(("bias", tuple(dims[c] if c in bias_axes else 1 for c in bias_spec)))
    w = ctx.weights(specs)
    act = ctx.activation("activation")
    if ctx.layer.config.get("lora_rank"):
        raise ConversionProblem("LoRA-enabled EinsumDense (lora_rank) is not supported; merge the LoRA weights first")

    canon = free_in + free_k                       # the Dense's output axes, in order
    out_shape = tuple(dims[c] for c in out[1:])
    fold = not bias_axes or all(c in free_k for c in bias_axes)
    kc, kf = prod(dims[c] for c in contracted), prod(dims[c] for c in free_k)
    kernel = np.transpose(w[0].array, [ker.index(c) for c in contracted + free_k]).reshape(kc, kf)
    needs_steps = list(inp[1:]) != free_in + contracted or len(contracted) != 1 or len(free_k) != 1 \
        or list(out[1:]) != canon
    if needs_steps and None in shape:
        raise ConversionProblem(f"EinsumDense {equation!r} on an input with a variable axis "
                                f"({format_shape(shape)}) is supported only as a plain Dense on the last axis")
    if not out_shape:
        raise ConversionProblem(f"EinsumDense {equation!r} produces one number per sample; not supported")

    if bias_axes and ctx.keras_major >= 3:
        _refuse_tf_bias_add(out_shape, specs[1][1])
    dense_bias = None
    full_bias = None
    if bias_axes:
        b = w[1].array.reshape((1,) * (len(out) - len(bias_spec)) + w[1].array.shape)[0]   # drop the batch axis
        if fold:
            order = [c for c in out[1:] if c in free_k]
            kb = np.broadcast_to(b, tuple(dims[c] if c in free_k else 1 for c in out[1:]))
            kb = kb.reshape([dims[c] for c in order])
            dense_bias = WeightTensor("bias", w[1].source,
                                      np.transpose(kb, [order.index(c) for c in free_k]).reshape(-1))
        elif None in out_shape:
            raise ConversionProblem(f"EinsumDense bias_axes {bias_axes!r} span a variable axis")
        else:
            full_bias = WeightTensor("bias (broadcast to the output)", w[1].source,
                                     np.array(np.broadcast_to(b, out_shape)))
    steps: list[Step] = []
    cur = 0

    def add(op, shp):
        nonlocal cur
        steps.append(Step(op, (cur,), (tuple(shp),)))
        cur = len(steps)         # value index: input 0, then each step's output

    if list(inp[1:]) != free_in + contracted:
        add(PermuteOp(tuple(inp[1:].index(c) for c in free_in + contracted)), [dims[c] for c in free_in + contracted])
    if len(contracted) != 1:
        add(ReshapeOp(), [dims[c] for c in free_in] + [kc])
    dense = DenseOp(units=kf, activation=act if fold else Activation("linear"),
                    kernel=WeightTensor("kernel", w[0].source, kernel), bias=dense_bias)
    add(dense, [dims[c] for c in free_in] + [kf])
    if len(free_k) != 1:
        add(ReshapeOp(), [dims[c] for c in canon])
    if list(out[1:]) != canon:
        add(PermuteOp(tuple(canon.index(c) for c in out[1:])), out_shape)
    if full_bias is not None:
        add(BroadcastOp("ADD", out_shape, b_const=full_bias), out_shape)
        if act.kind != "linear":
            add(ActivationOp(act), out_shape)
    return Composite(tuple(steps), (cur,))



def _refuse_tf_bias_add(out_shape, bias_shape) -> None:
    """Keras 3's TensorFlow ``ops.add(x, bias)`` (``backend/tensorflow/numpy.py`` add) becomes
    ``tf.nn.bias_add`` when the bias squeezes to one axis of size k and x's axis 1 or last axis
    has size k: it adds the bias along x's last axis when that has size k (NHWC), else along
    axis 1 (NCHW), whichever of the bias's axes holds k.  Where that is not the axis numpy
    broadcasting aligns it with, Keras computes something other than the layer (its other
    backends do not); keras2java does not copy that, as for MultiHeadAttention."""
    big = [i for i, d in enumerate(bias_shape) if d > 1]
    if len(big) != 1 or not out_shape:
        return
    k = bias_shape[big[0]]
    if k not in (out_shape[0], out_shape[-1]):
        return
    keras_axis = len(out_shape) - 1 if out_shape[-1] == k else 0
    layer_axis = len(out_shape) - len(bias_shape) + big[0]
    if keras_axis != layer_axis:
        raise ConversionProblem(
            f"EinsumDense: Keras 3's TensorFlow backend adds the {tuple(bias_shape)} bias along output axis "
            f"{keras_axis + 1} of {format_shape(out_shape)}, not along axis {layer_axis + 1} where it belongs: "
            f"keras.ops.add takes it for a {'channels-last' if keras_axis else 'channels-first'} bias_add because "
            f"that axis also has size {k} (backend/tensorflow/numpy.py add), so Keras computes something other "
            "than the layer (its other backends do not); keras2java does not copy that (choose bias_axes or sizes "
            "that avoid the coincidence)")
