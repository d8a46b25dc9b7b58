"""Stage 3: check the IR against what the op registry and the JVM can do.

Every problem is collected and raised together; warnings (for example
NaN weights) are returned for the caller to print.
"""
from __future__ import annotations

import numpy as np

from .errors import ProblemCollector
from .ir import Model, format_shape
from .ops import Op, is_registered

#: Refuse models above this many parameters (the JVM's float[] limit is 2^31-1).
MAX_PARAMS = 500_000_000
#: Java arrays and the generated int arithmetic: a tensor (or one timestep of it) must hold
#: at most this many floats.
MAX_ELEMENTS = 2**31 - 1


def _emittable(op) -> bool:
    return is_registered(op) and (op.alias or type(op).view is not Op.view)


def validate(model: Model) -> tuple[str, ...]:
    problems = ProblemCollector()
    warnings: list[str] = []
    for node in model.nodes:
        if not _emittable(node.op):
            problems.add(node.layer_name, node.class_name, f"op {type(node.op).__name__} has no Java emitter")
    producer = {t: (n.layer_name, n.class_name) for n in model.nodes for t in n.outputs}
    inputs = {p.tensor: p.keras_name for p in model.inputs}
    for spec in model.tensors:
        fixed = [d for d in spec.shape if d is not None]
        if fixed and int(np.prod(fixed, dtype=object)) > MAX_ELEMENTS:
            layer, cls = producer.get(spec.name, (inputs.get(spec.name, "?"), "input"))
            problems.add(layer, cls, f"tensor shape {format_shape(spec.shape)} holds more than {MAX_ELEMENTS:,} floats "
                                     "(the limit of a Java array)")
        for d in spec.shape:
            if d is not None and d <= 0:
                problems.add(None, None, f"tensor shape {format_shape(spec.shape)} has a non-positive dimension")
        if len(spec.shape) == 0 and spec.dtype != "string":
            problems.add(None, None, "scalar tensors are not supported")
    for node in model.nodes:   # each op says which axes it takes variable (Op.variable_axes)
        why = node.op.variable_axes_problem(tuple(model.tensor(t).shape for t in node.inputs + node.outputs))
        if why:
            problems.add(node.layer_name, node.class_name, why)
    input_tensors = {p.tensor for p in model.inputs}
    for node in model.nodes:
        if getattr(node.op, "takes_strings", False) and not set(node.inputs) <= input_tensors:
            problems.add(node.layer_name, node.class_name, "reads a string tensor that is not a model input "
                                                           "(only a string model input can feed it)")
    for port in model.inputs:
        if model.tensor(port.tensor).dtype == "string":
            users = [n for n in model.nodes if port.tensor in n.inputs]
            if len(users) != 1 or not getattr(users[0].op, "takes_strings", False):
                problems.add(None, None, f"string input {port.keras_name!r} must feed exactly one TextVectorization, "
                                         "StringLookup or Hashing layer")
    n = model.param_count()
    if n > MAX_PARAMS:
        problems.add(None, None, f"the model has {n:,} parameters, over the supported {MAX_PARAMS:,}")
    for node in model.nodes:
        for w in node.op.weights():
            bad = int(np.count_nonzero(~np.isfinite(w.array)))
            if bad:
                warnings.append(f"layer {node.layer_name!r} ({node.class_name}): weight {w.role} has "
                                f"{bad} NaN/Inf value(s); the Java code reproduces them as Keras would")
    problems.raise_if_any()
    return tuple(dict.fromkeys(warnings))
