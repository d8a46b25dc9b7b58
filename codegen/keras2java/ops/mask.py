"""Embedding, Masking and the per-timestep masks they create.

A Keras mask is one value per timestep, created by ``Masking`` and by
``Embedding(mask_zero=True)``; the builder adds a :class:`ComputeMaskOp` node
for it and passes it to the layers that consume it (see :class:`MaskRule`).
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from typing import ClassVar

import numpy as np

from ..ir import WeightTensor, format_shape
from ..reader.raw import RawLayer, freeze
from .base import ConfigDtype, ConversionProblem, MaskRule, Op, converter, legacy_upgrade, register_op
from .context import Converted, LayerContext
from .shape_rules import require_rank
from .legacy import UpgradeContext, describe_keras1, keras1_input_shape
from .view import CallView, New, Var, ViewContext, batched_call, comment

#: Largest vocabulary whose token ids are exact as float32 (2^24).
MAX_VOCABULARY = 1 << 24


@register_op
@dataclass(frozen=True)
class EmbeddingOp(Op):
    """Keras Embedding: token ids (floats, truncated like Keras' cast) select rows."""

    input_dim: int
    output_dim: int
    embeddings: WeightTensor        # (input_dim, output_dim)
    mask_zero: bool
    kind: ClassVar[str] = "embedding"
    runtime: ClassVar[tuple[str, ...]] = ("Embedding", "Check")
    time_distributable: ClassVar[bool] = True

    def stream_outputs(self, rank):
        return (0,)

    def token_range(self):
        return self.input_dim

    def mask_op(self):
        return ComputeMaskOp("nonzero") if self.mask_zero else None

    def evaluate(self, inputs):
        ids = np.asarray(inputs[0], np.float64).astype(np.int64)
        if (ids < 0).any() or (ids >= self.input_dim).any():
            raise ValueError(f"token id outside [0, {self.input_dim})")
        return [np.asarray(self.embeddings.array[ids], np.float32)]

    def view(self, node, ctx: ViewContext) -> CallView:
        x, y = ctx.ins[0], ctx.outs[0]
        return CallView(ctx.field, comment(node), ctx.out_bufs(), "forward",
                        (Var(x.var), 0, x.length(), Var(y.var), 0), cls="Embedding",
                        init=New("Embedding", (Var("data"), ctx.offset(self.embeddings), self.input_dim,
                                               self.output_dim)))

    def batch_view(self, node, ctx: ViewContext):
        return batched_call(self.view(node, ctx), rows_arg=2)   # per-token / per-timestep rows


@register_op
@dataclass(frozen=True)
class ComputeMaskOp(Op):
    """A per-timestep mask (shape ``(T,)``, 1 = keep) computed from a tensor.

    ``mode`` is ``"not_equal"`` (Keras Masking: any feature != ``value``) or
    ``"nonzero"`` (Embedding mask_zero: token id != 0).
    """

    mode: str
    value: float = 0.0
    kind: ClassVar[str] = "compute_mask"
    runtime: ClassVar[tuple[str, ...]] = ("Masks", "Check")

    def stream_outputs(self, rank):
        return (0,)

    def takes_token_ids(self) -> bool:
        return self.mode == "nonzero"

    def evaluate(self, inputs):
        x = np.asarray(inputs[0], np.float32)
        if self.mode == "nonzero":
            return [np.asarray(x != 0, np.float32)]
        return [np.asarray((x != np.float32(self.value)).any(axis=-1), np.float32)]

    def view(self, node, ctx: ViewContext) -> CallView:
        x, y = ctx.ins[0], ctx.outs[0]
        if self.mode == "not_equal":
            args = (Var(x.var), 0, x.step_count(), x.shape[-1], float(self.value), Var(y.var), 0)
            return CallView(ctx.field, comment(node), ctx.out_bufs(), "notEqual", args, static="Masks")
        return CallView(ctx.field, comment(node), ctx.out_bufs(), "nonZero",
                        (Var(x.var), 0, x.step_count(), Var(y.var), 0), static="Masks")

    def batch_view(self, node, ctx: ViewContext):
        return batched_call(self.view(node, ctx), rows_arg=2)   # per-token / per-timestep rows


@register_op
@dataclass(frozen=True)
class MaskingOp(Op):
    """Keras Masking's output: inputs (x, mask) -> x * mask per timestep."""

    mask_value: float
    kind: ClassVar[str] = "masking"
    uses_own_mask: ClassVar[bool] = True
    runtime: ClassVar[tuple[str, ...]] = ("Masks", "Check")

    def stream_outputs(self, rank):
        return (0,) if rank >= 2 else None

    def mask_op(self):
        return ComputeMaskOp("not_equal", self.mask_value)

    def evaluate(self, inputs):
        x, mask = inputs
        return [np.asarray(x * np.asarray(mask, np.float32)[:, None], np.float32)]

    def view(self, node, ctx: ViewContext) -> CallView:
        x, y = ctx.ins[0], ctx.outs[0]
        return CallView(ctx.field, comment(node), ctx.out_bufs(), "apply",
                        (Var(x.var), 0, x.step_count(), x.shape[-1], Var(ctx.ins[1].var), 0, Var(y.var), 0),
                        static="Masks")

    def batch_view(self, node, ctx: ViewContext):
        return batched_call(self.view(node, ctx), rows_arg=2)   # per-token / per-timestep rows


@converter("Embedding", config_dtype=ConfigDtype.INTEGER)
def convert_embedding(ctx: LayerContext) -> Converted:
    shape = ctx.single_input()
    vocab = ctx.get_int("input_dim", minimum=1)
    dim = ctx.get_int("output_dim", minimum=1)
    mask_zero = ctx.get_bool("mask_zero", False)
    problems = []
    if ctx.layer.config.get("lora_rank"):
        problems.append("LoRA-enabled Embedding (lora_rank) is not supported; merge the LoRA weights first")
    if vocab > MAX_VOCABULARY:
        problems.append(f"input_dim {vocab} is over {MAX_VOCABULARY}: token ids would not be exact as float32")
    if mask_zero and len(shape) != 1:
        problems.append(f"mask_zero=True needs token ids of shape (timesteps,), got {format_shape(shape)}")
    if problems:
        raise ConversionProblem(*problems)
    w = ctx.weights([("embeddings", (vocab, dim))])
    return Converted(EmbeddingOp(vocab, dim, w[0], mask_zero), (tuple(shape) + (dim,),))


@converter("Masking", mask=MaskRule.PASS)
def convert_masking(ctx: LayerContext) -> Converted:
    shape = ctx.single_input()
    require_rank(shape, 2, "input (timesteps, features)")
    value = ctx.get_float("mask_value", 0.0)
    ctx.weights([])
    return Converted(MaskingOp(value), (shape,))


@legacy_upgrade("Embedding")
def upgrade_embedding(layer: RawLayer, ctx: UpgradeContext) -> RawLayer:
    """Keras 0.x/1.x: ``input_length`` as the input shape; the table stored as ``W``."""
    cfg = dict(layer.config)
    if ctx.major <= 1:
        keras1_input_shape(cfg, embedding=True)
        describe_keras1(ctx, layer, layer.weights, ("W",), ("embeddings",))
    return replace(layer, config=freeze(cfg))
