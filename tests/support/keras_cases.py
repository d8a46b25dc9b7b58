"""Builders of Keras models for tests, and helpers to get Keras' reference outputs.

Weights are randomized (not left at Keras' initial values) so that every
weight, including biases, influences the outputs.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Optional

import numpy as np


def keras():
    import keras as k  # Keras 3
    return k


def tf_keras():
    import tf_keras as k  # Keras 2 semantics, writes Keras-2-style .h5
    return k


def randomize(model, seed: int, scale: float = 0.5) -> None:
    rng = np.random.default_rng(seed)
    model.set_weights([rng.uniform(-scale, scale, w.shape).astype(np.float32) for w in model.get_weights()])


def random_samples(model, n: int, seed: int, steps=(1, 12), scale: float = 1.0) -> list:
    """``n`` samples; each a list with one array per model input (no batch axis).
    A variable timestep axis gets a random length in ``steps``, and so does every other
    variable axis (the same length for each input with that variable axis; in models with
    inputs of several variable axes, images of any size, the first axis too)."""
    rng = np.random.default_rng(seed)
    samples = []
    shared = any(list(inp.shape[1:]).count(None) > 1 for inp in model.inputs)
    for _ in range(n):
        sample = []
        sizes: dict = {}
        for inp in model.inputs:
            shape = list(inp.shape[1:])
            if shape and shape[0] is None:
                shape[0] = (sizes.setdefault(0, int(rng.integers(steps[0], steps[1] + 1))) if shared
                            else int(rng.integers(steps[0], steps[1] + 1)))
            for a in range(1, len(shape)):
                if shape[a] is None:
                    shape[a] = sizes.setdefault(a, int(rng.integers(steps[0], steps[1] + 1)))
            sample.append(rng.uniform(-scale, scale, shape).astype(np.float32))
        samples.append(sample)
    return samples


def keras_outputs(model, samples: list) -> list:
    """Keras' own predictions, per sample a list of output arrays."""
    shapes = {tuple(a.shape for a in s) for s in samples}
    if len(shapes) == 1:  # one batched predict call
        batch = [np.stack([s[i] for s in samples]) for i in range(len(samples[0]))]
        out = model.predict(batch if len(batch) > 1 else batch[0], verbose=0)
        outs = out if isinstance(out, (list, tuple)) else [out]
        return [[np.asarray(o[k]) for o in outs] for k in range(len(samples))]
    result = []
    for s in samples:
        out = model.predict([a[None] for a in s] if len(s) > 1 else s[0][None], verbose=0)
        outs = out if isinstance(out, (list, tuple)) else [out]
        result.append([np.asarray(o[0]) for o in outs])
    return result


#: Samples per case when ``Case.samples`` is None: ``prepare`` below (and cases_sequence)
#: use DEFAULT_SAMPLES, the recurrent family (cases_recurrent) its own RECURRENT_SAMPLES.
DEFAULT_SAMPLES = 20


@dataclass(frozen=True)
class Case:
    """A model to build with Keras, save, convert and compare: the one case type
    of the suite.  Fields after ``input_scale`` matter only to some preparers."""

    id: str
    build: Callable[[object], object]  # called with the keras (or tf_keras) module
    fmt: str = "keras"                 # "keras" (.keras), "h5" (Keras 3 legacy h5), "tf_h5" (tf-keras h5)
    weights: Optional[str] = None      # None = auto
    samples: Optional[int] = None      # None = the preparer's default (see DEFAULT_SAMPLES)
    steps: tuple = (1, 12)             # range of a variable timestep axis
    input_scale: float = 1.0
    weight_scale: float = 0.5
    tol: float = 1e-5
    # -- recurrent family (cases_recurrent.prepare) --
    data: str = "float"                # "float", "padded" (mask_value frames), "tokens", "tokens_padded"
    mode: str = "predict"              # "predict", "stream", "stateful"
    vocab: int = 30
    mask_value: float = 0.0
    family: str = ""                   # layer family in the worst-error report
    edit_h5: Optional[Callable] = None  # rewrites (model_config dict, keras_version) of a saved .h5
    weights_only: bool = False         # save_weights(".weights.h5") + to_json() instead of the model file

    def n_samples(self, default: int = DEFAULT_SAMPLES) -> int:
        return default if self.samples is None else self.samples

    def save(self, model, directory: Path) -> str:
        if self.weights_only:
            path = directory / (self.id.replace("/", "_") + ".weights.h5")
            model.save_weights(str(path))
            Path(self.architecture(str(path))).write_text(model.to_json())
            return str(path)
        ext = ".keras" if self.fmt == "keras" else ".h5"
        path = directory / (self.id.replace("/", "_") + ext)
        model.save(str(path))
        return str(path)

    def architecture(self, path: str) -> Optional[str]:
        """The architecture JSON saved next to a weights-only file, None for a model file."""
        return path[:-len(".weights.h5")] + ".json" if self.weights_only else None


def prepare(case: Case, directory: Path, seed: int) -> tuple[str, list, list]:
    """Build, randomize, save; returns (path, samples, keras outputs)."""
    k = tf_keras() if case.fmt == "tf_h5" else keras()
    k.utils.set_random_seed(seed)
    model = case.build(k)
    randomize(model, seed, case.weight_scale)
    path = case.save(model, directory)
    samples = random_samples(model, case.n_samples(), seed + 1, case.steps, case.input_scale)
    return path, samples, keras_outputs(model, samples)
