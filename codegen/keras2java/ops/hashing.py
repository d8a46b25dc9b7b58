"""Hashing: of a string input, through the text op of :mod:`.text` (the runtime
``TextVectorizer``'s FarmHash / SipHash buckets, as TensorFlow computes them),
or of numbers (their decimal text hashed the same way).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, Optional

import numpy as np

from .base import ConfigDtype, ConversionProblem, Op, converter, register_op
from .context import Converted, LayerContext
from .text import TextOp, _bucket, _common_checks, _salt
from .view import CallView, Long, Var, ViewContext, comment


@register_op
@dataclass(frozen=True)
class HashNumbersOp(Op):
    """Keras' Hashing on numeric inputs: int64 cast, decimal text, FarmHash / SipHash bucket."""

    bins: int                     # hash buckets (num_bins, minus one with a mask value)
    mask_value: Optional[float]
    salt: Optional[tuple[int, int]]
    kind: ClassVar[str] = "hashing"
    runtime: ClassVar[tuple[str, ...]] = ("StringHash", "Check")

    def reference_problem(self) -> Optional[str]:
        try:
            import tensorflow  # noqa: F401, PLC0415 - FarmHash/SipHash of the numpy reference come from TF
        except ImportError:
            return "the numpy reference has no FarmHash/SipHash (install TensorFlow)"
        return None

    def evaluate(self, inputs):
        x = np.asarray(inputs[0], np.float32)
        out = np.zeros(x.shape, np.float32)
        for i, v in np.ndenumerate(x):
            if self.mask_value is not None and v == np.float32(self.mask_value):
                continue
            out[i] = _bucket(str(int(v)).encode(), self.bins, self.salt) + (self.mask_value is not None)
        return [out]

    def describe_weights(self) -> list[str]:
        return [f"{self.bins} bucket(s), mask_value={self.mask_value}, "
                f"hash={'SipHash salt ' + str(list(self.salt)) if self.salt else 'FarmHash Fingerprint64'} "
                "of the int64 value in decimal"]

    def view(self, node, ctx: ViewContext) -> CallView:
        x, y = ctx.ins[0], ctx.outs[0]
        salt = self.salt or (0, 0)
        return CallView(ctx.field, comment(node), ctx.out_bufs(), "hashNumbers",
                        (Var(x.var), 0, x.length(), Var(y.var), 0, Long(self.bins), self.salt is not None,
                         Long(salt[0]), Long(salt[1]), self.mask_value is not None,
                         float(self.mask_value or 0.0)), static="StringHash")


def _hash_numbers(ctx: LayerContext) -> Converted:
    cfg = ctx.layer.config
    shape = ctx.single_input()
    if None in shape:
        raise ConversionProblem("Hashing of numbers needs a fixed input shape")
    mode = cfg.get("output_mode", "int")
    if mode != "int":
        raise ConversionProblem(f"output_mode {mode!r} is not supported; only 'int'")
    bins = ctx.get_int("num_bins", minimum=1)
    mask = cfg.get("mask_value")
    if mask is not None and (isinstance(mask, bool) or not isinstance(mask, (int, float))):
        raise ConversionProblem(f"mask_value {mask!r} must be a number for numeric inputs")
    if mask is not None and bins < 2:
        mask = None   # Keras ignores the mask value with one bin
    op = HashNumbersOp(bins - 1 if mask is not None else bins, None if mask is None else float(mask),
                       _salt(cfg.get("salt")))
    return Converted(op, (shape,))


@converter("Hashing", config_dtype=ConfigDtype.INPUT)
def convert_hashing(ctx: LayerContext) -> Converted:
    _common_checks(ctx)
    if ctx.input_dtypes and ctx.input_dtypes[0] != "string":
        return _hash_numbers(ctx)
    cfg = ctx.layer.config
    shape = ctx.single_input()
    if shape != (1,):
        raise ConversionProblem("Hashing is supported on a string input of shape (1,) only")
    mode = cfg.get("output_mode", "int")
    if mode not in ("int", "one_hot", "multi_hot", "count"):
        raise ConversionProblem(f"output_mode {mode!r} is not supported")
    bins = ctx.get_int("num_bins", minimum=1)
    mask = cfg.get("mask_value")
    if mask is not None and not isinstance(mask, str):
        raise ConversionProblem("mask_value must be a string for string inputs")
    if mask is not None and bins < 2:
        raise ConversionProblem("num_bins must be at least 2 with a mask_value")
    salt = _salt(cfg.get("salt"))
    length = 1 if mode == "int" else bins
    op = TextOp("Hashing", False, False, None, None, (), 0, bins - 1 if mask is not None else bins,
                1 if mask is not None else 0, mask, salt, "hash" if mode == "int" else f"hash_{mode}", length, None)
    return Converted(op, ((length,),))
