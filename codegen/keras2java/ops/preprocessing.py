"""Preprocessing and parametric activation layers that are numbers in, numbers
out: Normalization, Rescaling, PReLU (elementwise with broadcast parameters),
Identity, and the integer encoders Discretization, CategoryEncoding and
IntegerLookup.

Semantics follow Keras 3 (``keras/src/layers/preprocessing/``,
``keras/src/layers/activations/prelu.py``) and tf-keras, which agree here:

- Normalization: ``(x - mean) / max(sqrt(variance), 1e-7)``; with
  ``invert=True``: ``mean + x * max(sqrt(variance), 1e-7)``, in float32.  Mean
  and variance come from the stored weights (``mean``, ``variance``; the int64
  ``count`` is state, not a parameter) or from the config, broadcast against
  the kept axes' shape.
- Rescaling: ``x * scale + offset``, numpy broadcasting.
- PReLU: ``relu(x) - alpha * relu(-x)``, i.e. ``x`` where ``x > 0`` else ``alpha * x``.
"""
from __future__ import annotations

from dataclasses import dataclass
from math import prod
from typing import Any, ClassVar, Mapping, Optional

import numpy as np

from ..ir import Shape, WeightTensor, format_shape
from .base import ConfigDtype, ConversionProblem, MaskRule, Op, converter, register_op
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


# -- PReLU and Identity --------------------------------------------------------------------


@converter("PReLU", mask=MaskRule.PASS)
def convert_prelu(ctx: LayerContext) -> Converted:
    shape = ctx.single_input()
    shared = _axis_list(ctx.layer.config.get("shared_axes"), "shared_axes")
    pshape: list[Optional[int]] = list(shape)
    for i in shared:   # Keras: param_shape[i - 1] = 1 (Python indexing)
        try:
            pshape[i - 1] = 1
        except IndexError:
            raise ConversionProblem(f"shared_axes {list(shared)} is out of range for inputs of rank {len(shape) + 1}")\
                from None
    if any(d is None for d in pshape):
        raise ConversionProblem("alpha cannot vary along the variable timestep axis; share it (shared_axes=[1])")
    (alpha,) = ctx.weights([("alpha", tuple(pshape))])   # type: ignore[arg-type]
    dims, (sa, _) = _layout(shape, [tuple(pshape), tuple(pshape)])   # type: ignore[arg-type]
    note = f"alpha {format_shape(alpha.shape)}" + (f", shared along axes {list(shared)}" if shared else "")
    return Converted(PointwiseOp("prelu", alpha, None, dims, sa, tuple(0 for _ in dims), note), (shape,))


@converter("Identity", mask=MaskRule.PASS, keras2_mask=MaskRule.DROP)
def convert_identity(ctx: LayerContext) -> Converted:
    shape = ctx.single_input()
    ctx.weights([])
    return Converted(IdentityOp(), (shape,))


# -- integer encoders: Discretization, CategoryEncoding, IntegerLookup ------------------------

LOOKUPS = {"digitize": "DIGITIZE", "cast": "CAST", "lookup": "LOOKUP", "invert": "INVERT"}
OUTPUTS = {"int": "INT", "one_hot": "ONE_HOT", "multi_hot": "MULTI_HOT", "count": "COUNT"}
#: Java floats hold integers exactly up to 2**24 (model inputs are float arrays)
MAX_EXACT_INT = 1 << 24


