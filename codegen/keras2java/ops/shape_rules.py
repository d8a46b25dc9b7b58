"""Shape rules that converters share: rank and last-axis checks, Keras axes as
indices into the shape without batch, the output length of a 1-D window (TensorFlow's
rule), and the sequence options (1-D sizes, pad/crop pairs, ``data_format``) they
come from."""
from __future__ import annotations

from typing import Any, Optional

from ..ir import Shape, format_shape
from .base import ConversionProblem
from .context import LayerContext


def last_dim(shape: Shape, what: str = "input") -> int:
    if not shape:
        raise ConversionProblem(f"{what} is a scalar; expected at least one axis")
    d = shape[-1]
    if d is None:
        raise ConversionProblem(f"{what} shape {format_shape(shape)} has an unknown last axis")
    return d


def require_rank(shape: Shape, rank: int, what: str = "input") -> None:
    if len(shape) != rank:
        raise ConversionProblem(f"{what} has shape {format_shape(shape)}, expected rank {rank} (without batch)")


# -- helpers for layers on sequences -------------------------------------------------------


def int1(ctx: LayerContext, key: str, default: Any) -> int:
    """A 1-D size option that Keras stores as an int or a one-element list."""
    v = ctx.layer.config.get(key, default)
    if isinstance(v, (list, tuple)):
        if len(v) != 1:
            raise ConversionProblem(f"config {key!r} is {v!r}, expected one integer")
        v = v[0]
    if isinstance(v, float) and v.is_integer():
        v = int(v)
    if not isinstance(v, int) or isinstance(v, bool) or v < 1:
        raise ConversionProblem(f"config {key!r} is {v!r}, expected a positive integer")
    return v


def int_pair(ctx: LayerContext, key: str, default: Any, minimum: int) -> tuple[int, int]:
    """An option given as one int (both values) or two ints, each at least ``minimum``."""
    v = ctx.layer.config.get(key, default)
    if v is None:
        v = default
    if isinstance(v, int) and not isinstance(v, bool):
        v = (v, v)
    if (not isinstance(v, (list, tuple)) or len(v) != 2
            or not all(isinstance(x, int) and not isinstance(x, bool) and x >= minimum for x in v)):
        what = "a positive integer" if minimum == 1 else f"an integer >= {minimum}"
        raise ConversionProblem(f"config {key!r} is {v!r}, expected {what} or two of them")
    return int(v[0]), int(v[1])


def pair(ctx: LayerContext, key: str, default: Any) -> tuple[int, int]:
    """ZeroPadding1D / Cropping1D amounts: an int or a (before, after) pair."""
    return int_pair(ctx, key, default, 0)


def channels_last(ctx: LayerContext) -> None:
    fmt = ctx.layer.config.get("data_format", "channels_last")
    if fmt not in (None, "channels_last"):
        raise ConversionProblem(f"data_format={fmt!r} is not supported; only 'channels_last'")


def sequence_input(ctx: LayerContext) -> tuple[Optional[int], int]:
    shape = ctx.single_input()
    require_rank(shape, 2, "input (steps, channels)")
    return shape[0], last_dim(shape)


def out_steps(steps: Optional[int], window: int, strides: int, padding: str) -> Optional[int]:
    """Output length of a 1-D window op (TensorFlow's rule), None if variable."""
    if steps is None:
        return None
    if padding in ("same", "causal"):
        return -(-steps // strides)
    return (steps - window) // strides + 1 if steps >= window else 0


def axis_index(axis: Any, rank: int, what: str = "axis") -> int:
    """A Keras axis (counting the batch axis) as an index into the shape without batch."""
    if isinstance(axis, bool) or not isinstance(axis, int):
        raise ConversionProblem(f"{what} {axis!r} is not an integer")
    k = axis - 1 if axis >= 0 else rank + axis
    if axis == 0 or not 0 <= k < rank:
        raise ConversionProblem(f"{what} {axis} is out of range (or the batch axis) for inputs of rank {rank + 1}")
    return k
