"""Pass 4 of each layer call: the converter.  One call of a Keras layer becomes
the nodes of its op (or of a composition's steps), with the masks
:mod:`.masks` says it reads and passes on."""
from __future__ import annotations

from typing import Optional

from ..ir import Node
from ..ops import Composite, ConversionProblem, LayerContext, MaskRule, layer_spec
from ..ops.text import string_mismatch
from ..reader.raw import RawLayer
from .keras3_graph import spec_name
from .masks import call_masks, composite_masks, masks_after_node, masks_before_node


def composite_problem(comp: Composite, n_inputs: int) -> Optional[str]:
    """Why a converter's :class:`Composite` cannot become nodes, or None: every
    index must name an earlier value, and no step may create a Keras mask
    (composed layers do not carry masks they create)."""
    n_values = n_inputs
    for k, step in enumerate(comp.steps):
        bad = [i for i in step.inputs if isinstance(i, bool) or not isinstance(i, int) or not 0 <= i < n_values]
        if bad:
            return f"step {k + 1} ({type(step.op).__name__}) reads values {bad}, but only {n_values} exist before it"
        if step.op.mask_op() is not None or step.op.uses_own_mask:
            return f"step {k + 1} ({type(step.op).__name__}) creates a Keras mask, which composed layers do not support"
        n_values += len(step.output_shapes)
    if not comp.outputs or any(isinstance(i, bool) or not isinstance(i, int) or not 0 <= i < n_values
                               for i in comp.outputs):
        return f"the composition's outputs {list(comp.outputs)} are not among its {n_values} values"
    return None


def apply(b, layer: RawLayer, inputs: tuple[str, ...], call=None,
          explicit_mask: Optional[str] = None, cleared: frozenset = frozenset()) -> Optional[tuple[str, ...]]:
    """Add the nodes of one layer call (a nested model is inlined); its outputs, or
    None after reporting why it cannot be converted.  ``cleared``: inputs whose Keras
    mask an earlier Keras 3 MultiHeadAttention call removed (see :mod:`..graph_order`)."""
    if layer.submodel is not None:
        return b.inline(layer, layer.submodel, inputs)
    spec = layer_spec(spec_name(layer))
    rule = spec.mask_rule(b.major) if spec is not None else MaskRule.REFUSE
    cm = call_masks(b, layer, spec, rule, inputs, call, explicit_mask, cleared)
    if cm is None:
        return None
    ctx = LayerContext(layer, tuple(b.shape_of(t) for t in inputs), b.major, call, cm.consumes,
                       tuple(b.dtype_of(t) for t in inputs), tuple(m is not None for m in cm.in_masks),
                       cm.mask is not None, b.build_submodel)
    text_problem = string_mismatch(layer, spec, [b.dtype_of(t) for t in inputs])
    if text_problem:
        b.report(layer, text_problem)
        return None
    try:
        converted = spec.convert(ctx)  # type: ignore[union-attr]
    except ConversionProblem as exc:
        for reason in exc.reasons:
            b.report(layer, reason)
        return None
    why = composite_problem(converted, len(inputs) + (1 if cm.consumes else 0)) \
        if isinstance(converted, Composite) else None
    if why:
        b.report(layer, why)
        return None
    # a composite's values: the inputs, then a consumed mask, then each step's outputs
    shapes = (converted.output_shapes(ctx.input_shapes + ((b.shape_of(cm.mask),) if cm.consumes else ()))
              if isinstance(converted, Composite) else converted.output_shapes)
    for shape in shapes:
        for d in shape:
            if d is not None and d <= 0:
                b.report(layer, f"output shape {shape} has a non-positive dimension")
                return None
    if isinstance(converted, Composite):
        return compose(b, layer, converted, inputs, cm.mask if rule is MaskRule.PASS else None,
                       cm.mask if cm.consumes else None)
    op = converted.op
    node_inputs, out_mask, present = masks_before_node(b, layer, op, rule, cm, inputs)
    outs = tuple(b.new_tensor(s, getattr(op, "output_dtype", "float32")) for s in converted.output_shapes)
    b.nodes.append(Node(layer.name, layer.class_name, op, node_inputs, outs))
    masks_after_node(b, layer, op, rule, cm, inputs, outs, out_mask, present)
    return outs


def compose(b, layer: RawLayer, comp: Composite, inputs: tuple[str, ...],
            mask: Optional[str], consumed: Optional[str] = None) -> tuple[str, ...]:
    """A layer converted into several ops (a plugin's composition): one node per step
    (checked first by :func:`composite_problem`).  A consumed mask follows the layer's
    inputs among the composite's values (see :func:`.masks.composite_masks`)."""
    values = list(inputs) + ([consumed] if consumed is not None else [])
    producer: dict[str, tuple] = {}
    for k, step in enumerate(comp.steps):
        outs = tuple(b.new_tensor(s) for s in step.output_shapes)
        name = layer.class_name if len(comp.steps) == 1 else f"{layer.class_name} step {k + 1}"
        b.nodes.append(Node(layer.name, name, step.op, tuple(values[i] for i in step.inputs), outs))
        producer.update({t: (step.op, i) for i, t in enumerate(outs)})
        values.extend(outs)
    result = tuple(values[i] for i in comp.outputs)
    composite_masks(b, producer, result, comp.mask_outputs, mask, consumed)
    return result
