"""The integer encoders, numbers in and numbers out: Discretization,
CategoryEncoding and IntegerLookup (Keras 3 ``keras/src/layers/preprocessing/``
and tf-keras, which agree here).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar, Optional

import numpy as np

from ..ir import Shape, WeightTensor, format_shape
from .base import ConfigDtype, ConversionProblem, Op, converter, register_op
from .context import Converted, LayerContext
from .preprocessing import _config_array, _preview
from .view import CallView, Const, New, Var, ViewContext, comment

f32 = np.float32


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
