"""What the emitter reads off the ops' views: where their per-call argument arrays go
(:func:`hoist`), which runtime classes they name, which weight offsets they use.

The ops build plain views (:mod:`keras2java.ops.view`); these decisions are the
emitter's, so they live here.
"""
from __future__ import annotations

from dataclasses import fields, is_dataclass, replace
from typing import Any

from ..ops.view import (Act, Buffers, Call, CallView, CellView, Const, Ints, New, Offset, RecurrentBatchView,
                        RecurrentView, Var)


def hoist(view: Any) -> Any:
    """The view with the per-call arrays of its calls (those of a sub-graph it runs too,
    ``LoopView.ops``) moved into fields (:func:`hoisted`): a prediction allocates nothing."""
    if isinstance(view, CallView):
        return hoisted(view)
    if isinstance(getattr(view, "ops", None), tuple):
        return replace(view, ops=tuple(hoist(v) for v in view.ops))
    return view


def hoisted(view: CallView) -> CallView:
    """The view with its per-call ``int[]`` and ``float[][]`` arguments (and the
    timestep-agreement check's array) moved into fields named after the node's field."""
    consts: list = []
    arrays: list = []

    def field_of(v: Any) -> Any:
        if isinstance(v, Ints):
            consts.append((f"{view.field}c{len(consts)}", v))
            return Var(f"n.{consts[-1][0]}")
        if isinstance(v, Buffers):
            arrays.append((f"{view.field}a{len(arrays)}", v.vars))
            return Var(arrays[-1][0])
        return v

    args = tuple(field_of(v) for v in view.args)
    workspace = None if view.workspace is None else tuple(field_of(v) for v in view.workspace)
    return replace(view, args=args, workspace=workspace, consts=tuple(consts), arrays=tuple(arrays),
                   steps_array=f"{view.field}s" if view.same_steps else "")


def nested_values(v: Any):
    """``v`` and every value inside it (dataclass fields, tuple and list items), depth first."""
    yield v
    if is_dataclass(v) and not isinstance(v, type):
        for f in fields(v):
            yield from nested_values(getattr(v, f.name))
    elif isinstance(v, (tuple, list)):
        for x in v:
            yield from nested_values(x)


def offsets_used(views: Any) -> tuple[Offset, ...]:
    """Every :class:`Offset` the views refer to, once each, in order of appearance."""
    found: dict[str, Offset] = {}
    for v in nested_values(views):
        if isinstance(v, Offset):
            found.setdefault(v.name, v)
    return tuple(found.values())


def runtime_classes_used(view: Any) -> set[str]:
    """Every runtime class a view refers to (for the generated imports)."""
    found: set[str] = set()
    for v in nested_values(view):
        if isinstance(v, (Const, Call, New)):
            found.add(v.cls)
        if isinstance(v, Act):
            found.add("Activation")
        if isinstance(v, CallView):
            found.update(c for c in (v.static, v.cls) if c)
            if v.same_steps or v.workspace is not None or v.outs:
                found.add("Check")
        if isinstance(v, RecurrentBatchView):
            found.add("Check")
        if isinstance(v, RecurrentView):
            found.update(("Recurrent", "Check") + (("Bidirectional",) if v.merge else ()))
        if isinstance(v, CellView):
            found.add(v.cell)
    return found