@register_op
@dataclass(frozen=True)
class CategoricalOp(Op):
    """Each input value becomes an index (``lookup``: ``digitize`` = number of
    boundaries <= x; ``cast`` = x truncated; ``lookup`` = vocabulary position,
    mask and OOV indices as IntegerLookup assigns them), written as numbers
    (``int``), one-hot rows, or multi-hot / count rows over groups of ``group``
    values.  Indices outside ``[0, depth)`` add nothing to encoded rows."""

    lookup: str
    output: str
    depth: int
    group: int = 1
    table: Optional[WeightTensor] = None     # boundaries or vocabulary
    has_mask: bool = False
    mask_token: int = 0
    mask_index: int = 0
    oov_start: int = 0
    num_oov: int = 1
    token_start: int = 0
    oov_token: int = -1
    note: str = ""
    kind: ClassVar[str] = "categorical"
    runtime: ClassVar[tuple[str, ...]] = ("Categorical", "Check")

    def stream_outputs(self, rank):
        return (0,) if rank >= 2 and self.output in ("int", "one_hot") else None

    def token_range(self) -> Optional[int]:
        """CategoryEncoding reads token ids in [0, num_tokens) (an ``int[]`` overload, golden inputs)."""
        return self.depth if self.lookup == "cast" else None

    def reference_problem(self) -> Optional[str]:
        if self.lookup == "lookup" and self.num_oov == 0:
            return ("IntegerLookup(num_oov_indices=0) fails on values outside its vocabulary, "
                    "which random reference inputs contain")
        return None

    def index(self, x: np.ndarray) -> np.ndarray:
        x = np.asarray(x, f32)
        if self.lookup == "digitize":
            return np.searchsorted(self.table.array, x, side="right").astype(np.int64)
        with np.errstate(invalid="ignore"):
            t = np.trunc(x).astype(np.int64)
        if self.lookup == "cast":
            return t
        keys = self.table.array.astype(np.int64)
        if self.lookup == "invert":
            pos = t - self.token_start
            ok = (pos >= 0) & (pos < keys.size)
            out = np.where(ok, keys[np.clip(pos, 0, keys.size - 1)], self.oov_token)
            return np.where(t == 0, self.mask_token, out) if self.has_mask else out
        out = np.empty(t.shape, np.int64)
        for pos, v in np.ndenumerate(t):
            v = int(v)
            if self.has_mask and v == self.mask_token:
                out[pos] = self.mask_index
                continue
            hit = np.nonzero(keys == v)[0]
            if hit.size:
                out[pos] = self.token_start + int(hit[0])
            elif self.num_oov == 0:
                raise ValueError(f"IntegerLookup: value {v} is not in the vocabulary and num_oov_indices=0")
            else:
                out[pos] = self.oov_start + (0 if self.num_oov == 1 else v % self.num_oov)
        return out

    def evaluate(self, inputs):
        idx = self.index(inputs[0])
        if self.output == "int":
            return [np.asarray(idx, f32)]
        ok = (idx >= 0) & (idx < self.depth)
        if self.output == "one_hot":
            y = np.zeros(idx.shape + (self.depth,), f32)
            for pos in zip(*np.nonzero(ok)):
                y[pos + (int(idx[pos]),)] = 1
            return [y]
        flat = idx.reshape(-1, self.group)
        okf = ok.reshape(-1, self.group)
        y = np.zeros((flat.shape[0], self.depth), f32)
        for r in range(flat.shape[0]):
            for j in range(self.group):
                if okf[r, j]:
                    k = int(flat[r, j])
                    y[r, k] = y[r, k] + 1 if self.output == "count" else 1
        return [y.reshape(idx.shape[:-1] + (self.depth,)) if idx.ndim else y[0]]

    def view(self, node, ctx: ViewContext) -> CallView:
        x, y = ctx.ins[0], ctx.outs[0]
        n = 0 if self.table is None else self.table.size
        init = New("Categorical", (Var("data"), Const("Categorical", LOOKUPS[self.lookup]), ctx.offset(self.table), n,
                                   Const("Categorical", OUTPUTS[self.output]), self.depth, self.group,
                                   self.has_mask, self.mask_token, self.mask_index, self.oov_start, self.num_oov,
                                   self.token_start, self.oov_token))
        return CallView(ctx.field, comment(node), ctx.out_bufs(), "forward", (Var(x.var), x.length(), Var(y.var)),
                        cls="Categorical", init=init)

    def describe_weights(self) -> list[str]:
        lines = []
        if self.table is not None:
            lines.append(f"{self.table.source} {format_shape(self.table.shape)} -> {self.table.role} "
                         f"{_preview(self.table.array)}")
        lines.append(self.note or f"{self.lookup} -> {self.output} (depth {self.depth})")
        return lines


