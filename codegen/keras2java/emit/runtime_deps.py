"""Which runtime classes a generated package holds.

The generated package holds only the runtime it uses: the closure of the
classes its model class and weights class name (the ops' ``runtime`` traits,
the views' references and the model-level features' needs) over
:data:`REFERENCES`, the runtime's own dependency table.  ``--runtime full``
keeps every runtime class instead (a shared jar of many models).

:data:`REFERENCES` is checked against the Java sources by
``tests/tooling/test_generated_package.py``: a new runtime class, or a new reference
between runtime classes, must be entered here.
"""
from __future__ import annotations

from typing import Iterable

#: ``--runtime`` choices.
RUNTIME_CHOICES = ("used", "full")

#: Runtime class -> the other runtime classes its source refers to (by name, outside
#: comments and string literals).  ``VectorKernels`` (the optional JDK 17+ source set)
#: is loaded by ``Kernels`` by reflection and refers to ``Kernels``; see :data:`VECTOR`.
REFERENCES: dict[str, tuple[str, ...]] = {
    "Activation": ("Erf", "Kernels"),
    "AdaptivePool": (),
    "Attention": ("Activation", "Weights"),
    "Bidirectional": ("Recurrent",),
    "Categorical": ("Check",),
    "Check": (),
    "Conv1D": ("Activation", "Check", "Linear"),
    "Conv2D": ("Activation", "Check", "FrameConv", "Image2D", "IntraOp", "Kernels", "Linear"),
    "Conv3D": ("Activation", "Check", "Conv2D", "FrameConv", "Linear"),
    "ConvLstm": ("Activation", "FrameConv"),
    "ConvTranspose": ("Activation", "Linear"),
    "ConvTranspose3D": ("Activation", "Check", "ConvTranspose", "Linear"),
    "Dense": ("Activation", "Check", "Linear"),
    "Embedding": ("Check",),
    "Erf": (),
    "FrameConv": (),
    "Frames": ("IntraOp",),
    "GruCell": ("Activation", "Check", "Linear", "RnnCell", "Weights"),
    "FrameConv": (),
    "Image2D": (),
    "Image3D": (),
    "IntraOp": ("Kernels",),
    "Kernels": ("IntraOp", "PortableKernels"),
    "Linear": ("Check", "IntraOp", "Kernels"),
    "LstmCell": ("Activation", "Check", "Kernels", "Linear", "RnnCell"),
    "MaskedMerge": (),
    "Masks": (),
    "Merge": (),
    "MultiHeadAttention": ("Linear",),
    "Normalize": ("Weights",),
    "NormalizeAxes": ("Weights",),
    "Parallel": (),
    "Permute": (),
    "Pointwise": ("Check",),
    "Pool1D": (),
    "PortableKernels": ("Activation", "Kernels"),
    "Recurrent": ("RnnCell",),
    "Reshape": (),
    "Resize": (),
    "RnnCell": (),
    "ScaleShift": ("Check", "Weights"),
    "SimpleRnnCell": ("Activation", "Check", "Linear", "RnnCell"),
    "StringHash": (),
    "TensorOps": ("Erf",),
    "TextVectorizer": ("StringHash",),
    "TimeResample": (),
    "Vocabulary": (),
    "Weights": ("Check",),
}

#: What the optional Vector API kernels (``--vector-out``, ``--build maven``) need beside them.
VECTOR = ("Kernels",)


def closure(classes: Iterable[str]) -> frozenset[str]:
    """``classes`` and every runtime class they refer to, directly or not."""
    todo = list(classes)
    seen: set[str] = set()
    while todo:
        cls = todo.pop()
        if cls in seen:
            continue
        if cls not in REFERENCES:
            raise RuntimeError(f"internal error: runtime class {cls!r} is not in emit/runtime_deps.REFERENCES")
        seen.add(cls)
        todo.extend(REFERENCES[cls])
    return frozenset(seen)
