"""Preprocessing layers that are elementwise with broadcast parameters:
Normalization, Rescaling, and Identity.  Their op, :class:`PointwiseOp`, also
serves PReLU (:mod:`.activation_layers`); the integer encoders are in
:mod:`.categorical`.

Semantics follow Keras 3 (``keras/src/layers/preprocessing/``) and tf-keras,
which agree here:

- Normalization: ``(x - mean) / max(sqrt(variance), 1e-7)``; with
  ``invert=True``: ``mean + x * max(sqrt(variance), 1e-7)``, in float32.  Mean
  and variance come from the stored weights (``mean``, ``variance``; the int64
  ``count`` is state, not a parameter) or from the config, broadcast against
  the kept axes' shape.
- Rescaling: ``x * scale + offset``, numpy broadcasting.
"""
from __future__ import annotations

from dataclasses import dataclass
from math import prod
from typing import Any, ClassVar, Mapping, Optional

import numpy as np

from ..ir import Shape, WeightTensor, format_shape
from .base import ConversionProblem, MaskRule, Op, converter, fixed_from, register_op
from .context import Converted, LayerContext
from .core import IdentityOp
from .view import CallView, Const, Ints, New, Var, ViewContext, comment

f32 = np.float32

#: Keras' ``backend.epsilon()`` as float32 (``tf.maximum(t, 1e-7)`` converts it so).
EPSILON = f32(1e-7)

MODES = {"normalize": "NORMALIZE", "denormalize": "DENORMALIZE", "affine": "AFFINE", "prelu": "PRELU"}


def _preview(arr: np.ndarray, limit: int = 8) -> str:
    flat = np.asarray(arr, np.float64).ravel()
    text = ", ".join(f"{v:.6g}" for v in flat[:limit])
    return "[" + text + (", ..." if flat.size > limit else "") + "]"


@register_op
@dataclass(frozen=True)
class PointwiseOp(Op):
    """``y = f(x, a, b)`` elementwise, the parameters ``a``/``b`` broadcast over the input.

    ``dims`` is the input shape without the leading axes along which no
    parameter varies (the parameters repeat every ``prod(dims)`` values);
    ``a_strides``/``b_strides`` give each axis of ``dims`` its stride in the
    stored parameter (0 where broadcast).
    """

    mode: str                       # a key of MODES
    a: WeightTensor
    b: Optional[WeightTensor]
    dims: tuple[int, ...]
    a_strides: tuple[int, ...]
    b_strides: tuple[int, ...]
    #: for ``inspect``: how the parameters map to the input's axes
    note: str = ""
    kind: ClassVar[str] = "elementwise"
    runtime: ClassVar[tuple[str, ...]] = ("Pointwise", "Check")

    def variable_axes_problem(self, shapes):   # the parameters repeat along the leading axes
        return fixed_from(shapes, -len(self.dims) if self.dims else len(shapes[0]),
                          "the axes the parameters vary along")

    def stream_outputs(self, rank):
        return (0,) if rank >= 2 and len(self.dims) < rank else None

    def _expand(self, w: WeightTensor, strides: tuple[int, ...]) -> np.ndarray:
        flat = np.asarray(w.array, f32).ravel()
        if not self.dims:
            return flat[:1].reshape(())
        idx = np.indices(self.dims).reshape(len(self.dims), -1).T @ np.asarray(strides, np.int64)
        return flat[idx].reshape(self.dims)

    def evaluate(self, inputs):
        x = np.asarray(inputs[0], f32)
        a = self._expand(self.a, self.a_strides)
        b = self._expand(self.b, self.b_strides) if self.b is not None else None
        with np.errstate(all="ignore"):
            if self.mode == "normalize":
                y = (x - a) / np.maximum(np.sqrt(b), EPSILON)
            elif self.mode == "denormalize":
                y = a + x * np.maximum(np.sqrt(b), EPSILON)
            elif self.mode == "affine":
                y = x * a + b
            else:
                y = np.where(x > 0, x, a * x)
        return [np.asarray(y, f32)]

    def view(self, node, ctx: ViewContext) -> CallView:
        x, y = ctx.ins[0], ctx.outs[0]
        init = New("Pointwise", (Var("data"), Const("Pointwise", MODES[self.mode]), ctx.offset(self.a),
                                 ctx.offset(self.b), Ints(self.dims), Ints(self.a_strides), Ints(self.b_strides)))
        return CallView(ctx.field, comment(node), ctx.out_bufs(), "forward", (Var(x.var), x.length(), Var(y.var)),
                        cls="Pointwise", init=init)

    def describe_weights(self) -> list[str]:
        lines = []
        for w in (self.a, self.b):
            if w is not None:
                lines.append(f"{w.source} {format_shape(w.shape)} -> {w.role} {_preview(w.array)}")
        if self.note:
            lines.append(self.note)
        return lines