def _encoded_shape(shape: Shape, mode: str, depth: int) -> tuple[Shape, int]:
    """Keras' output shape for ``encode_categorical_inputs`` and the group size."""
    if mode == "int":
        return shape, 1
    if mode == "one_hot":
        if shape and shape[-1] == 1:
            return shape[:-1] + (depth,), 1
        return shape + (depth,), 1
    if len(shape) != 1 or shape[0] is None:
        raise ConversionProblem(f"output_mode={mode!r} is supported on inputs of shape (n,) (without batch), "
                                f"not {format_shape(shape)}; Keras reduces other ranks over axis 1")
    return (depth,), int(shape[0])   # type: ignore[arg-type]


def _mode(ctx: LayerContext, default: str, allowed: tuple[str, ...]) -> str:
    mode = ctx.get_str("output_mode", default)
    if mode == "binary":
        mode = "multi_hot"
    if mode not in allowed:
        raise ConversionProblem(f"output_mode={mode!r} is not supported; only {', '.join(allowed)}")
    if ctx.layer.config.get("sparse"):
        raise ConversionProblem("sparse=True outputs are not supported")
    return mode


@converter("Discretization", config_dtype=ConfigDtype.INTEGER)
def convert_discretization(ctx: LayerContext) -> Converted:
    shape = ctx.single_input()
    mode = _mode(ctx, "int", ("int", "one_hot", "multi_hot", "count"))
    bounds = _config_array(ctx, "bin_boundaries")
    if bounds is None:
        raise ConversionProblem("bin_boundaries is not set (the layer was never adapted)")
    if bounds.ndim != 1:
        raise ConversionProblem("bin_boundaries is not a flat list of numbers")
    b32 = bounds.astype(f32)   # tf.raw_ops.Bucketize holds float32 boundaries
    if np.any(np.isnan(b32)) or np.any(np.diff(b32) < 0):
        raise ConversionProblem("bin_boundaries are not sorted in increasing order")
    ctx.weights([])
    depth = len(b32) + 1
    out, group = _encoded_shape(shape, mode, depth)
    table = WeightTensor("bin boundaries", "config 'bin_boundaries'", b32) if len(b32) else None
    note = f"bucket index = number of boundaries <= x, {depth} buckets, output {mode}"
    return Converted(CategoricalOp("digitize", mode, depth, group, table, note=note), (out,))


@converter("CategoryEncoding", config_dtype=ConfigDtype.INTEGER)
def convert_category_encoding(ctx: LayerContext) -> Converted:
    shape = ctx.single_input()
    mode = _mode(ctx, "multi_hot", ("one_hot", "multi_hot", "count"))
    depth = ctx.get_int("num_tokens", minimum=1)
    ctx.weights([])
    if mode == "one_hot" and shape == (1,):
        out, group = (depth,), 1
    else:
        out, group = _encoded_shape(shape, mode, depth)
    note = f"index = int(x), {depth} tokens, output {mode}; indices outside [0, {depth}) add nothing"
    return Converted(CategoricalOp("cast", mode, depth, group, note=note), (out,))


def _int_token(ctx: LayerContext, key: str, default: Any) -> Optional[int]:
    v = ctx.layer.config.get(key, default)
    if v is None:
        return None
    if isinstance(v, float) and v.is_integer():
        v = int(v)
    if isinstance(v, bool) or not isinstance(v, int) or abs(v) >= MAX_EXACT_INT:
        raise ConversionProblem(f"config {key!r} is {v!r}, expected an integer below 2**24 in magnitude")
    return v


