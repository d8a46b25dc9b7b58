"""``--self-test``: one recorded sample carried by the generated class, checked by
``selfTest()`` (and, in ``load`` mode, when the class loads), as frugally-deep verifies
a model on load.

The sample comes from the same sources as the golden vectors (:mod:`keras2java.golden`):
the user's recorded inputs and Keras outputs (``--self-test-sample``, an ``.npz`` with
``input_<i>`` and ``output_<i>`` arrays in model order, each the tensor's shape with or
without a leading batch axis of 1), or else one random sample whose outputs
:func:`keras2java.golden.record` computes (Keras when it is usable, else keras2java's numpy
reference, as ``--reference`` chooses).
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Optional

import numpy as np

from .errors import OptionError
from .ir import Model

MODES = ("method", "load")


@dataclass(frozen=True)
class SelfTestOptions:
    """``--self-test [method|load]`` and ``--self-test-sample``."""

    mode: str = "method"             # "method": selfTest() only; "load": also run when the class loads
    sample: Optional[str] = None     # an .npz of recorded inputs and outputs (else recorded here)
    reference: str = "auto"          # who computes the outputs without a sample: auto, keras, numpy

    def check(self) -> None:
        if self.mode not in MODES:
            raise OptionError(f"--self-test {self.mode!r}: expected {' or '.join(MODES)}")


@dataclass(frozen=True)
class Sample:
    """One input/output pair and who produced the outputs."""

    inputs: tuple[np.ndarray, ...]
    outputs: tuple[np.ndarray, ...]
    reference: str


def record(model: Model, path: str, options: SelfTestOptions) -> Sample:
    """The sample the generated class carries (every problem of a sample file at once)."""
    if options.sample is None:
        from . import golden  # noqa: PLC0415
        rec = golden.record(model, path, 1, None, options.reference)
        return Sample(tuple(rec.inputs[0]), tuple(rec.outputs[0]), rec.reference)
    return read_sample(model, options.sample)


def read_sample(model: Model, path: str) -> Sample:
    try:
        with np.load(path, allow_pickle=False) as npz:
            arrays = {key: np.asarray(npz[key]) for key in npz.files}
    except (OSError, ValueError) as exc:
        raise OptionError(f"--self-test-sample {path}: cannot read an .npz file ({exc})") from None
    problems = []
    text = [p.keras_name for p in model.inputs if model.tensor(p.tensor).dtype == "string"]
    if text:
        problems.append(f"the model's input(s) {text} are text; the self-test takes float inputs")
    expected = [(f"input_{i}", model.tensor(p.tensor).shape) for i, p in enumerate(model.inputs)]
    expected += [(f"output_{i}", model.tensor(p.tensor).shape) for i, p in enumerate(model.outputs)]
    found = {}
    for key, shape in expected:
        if key not in arrays:
            problems.append(f"no array {key!r}")
            continue
        a = arrays[key]
        if a.ndim == len(shape) + 1 and a.shape[0] == 1:
            a = a[0]
        if a.dtype.kind not in "fiub" or a.ndim != len(shape) or any(
                d is not None and d != n for d, n in zip(shape, a.shape)):
            problems.append(f"{key}: shape {list(a.shape)} ({a.dtype}), expected {[d if d is not None else 'n' for d in shape]} "
                            "of numbers (a leading batch axis of 1 is allowed)")
            continue
        found[key] = a.astype(np.float32)
    extra = sorted(set(arrays) - {key for key, _ in expected})
    if extra:
        problems.append(f"unexpected arrays {extra} (expected input_0..input_{len(model.inputs) - 1} and "
                        f"output_0..output_{len(model.outputs) - 1})")
    if problems:
        raise OptionError(f"--self-test-sample {path}: " + "; ".join(problems))
    return Sample(tuple(found[f"input_{i}"] for i in range(len(model.inputs))),
                  tuple(found[f"output_{i}"] for i in range(len(model.outputs))),
                  f"the sample recorded in {os.path.basename(path)}")
