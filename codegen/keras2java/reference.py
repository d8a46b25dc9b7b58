"""A numpy evaluation of the IR: keras2java's own reference implementation.

It records golden vectors for ``--with-test`` and ``verify`` when TensorFlow
is not installed.  Each op evaluates itself (:meth:`keras2java.ops.Op.evaluate`),
following Keras' definitions (the same sources the Java runtime follows); the
whole is tested against Keras in the test suite.  It is deliberately plain
numpy, computing in float64 and rounding each op's result to float32, and it
is slow: it is for checking, not for serving.

Ops it does not implement (masks, initial states as inputs) raise
:class:`UnsupportedModelError` naming the layer.
"""
from __future__ import annotations

import numpy as np

from .activations import evaluate as activation  # noqa: F401  (the reference of every activation)
from .errors import Problem, UnsupportedModelError
from .ir import Model
from .ops import Op

f32 = np.float32


def _implements(op) -> bool:
    return type(op).evaluate is not Op.evaluate


def unsupported(model: Model) -> list[Problem]:
    """What the numpy reference cannot evaluate, one problem per node."""
    out = []
    for node in model.nodes:
        op = node.op
        why = (f"the numpy reference does not implement {op.kind} ops" if not _implements(op)
               else op.reference_problem())
        if why:
            out.append(Problem(node.layer_name, node.class_name, why))
    return out


def predict(model: Model, inputs: list[np.ndarray]) -> list[np.ndarray]:
    """One sample: ``inputs[i]`` has model input i's shape (without batch)."""
    problems = unsupported(model)
    if problems:
        raise UnsupportedModelError(problems, "Install TensorFlow to record reference outputs with Keras instead.")
    values = {p.tensor: np.asarray(x, f32) for p, x in zip(model.inputs, inputs)}
    for node in model.nodes:
        outs = node.op.evaluate([values[t] for t in node.inputs])
        for t, v in zip(node.outputs, outs):
            shape = model.tensor(t).shape
            v = np.asarray(v, f32)
            if list(shape).count(None) <= 1 and len(shape) > 1 or None not in shape:
                # an alias's data in its own shape: the one variable axis (if any) takes the rest
                v = v.reshape(tuple(-1 if d is None else d for d in shape))
            values[t] = v
    return [values[p.tensor] for p in model.outputs]
