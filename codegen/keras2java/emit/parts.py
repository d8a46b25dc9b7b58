"""The optional parts of the generated model class, each present only when used.

Each part has a small builder here and a template of its own
(``templates/parts/<name>.j2``, included by ``model.java.j2`` when the part is
present), and names the runtime classes it needs (:meth:`runtime`):

- :class:`PredictPart`: ``predict`` overloads of a one-input, one-output model;
- :class:`LabelsPart`: ``LABELS``, ``predictClass``, ``predictLabel`` (``--labels``);
- :class:`TextPart`: ``predictAll(Object[])`` for models with string inputs;
- :class:`NamedPart`: ``predictNamed`` and ``Outputs`` (several inputs or outputs);
- :class:`SessionPart`: streaming ``Session``s (one timestep per step);
- :class:`BatchPart`: ``predictAllBatch`` / ``predictBatch``, batched when every op has a batch view;
- :class:`SelfTestPart`: ``selfTest()`` over one recorded sample (``--self-test``), run when the
  class loads in ``load`` mode.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, replace
from typing import Any, Optional

import numpy as np

from ..ir import Shape, WeightTensor
from ..ops.view import Size, Times
from . import weights as wlayout


@dataclass(frozen=True)
class PredictPart:
    """``predict(float[])`` and its overloads: text, token ids, ``float[][]``, strings out."""

    input: Any        # PortView
    output: Any       # PortView

    def runtime(self) -> tuple[str, ...]:
        return ("Check",) + (("Embedding",) if self.input.token_ids else ())


@dataclass(frozen=True)
class LabelsPart:
    """The class labels of the single output (raw: the template escapes them)."""

    labels: tuple[str, ...]
    input: Any        # PortView

    def runtime(self) -> tuple[str, ...]:
        return ()


@dataclass(frozen=True)
class TextPart:
    """``predictAll(Object[])``: a String per text input, tokenized in Java."""

    inputs: tuple[Any, ...]   # every input (PortView); the text ones have ``text`` set

    def runtime(self) -> tuple[str, ...]:
        return ("TextVectorizer",)


@dataclass(frozen=True)
class NamedPart:
    """``predictNamed`` and ``Outputs``: inputs and outputs by Keras name."""

    inputs: tuple[Any, ...]
    outputs: tuple[Any, ...]
    text: bool        # some input is a String

    def runtime(self) -> tuple[str, ...]:
        return ()


@dataclass(frozen=True)
class SessionPart:
    """The ``Session`` API: one timestep of the single input per step."""

    per_step: int          # floats per timestep
    frame_shape: Shape     # shape of one frame, for docs
    single: bool           # one output: ``step(float[])`` besides ``stepAll``

    def runtime(self) -> tuple[str, ...]:
        return ("Check",)


@dataclass(frozen=True)
class BatchPart:
    """``predictAllBatch`` (always) and ``predictBatch`` (one input and output); ``ops``: the
    ops' batch views when every op has one (the batched ``runBatch``), else empty (samples
    run one at a time)."""

    ops: tuple[Any, ...]
    single: bool
    #: floats of the largest layer output per input float (:func:`batch_grow`), from which the
    #: runtime caps a batch (``Parallel.runBatched``); None: no cap
    grow: Optional[int] = None

    def runtime(self) -> tuple[str, ...]:
        return ("Parallel",)


@dataclass(frozen=True)
class SelfTestPart:
    """One recorded sample (inputs then outputs, Base64 float32 in ``holders``) and its check."""

    holders: tuple[Any, ...]          # weights.Holder, named SelfTestData<n>
    count: int
    sha256: str
    input_lengths: tuple[int, ...]
    output_lengths: tuple[int, ...]
    tolerance: str                    # a Java double literal
    reference: str                    # who produced the outputs (raw: the template escapes it)
    on_load: bool                     # also run from a static initializer
    input_shapes: tuple[tuple[int, ...], ...] = ()   # each input's shape, when predictAll needs them

    def runtime(self) -> tuple[str, ...]:
        return ("Weights",)


def self_test_part(sample, tolerance: str, on_load: bool, with_shapes: bool = False) -> SelfTestPart:
    """``sample``: a :class:`keras2java.selftest.Sample`; ``with_shapes``: the inputs have several
    variable axes, so ``predictAll`` takes their shapes."""
    data = np.concatenate([np.ravel(a) for a in sample.inputs + sample.outputs] or [np.zeros(0)]).astype("<f4")
    holders = wlayout.chunk_holders(wlayout.base64_chunks([WeightTensor("self_test", "self_test", data)]))
    return SelfTestPart(tuple(replace(h, name=f"SelfTestData{i}") for i, h in enumerate(holders)), int(data.size),
                        hashlib.sha256(data.tobytes()).hexdigest(), tuple(int(np.size(a)) for a in sample.inputs),
                        tuple(int(np.size(a)) for a in sample.outputs), tolerance, sample.reference, on_load,
                        tuple(tuple(int(d) for d in np.shape(a)) for a in sample.inputs) if with_shapes else ())


def predict_part(inputs, outputs) -> Optional[PredictPart]:
    return PredictPart(inputs[0], outputs[0]) if len(inputs) == 1 and len(outputs) == 1 else None


def labels_part(labels: tuple[str, ...], inputs, outputs) -> Optional[LabelsPart]:
    return LabelsPart(labels, inputs[0]) if labels and len(inputs) == 1 and len(outputs) == 1 else None


def text_part(inputs) -> Optional[TextPart]:
    return TextPart(tuple(inputs)) if any(p.text for p in inputs) else None


def named_part(inputs, outputs) -> Optional[NamedPart]:
    if len(inputs) == 1 and len(outputs) == 1:
        return None
    return NamedPart(tuple(inputs), tuple(outputs), any(p.text for p in inputs))


def session_part(stream: bool, inputs, outputs, frame_shape: Shape) -> Optional[SessionPart]:
    return SessionPart(inputs[0].per_step, frame_shape, len(inputs) == 1 and len(outputs) == 1) if stream else None


#: the runtime's ``Parallel.MAX_BATCH``: samples per batched call at most
MAX_BATCH = 64

#: the runtime's ``Parallel.BATCH_FLOATS``: floats of one layer's output over a whole batch at most
BATCH_FLOATS = 4 * 1024 * 1024


def batch_grow(batched, inputs) -> Optional[int]:
    """Floats of the largest output of the batch views (or map inside a call, ``inner``) per float of a sample's inputs (rounded
    up), for the runtime to cap each batch at ``BATCH_FLOATS`` floats of that output (a batch runs
    layer by layer, so a large batch of large activations, a CNN's feature maps, streams each
    layer's output through memory instead of cache and runs slower per sample than one sample at
    a time).  With variable timesteps the outputs counted are those per timestep, as if every
    tensor had the input's timesteps.  None when no batch can be capped (fixed sizes below the cap
    at :data:`MAX_BATCH` samples)."""
    variable = any(p.per_step for p in inputs)
    per_input = sum(p.per_step or p.length.factor for p in inputs)
    largest = 0
    for v in batched:
        for o in getattr(v, "outs", ()) + getattr(v, "inner", ()):
            n = o.length.value if isinstance(o.length, Times) else o.length
            if isinstance(n, Size) and (n.var is not None) == variable:
                largest = max(largest, n.factor)
    if not largest or not per_input or (not variable and largest * MAX_BATCH <= BATCH_FLOATS):
        return None
    return -(-largest // per_input)


def batch_part(ops, batch_ops, tokenizers, inputs, outputs) -> BatchPart:
    # The batch path takes float inputs only (text models tokenize one sample at a time).
    batched = tuple(batch_ops) if ops and not tokenizers and all(v is not None for v in batch_ops) else ()
    return BatchPart(batched, len(inputs) == 1 and len(outputs) == 1, batch_grow(batched, inputs) if batched else None)


def part_runtime(*parts) -> set[str]:
    """The runtime classes the present parts need."""
    return {cls for p in parts if p is not None for cls in p.runtime()}