@converter("IntegerLookup", config_dtype=ConfigDtype.INTEGER)
def convert_integer_lookup(ctx: LayerContext) -> Converted:
    shape = ctx.single_input()
    mode = _mode(ctx, "int", ("int", "one_hot", "multi_hot", "count"))
    invert = ctx.get_bool("invert", False)
    if invert and mode != "int":
        raise ConversionProblem(f"invert=True with output_mode={mode!r}: Keras allows only 'int'")
    if ctx.layer.config.get("oov_method", "floormod") not in (None, "floormod"):
        raise ConversionProblem(f"oov_method={ctx.layer.config.get('oov_method')!r} is not supported; only 'floormod'")
    vocab = ctx.layer.config.get("vocabulary")
    source = "config 'vocabulary'"
    if vocab is None:   # adapted: Keras 3 saves it as an asset (read as an int64 tensor)
        assets = [w for w in ctx.layer.weights if not w.is_float and w.name.endswith("vocabulary.txt")]
        if not assets:
            raise ConversionProblem("the vocabulary is neither in the config nor saved as a vocabulary asset "
                                    "(adapted lookup layers in .h5 files lose it): pass vocabulary=[...]")
        vocab, source = [int(v) for v in assets[0].array], assets[0].name
    if isinstance(vocab, str):
        raise ConversionProblem("a vocabulary file path is not supported; pass the vocabulary as a list")
    if not isinstance(vocab, (list, tuple)) or not all(
            isinstance(v, int) and not isinstance(v, bool) and abs(v) < MAX_EXACT_INT for v in vocab):
        raise ConversionProblem("the vocabulary must be a list of integers below 2**24 in magnitude")
    num_oov = ctx.get_int("num_oov_indices", 1, minimum=0)
    mask = _int_token(ctx, "mask_token", None)
    oov_token = _int_token(ctx, "oov_token", -1)
    oov_start = 1 if mask is not None and mode == "int" else 0
    token_start = oov_start + num_oov
    special = [mask] * oov_start + [oov_token] * num_oov
    tokens = list(vocab)
    if tokens[:token_start] == special:
        tokens = tokens[token_start:]
    if not tokens:
        raise ConversionProblem("the vocabulary is empty")
    if len(set(tokens)) != len(tokens):
        raise ConversionProblem("the vocabulary has repeated entries")
    if mask is not None and mask in tokens:
        raise ConversionProblem("the mask token is inside the vocabulary")
    if invert and oov_token is not None and oov_token in tokens:
        raise ConversionProblem("the OOV token is inside the vocabulary")
    ctx.weights([])
    if invert:
        table = WeightTensor("vocabulary", source, np.asarray(tokens, f32))
        note = (f"index -> vocabulary entry: indices {token_start}..{token_start + len(tokens) - 1}; "
                + (f"index 0 -> mask {mask}; " if mask is not None else "") + f"others -> OOV token {oov_token}")
        op = CategoricalOp("invert", "int", 0, 1, table, mask is not None, mask or 0, 0, oov_start, num_oov,
                           token_start, -1 if oov_token is None else oov_token, note)
        return Converted(op, (shape,))
    size = token_start + len(tokens)
    max_tokens = ctx.layer.config.get("max_tokens")
    depth = max_tokens if ctx.layer.config.get("pad_to_max_tokens") and isinstance(max_tokens, int) else size
    out, group = _encoded_shape(shape, mode, depth)
    # non-int modes drop the mask (Keras maps it to int64 max, outside every row)
    mask_index = 0 if mode == "int" else -1
    table = WeightTensor("vocabulary", source, np.asarray(tokens, f32))
    note = (f"vocabulary of {len(tokens)} from index {token_start}; mask {mask!r} -> "
            f"{mask_index if mask is not None else 'none'}; {num_oov} OOV index(es) from {oov_start}; output {mode}")
    op = CategoricalOp("lookup", mode, depth, group, table, mask is not None, mask or 0, mask_index, oov_start,
                       num_oov, token_start, note=note)
    return Converted(op, (out,))
