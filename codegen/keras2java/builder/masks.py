"""Pass 3 of each layer call: Keras mask propagation.

Keras masks (from ``Masking`` and ``Embedding(mask_zero=True)``) follow the
tensors; each layer's converter declares how it treats them
(:class:`MaskRule` on its :class:`LayerSpec`).  This module owns those rules:
which mask a call reads (:func:`call_masks`), which nodes compute masks and
which outputs carry one (:func:`masks_before_node`, :func:`masks_after_node`),
and how the ``mask=`` arguments recorded by Keras 3 Functional configs are
answered (:func:`recorded_mask`).  The graph state it reads and writes is
the builder's: ``masks`` (tensor -> its mask tensor), ``explicit_masks`` and
``runtime_masks``.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Optional

from ..ir import Node
from ..ops import MaskRule
from ..reader.raw import RawLayer
from .keras3_graph import MaskClearing, clears_inner_input, derived_mask


@dataclass(frozen=True)
class CallMasks:
    """The masks one layer call reads."""

    #: the mask of the first input (or the ``mask=`` tensor), as the layer's rule keeps it
    mask: Optional[str]
    #: the op takes ``mask`` as an extra last input (CONSUME, POOL)
    consumes: bool
    #: MERGE / ATTEND: the mask of each input (None where it has none); empty if none has one
    in_masks: tuple
    #: Keras 3 recorded every mask this call received as a ``mask=`` argument
    explicit: bool


def call_masks(b, layer: RawLayer, spec, rule: MaskRule, inputs: tuple[str, ...], call,
               explicit_mask: Optional[str], cleared: frozenset) -> Optional[CallMasks]:
    """The masks a call reads, or None after reporting a mask the layer refuses.
    ``cleared``: inputs whose Keras mask an earlier Keras 3 MultiHeadAttention call removed."""
    def mask_of(t: str) -> Optional[str]:
        return None if t in cleared else b.masks.get(t)
    mask = mask_of(inputs[0]) if inputs else None
    if explicit_mask is not None:   # a mask= tensor the model computes itself
        mask = explicit_mask
    # Keras 3 Functional configs record every mask a layer received as a
    # ``mask=`` argument; elsewhere masks are implicit and follow Keras' rules.
    explicit = (call is not None and b.major >= 3
                and not any(t in b.runtime_masks for t in inputs))
    if rule is MaskRule.REFUSE:
        # A mask on any input (an attention layer's value, a merge's second input...)
        # would change what Keras computes; Keras 3 drops masks at layers that do not
        # support masking (no ``mask=`` argument recorded).
        if explicit and "mask" not in call.kwargs and not (spec is not None and spec.reads_masks):
            mask = None
        elif any(mask_of(t) is not None for t in inputs):
            b.report(layer, "receives a Keras mask (from Masking or Embedding(mask_zero=True)), "
                            f"which keras2java does not support for {layer.class_name} layers")
            return None
    elif rule is MaskRule.DROP:
        mask = None
    consumes = (mask is not None and rule in (MaskRule.CONSUME, MaskRule.POOL)
                and (not explicit or "mask" in call.kwargs))
    in_masks: tuple = ()
    if rule in (MaskRule.MERGE, MaskRule.ATTEND):
        in_masks = tuple(mask_of(t) for t in inputs)
        if not any(in_masks):
            in_masks = ()
    return CallMasks(mask, consumes, in_masks, explicit)


def masks_before_node(b, layer: RawLayer, op, rule: MaskRule, cm: CallMasks, inputs: tuple[str, ...]
                      ) -> tuple[tuple[str, ...], Optional[str], tuple]:
    """Before the op's node: the node's inputs (data, then the masks it reads), the
    output's mask so far, and the input masks present.  Adds the node of a mask the op
    creates (Masking, Embedding(mask_zero=True))."""
    node_inputs = inputs
    out_mask = cm.mask if rule is MaskRule.PASS else None
    mask_op = op.mask_op()
    if mask_op is not None:   # Masking and Embedding(mask_zero=True) create a mask
        out_mask = b.new_tensor(b.shape_of(inputs[0])[:1])
        b.nodes.append(Node(layer.name, f"{layer.class_name} mask", mask_op, inputs[:1], (out_mask,)))
        if op.uses_own_mask:
            node_inputs = (inputs[0], out_mask)
    elif cm.consumes:
        node_inputs = inputs + (cm.mask,)
    present = tuple(m for m in cm.in_masks if m is not None)
    if present:   # a merge of masked inputs: the masks follow the data
        node_inputs = inputs + present
        out_mask = None
    return node_inputs, out_mask, present


def masks_after_node(b, layer: RawLayer, op, rule: MaskRule, cm: CallMasks, inputs: tuple[str, ...],
                     outs: tuple[str, ...], out_mask: Optional[str], present: tuple) -> None:
    """After the op's node: which outputs carry a mask (adding the node of a merged mask)."""
    if present and rule is MaskRule.ATTEND:   # the query's mask (Keras: compute_mask -> mask[0])
        out_mask = cm.in_masks[0]
    elif present:
        merged = op.merged_mask(tuple(m is not None for m in cm.in_masks), b.major)
        if merged is not None:
            sources, shape = present, b.shape_of(present[0])
            if merged.mask_of_each_input:   # an input without a mask stands for its all-true mask
                sources = tuple(m if m is not None else t for t, m in zip(inputs, cm.in_masks))
                shape = b.shape_of(outs[0])[:1]
            out_mask = b.new_tensor(shape)
            b.nodes.append(Node(layer.name, f"{layer.class_name} mask", merged, sources, (out_mask,)))
    if rule is MaskRule.CONSUME and cm.mask is not None and (cm.consumes or cm.explicit):
        # the mask passes on where the op says (Keras' compute_mask), also when Keras 3 did
        # not give it to the call (a call with initial_state records no mask= and
        # Layer.__call__ fills one in only for a single tensor argument)
        out_mask = None
        for i in op.mask_outputs():
            b.masks[outs[i]] = cm.mask
    if out_mask is not None:
        b.masks[outs[0]] = out_mask