# -- broadcasting --------------------------------------------------------------------------


def _layout(shape: Shape, pshapes: list[tuple[int, ...]]) -> tuple[tuple[int, ...], list[tuple[int, ...]]]:
    """``dims`` and per-parameter strides for parameters of shapes ``pshapes``
    (each as long as ``shape``, every axis 1 or the input's size)."""
    rank = len(shape)
    first = min((next((d for d in range(rank) if p[d] != 1), rank) for p in pshapes), default=rank)
    dims = tuple(int(d) for d in shape[first:])   # type: ignore[arg-type]
    strides = []
    for p in pshapes:
        st = []
        for d in range(first, rank):
            st.append(0 if p[d] == 1 else prod(p[d + 1:]))
        strides.append(tuple(st))
    return dims, strides


def _align(ctx_what: str, value: np.ndarray, shape: Shape) -> np.ndarray:
    """A parameter broadcast against inputs ``(batch,) + shape`` (numpy rules),
    as an array of ``len(shape)`` axes; it must not enlarge the input."""
    rank = len(shape) + 1
    if value.ndim > rank:
        raise ConversionProblem(f"{ctx_what} has shape {format_shape(value.shape)}, more axes than the input")
    full = value.reshape((1,) * (rank - value.ndim) + value.shape)
    if full.shape[0] != 1:
        raise ConversionProblem(f"{ctx_what} has shape {format_shape(value.shape)}: it varies along the batch axis")
    out = full.reshape(full.shape[1:])
    for d, (p, s) in enumerate(zip(out.shape, shape)):
        if p != 1 and p != s:
            where = "the variable timestep axis" if s is None else f"axis {d + 1} of size {s}"
            raise ConversionProblem(f"{ctx_what} has shape {format_shape(value.shape)}, "
                                    f"which does not broadcast against {where}")
    return out


def _config_array(ctx: LayerContext, key: str, default: Any = None) -> Optional[np.ndarray]:
    """A number, (nested) list or serialized numpy array from the config, as float64."""
    v = ctx.layer.config.get(key, default)
    if v is None:
        return None
    if isinstance(v, Mapping):
        if v.get("class_name") in ("__numpy__", "__tensor__") and isinstance(v.get("config"), Mapping):
            v = v["config"].get("value")
        else:
            raise ConversionProblem(f"config {key!r} is {dict(v)!r}, expected numbers")

    def plain(x: Any) -> Any:
        if isinstance(x, (list, tuple)):
            return [plain(e) for e in x]
        if isinstance(x, bool) or not isinstance(x, (int, float)):
            raise ConversionProblem(f"config {key!r} holds {x!r}, expected numbers")
        return float(x)

    try:
        arr = np.asarray(plain(v), np.float64)
    except ValueError:
        raise ConversionProblem(f"config {key!r} is a ragged list") from None
    if arr.dtype == object:
        raise ConversionProblem(f"config {key!r} is a ragged list")
    return arr


def _axis_list(value: Any, what: str) -> tuple[int, ...]:
    if value is None:
        return ()
    items = list(value) if isinstance(value, (list, tuple)) else [value]
    for a in items:
        if isinstance(a, bool) or not isinstance(a, int):
            raise ConversionProblem(f"{what} {value!r} is not an integer or a list of integers")
    return tuple(items)


# -- Normalization -------------------------------------------------------------------------


