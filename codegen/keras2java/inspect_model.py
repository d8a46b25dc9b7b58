"""``keras2java inspect``: a readable table of a model as keras2java sees it."""
from __future__ import annotations

from .ir import Model, Node, shape_text
from .reader.legacy_keras import detected_text


def describe(model: Model) -> str:
    src = model.source
    semantics = ("Keras 3 (hard_sigmoid = relu6(x+3)/6)" if src.keras_major >= 3
                 else f"Keras {'0.x/1' if src.keras_major <= 1 else '1/2'} (hard_sigmoid = clip(0.2x+0.5, 0, 1))")
    lines = [
        f"model: {model.name!r}   format: {src.format}   keras_version: {src.keras_version or 'unknown'}",
    ]
    detected = detected_text(src)
    if detected:
        lines.append(f"detected: {detected}")
    lines += [
        f"semantics: {semantics}",
        f"parameters: {model.param_count():,}",
        "inputs: " + ", ".join(f"{p.keras_name!r} {shape_text(model.tensor(p.tensor).shape)}" for p in model.inputs),
        "outputs: " + ", ".join(f"{p.keras_name!r} {shape_text(model.tensor(p.tensor).shape)}" for p in model.outputs),
        "",
    ]
    rows = [("layer", "class", "input -> output", "params", "activations")]
    for node in model.nodes:
        rows.append(_row(model, node))
    widths = [max(len(r[i]) for r in rows) for i in range(5)]
    for k, r in enumerate(rows):
        lines.append("  ".join(c.ljust(widths[i]) for i, c in enumerate(r)).rstrip())
        if k == 0:
            lines.append("  ".join("-" * w for w in widths))
    details = []
    for node in model.nodes:
        wl = node.op.describe_weights()
        if wl:
            details.append(f"{node.layer_name} ({node.class_name}):")
            details.extend("  " + x for x in wl)
    if details:
        lines += ["", "weights:"] + ["  " + d for d in details]
    if src.weight_map:
        lines += ["", "stored tensors -> gates (legacy layout, as translated):"]
        last = None
        for layer, text in src.weight_map:
            if layer != last:
                lines.append(f"  {layer}:")
                last = layer
            lines.append(f"    {text}")
    return "\n".join(lines) + "\n"


def _row(model: Model, node: Node) -> tuple[str, str, str, str, str]:
    ins = ", ".join(shape_text(model.tensor(t).shape) for t in node.inputs)
    outs = ", ".join(shape_text(model.tensor(t).shape) for t in node.outputs)
    acts = ", ".join(a.describe() for a in node.op.activations()) or "-"
    return (node.layer_name, node.class_name, f"{ins} -> {outs}", f"{node.op.param_count():,}", acts)