def composite_masks(b, op_outputs: dict, result: tuple[str, ...], mask_outputs: tuple,
                    mask: Optional[str], consumed: Optional[str]) -> None:
    """The masks of a composite's results: a consumed mask passes on where the
    composition says, else where the op producing the first output says
    (:meth:`Op.mask_outputs`); a passed-on mask goes to the first output."""
    if consumed is not None and mask_outputs:
        for i in mask_outputs:
            b.masks[result[i]] = consumed
    elif consumed is not None and result and result[0] in op_outputs:
        op, i = op_outputs[result[0]]
        if i in op.mask_outputs():
            mask = consumed
    if mask is not None and result:
        b.masks[result[0]] = mask


def own_mask(b, tensor: str) -> bool:
    """True if the tensor's mask is one keras2java derived (not a ``mask=`` tensor)."""
    return tensor in b.masks and b.masks[tensor] not in b.explicit_masks


def recorded_mask(b, spec, call, ins: list, mask_graph: frozenset) -> tuple[bool, Any]:
    """How a Keras 3 ``mask=`` argument is answered: ``(derived, explicit_ref)``.
    ``derived``: by the input's own derived mask (the recorded computation is not
    built); else ``explicit_ref``, the one recorded mask tensor to build, or None."""
    mask_refs = call.kwargs.get("mask", ())
    masking = spec is not None and spec.mask_rule(b.major) not in (MaskRule.REFUSE, MaskRule.DROP)
    # a derived mask answers a recorded one, unless it came from a mask= tensor itself
    derived = masking and derived_mask(mask_refs, mask_graph) and bool(ins) and own_mask(b, ins[0])
    explicit_ref = mask_refs[0] if masking and len(mask_refs) == 1 and not derived else None
    return derived, explicit_ref


def cleared_inputs(call, clears_at: Optional[MaskClearing], key: tuple[str, int], refs, ins) -> frozenset:
    """The inputs of call ``key`` whose masks a Keras 3 MultiHeadAttention cleared before it runs."""
    if clears_at and "mask" not in call.kwargs:   # the layer reads its inputs' masks at run time
        return frozenset(t for r, t in zip(refs, ins) if clears_at.before(key, r))
    return frozenset()


def explicit_mask_problem(b, explicit: str, ins) -> Optional[str]:
    """Why a ``mask=`` tensor the model computes cannot be used, or None (then it is noted)."""
    want = b.shape_of(ins[0])[:1]
    if b.shape_of(explicit) != want:
        return (f"mask= tensor of shape {b.shape_of(explicit)} is not supported; "
                f"expected one value per timestep {want}")
    b.explicit_masks.add(explicit)
    return None


def note_runtime_masks(b, layer: RawLayer, ins, outs) -> None:
    """Keras 3: masks set at run time (nested models' outputs, and what follows from
    them) are not recorded as ``mask=`` arguments: remember the tensors that carry one."""
    if outs and b.major >= 3 and (layer.submodel is not None or b.runtime_masks & set(ins)):
        b.runtime_masks.update(t for t in outs if t in b.masks)


def nested_mask_problem(b, layer: RawLayer, k: int, refs: list, ins: list, mask_refs,
                        mask_graph: frozenset, clears_at: Optional[MaskClearing]) -> Optional[str]:
    """Why a nested model called with ``mask=`` cannot be converted, or None.

    Keras 3 passes a nested model its input's mask as ``mask=``, and ``Functional.call``
    sets that mask on the caller's tensor again before the inner layers read it.  When the
    recorded mask is the one Masking / Embedding(mask_zero=True) gave the tensor, that
    changes nothing and the inner layers see the tensor's own mask, as keras2java builds
    them.  Otherwise later uses of the tensor would see a mask it did not have."""
    if b.major < 3 or len(ins) != 1:
        return "a nested model called with mask= is not supported here (Keras sets the mask on the caller's " \
               "tensors, which later uses may then see)"
    if not (derived_mask(mask_refs, mask_graph) and own_mask(b, ins[0])):
        return "a nested model called with a mask= tensor other than its input's own mask is not supported " \
               "(Keras sets it on the caller's tensor, which later uses then see)"
    if clears_at and clears_at.before((layer.name, k), refs[0]):
        return "its input's mask was cleared by a MultiHeadAttention that runs first, and the nested " \
               "call sets it again (Keras 3 Functional.call), which later uses would then see"
    inner = clears_inner_input(layer.submodel)
    if inner is not None:
        return f"layer {inner!r} inside clears the mask of the caller's masked tensor " \
               "(Keras 3 MultiHeadAttention), which later uses of it would then miss"
    return None