@converter("Normalization", mask=MaskRule.PASS, keras2_mask=MaskRule.DROP)
def convert_normalization(ctx: LayerContext) -> Converted:
    shape = ctx.single_input()
    ndim = len(shape) + 1
    axes = _axis_list(ctx.layer.config.get("axis", -1), "axis")
    keep = sorted({a + ndim if a < 0 else a for a in axes})
    if any(not 0 <= a < ndim for a in keep):
        raise ConversionProblem(f"axis {list(axes)} is out of range for inputs of rank {ndim}")
    if 0 in keep:
        raise ConversionProblem("normalizing per batch position (axis 0) is not supported")
    for a in keep:
        if shape[a - 1] is None:
            raise ConversionProblem("the kept axes must have a known size; the timestep axis is variable")
    mv_shape = tuple(int(shape[a - 1]) for a in keep)  # type: ignore[arg-type]
    bshape = tuple(int(shape[d]) if d + 1 in keep else 1 for d in range(len(shape)))  # type: ignore[arg-type]
    invert = ctx.get_bool("invert", False)
    cfg_mean, cfg_var = _config_array(ctx, "mean"), _config_array(ctx, "variance")
    if (cfg_mean is None) != (cfg_var is None):
        raise ConversionProblem("config sets only one of mean and variance")
    if cfg_mean is None:
        mean, var = ctx.weights([("mean", mv_shape), ("variance", mv_shape)])
        mean = WeightTensor("mean", mean.source, mean.array.reshape(bshape))
        var = WeightTensor("variance", var.source, var.array.reshape(bshape))
    else:
        ctx.weights([])
        arrays = []
        for key, arr in (("mean", cfg_mean), ("variance", cfg_var)):
            try:
                full = np.broadcast_to(arr, mv_shape) if arr.ndim else np.full(mv_shape, arr)
            except ValueError:
                raise ConversionProblem(f"config {key!r} of shape {format_shape(arr.shape)} does not broadcast "
                                        f"against the kept axes {format_shape(mv_shape)}") from None
            arrays.append(WeightTensor(key, f"config {key!r}", np.asarray(full, f32).reshape(bshape)))
        mean, var = arrays
    dims, (sa, sb) = _layout(shape, [bshape, bshape])
    kept = [a for a in keep] or "none (one mean and variance)"
    note = (f"{'inverse ' if invert else ''}normalization per position of axes {kept}: "
            + ("mean + x * max(sqrt(variance), 1e-7)" if invert else "(x - mean) / max(sqrt(variance), 1e-7)"))
    skipped = [f"{w.name} {format_shape(w.shape)} ({w.array.dtype})" for w in ctx.layer.weights if not w.is_float]
    if skipped:
        note += "; not a parameter (adapt state): " + ", ".join(skipped)
    op = PointwiseOp("denormalize" if invert else "normalize", mean, var, dims, sa, sb, note)
    return Converted(op, (shape,))


# -- Rescaling -----------------------------------------------------------------------------


@converter("Rescaling", mask=MaskRule.PASS, keras2_mask=MaskRule.DROP)
def convert_rescaling(ctx: LayerContext) -> Converted:
    shape = ctx.single_input()
    scale = _config_array(ctx, "scale")
    if scale is None:
        raise ConversionProblem("config has no 'scale'")
    offset = _config_array(ctx, "offset", 0.0)
    ctx.weights([])
    s = _align("scale", scale, shape)
    o = _align("offset", offset, shape)
    dims, (ss, so) = _layout(shape, [s.shape, o.shape])
    a = WeightTensor("scale", "config 'scale'", np.asarray(s, f32))
    b = WeightTensor("offset", "config 'offset'", np.asarray(o, f32))
    return Converted(PointwiseOp("affine", a, b, dims, ss, so, "x * scale + offset"), (shape,))


# -- Identity -----------------------------------------------------------------------------


@converter("Identity", mask=MaskRule.PASS, keras2_mask=MaskRule.DROP, keras3_same_tensor=True)
def convert_identity(ctx: LayerContext) -> Converted:
    shape = ctx.single_input()
    ctx.weights([])
    return Converted(IdentityOp(), (shape,))

