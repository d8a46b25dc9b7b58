"""Golden vectors: input/output pairs recorded at generation time and emitted
as a self-checking Java class (``<Class>Golden``, dependency-free, with a
``main``) plus an optional JUnit 5 or JUnit 4 test that calls it.

Outputs come from Keras when it can be imported and can load the model (Keras
3 for files written by Keras 3, tf-keras for Keras 1/2 files, so that each
file keeps its own semantics); otherwise from keras2java's numpy reference
(:mod:`keras2java.reference`).  The emitted class states which one.
"""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from typing import Optional, Sequence

import numpy as np

from . import reference
from ._version import __version__
from .emit import weights as wlayout
from .errors import OptionError
from .analysis import steps_multiple, token_range
from .ir import Model

DEFAULT_SAMPLES = 5
DEFAULT_STEPS = 8
TOLERANCE = 1e-5


@dataclass(frozen=True)
class Golden:
    reference: str                       # who produced the outputs, e.g. "Keras 3.15.1"
    inputs: tuple[tuple[np.ndarray, ...], ...]    # per sample, per model input
    outputs: tuple[tuple[np.ndarray, ...], ...]   # per sample, per model output
    note: str = ""                       # why Keras was not used, if it was not


def make_inputs(model: Model, samples: int, seed: int = 0) -> list[list[np.ndarray]]:
    """Random samples: uniform in [-1, 1), token ids for Embedding inputs,
    ``DEFAULT_STEPS`` (or fewer, varying) timesteps on variable time axes; multiples
    of ``m`` timesteps (at least as many, varying) when the model needs them; as many as
    ``DEFAULT_STEPS`` (or fewer, varying) on any other variable axis (images of any size)."""
    rng = np.random.default_rng(seed)
    m = steps_multiple(model)
    out = []
    for s in range(samples):
        sample = []
        for port in model.inputs:
            shape = list(model.tensor(port.tensor).shape)
            if shape and shape[0] is None:
                shape[0] = DEFAULT_STEPS - (s % 3) if m == 1 else m * (-(-DEFAULT_STEPS // m) + s % 3)
            shape = [DEFAULT_STEPS - ((s + a) % 3) if d is None else d for a, d in enumerate(shape)]
            vocab = token_range(model, port.tensor)
            if vocab is not None:
                sample.append(rng.integers(0, vocab, shape).astype(np.float32))
            else:
                sample.append(rng.uniform(-1, 1, shape).astype(np.float32))
        out.append(sample)
    return out


def _keras_outputs(model: Model, path: str, samples) -> tuple[Optional[list], str, str]:
    """(outputs, reference name, note); outputs is None when Keras cannot be used."""
    if model.source.format not in ("keras-v3-zip", "legacy-h5"):
        return None, "", "weights-only files are checked against the numpy reference"
    import os  # noqa: PLC0415
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    # oneDNN's graph rewrites (on by default on AVX-512 VNNI CPUs) alter Keras' results and break
    # some tf-keras layers; the reference is TensorFlow's plain CPU kernels.  Takes effect only
    # when TensorFlow is first imported here.
    os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")
    try:
        with _quiet_native_stderr():   # TensorFlow's C++ start-up lines bypass TF_CPP_MIN_LOG_LEVEL
            return _keras_outputs_loaded(model, path, samples)
    except ImportError:
        return None, "", "Keras is not installed"
    except Exception as exc:  # noqa: BLE001 - any failure to load or run: fall back, and say why
        return None, "", f"Keras could not load or run the model ({type(exc).__name__})"


class _quiet_native_stderr:
    """Points file descriptor 2 at /dev/null for the duration (Python-level
    errors are exceptions and are unaffected)."""

    def __enter__(self):
        import os  # noqa: PLC0415
        import sys  # noqa: PLC0415
        sys.stderr.flush()
        self.saved = os.dup(2)
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 2)
        os.close(devnull)
        return self

    def __exit__(self, *exc):
        import os  # noqa: PLC0415
        os.dup2(self.saved, 2)
        os.close(self.saved)
        return False


def _keras_outputs_loaded(model: Model, path: str, samples) -> tuple[Optional[list], str, str]:
    if model.source.keras_major >= 3:
        import keras  # noqa: PLC0415 - optional, heavy
        loaded = keras.saving.load_model(path, compile=False)
        name = f"Keras {keras.__version__}"
    else:
        import tf_keras  # noqa: PLC0415 - keeps Keras 2 semantics (hard_sigmoid, ...)
        loaded = tf_keras.models.load_model(path, compile=False)
        name = f"tf-keras {tf_keras.__version__}"
    outs = []
    for sample in samples:
        for layer in getattr(loaded, "layers", ()):   # every sample starts from zero states
            if getattr(layer, "stateful", False):
                (getattr(layer, "reset_states", None) or layer.reset_state)()
        y = loaded([x[None, ...] for x in sample] if len(sample) > 1 else sample[0][None, ...], training=False)
        ys = y if isinstance(y, (list, tuple)) else [y]
        outs.append([np.asarray(t)[0].astype(np.float32) for t in ys])
    return outs, name, ""


REFERENCES = ("auto", "keras", "numpy")


def record(model: Model, path: str, samples: int = DEFAULT_SAMPLES,
           inputs: Optional[Sequence[Sequence[np.ndarray]]] = None, reference_kind: str = "auto") -> Golden:
    """Record golden vectors for ``model`` (read from ``path``).  ``reference_kind``:
    "auto" (Keras if usable, else numpy), "keras" (Keras or an error) or "numpy"."""
    if reference_kind not in REFERENCES:
        raise OptionError(f"--reference {reference_kind!r}: expected one of {', '.join(REFERENCES)}")
    text = [p.keras_name for p in model.inputs if model.tensor(p.tensor).dtype == "string"]
    if text:
        raise OptionError(f"golden vectors (--with-test, verify) take float inputs; the model's input(s) {text} "
                          "are text: text models are not supported there yet")
    if inputs is None:
        if samples < 1:
            raise OptionError(f"--test-samples {samples}: expected at least 1")
        inputs = make_inputs(model, samples)
    inputs = [[np.asarray(x, np.float32) for x in s] for s in inputs]
    if reference_kind == "numpy":
        outs, name, note = None, "", "the numpy reference was requested"
    else:
        outs, name, note = _keras_outputs(model, path, inputs)
        if outs is None and reference_kind == "keras":
            raise OptionError(f"--reference keras: {note}; install tensorflow (and tf-keras for Keras 2 files)")
    if outs is None:
        outs = [reference.predict(model, s) for s in inputs]
        name = f"the keras2java {__version__} numpy reference"
    return Golden(name, tuple(tuple(s) for s in inputs), tuple(tuple(o) for o in outs), note)


# -- emission ------------------------------------------------------------------


@dataclass(frozen=True)
class GoldenView:
    package: str
    class_name: str
    golden_class: str
    runtime_package: str
    version: str
    reference: str                     # who produced the outputs (raw: templates escape it)
    reference_doc: str
    samples: int
    input_lengths: tuple[tuple[int, ...], ...]     # per sample, per input
    output_lengths: tuple[tuple[int, ...], ...]
    output_names: tuple[str, ...]      # Keras names (raw)
    count: int
    sha256: str
    holders: tuple
    tolerance: str
    junit: str                         # "5", "4" or "none"
    #: per sample, each input's shape, when some input has several variable axes (passed with
    #: the inputs: ``predictAll(inputs, shapes)``), else empty
    input_shapes: tuple = ()


def golden_view(model: Model, golden: Golden, package: str, class_name: str, runtime_package: str,
                junit: str, tolerance: float = TOLERANCE) -> GoldenView:
    """``tolerance``: the accuracy contract, 1e-5 for float32 weights, wider for compressed
    storage (:func:`keras2java.emit.weights.storage_tolerance`)."""
    from .ir import WeightTensor  # noqa: PLC0415

    flat = []
    for ins, outs in zip(golden.inputs, golden.outputs):
        flat.extend(np.ravel(x) for x in ins)
        flat.extend(np.ravel(y) for y in outs)
    data = np.concatenate(flat).astype("<f4") if flat else np.zeros(0, "<f4")
    holders = wlayout.chunk_holders(wlayout.base64_chunks([WeightTensor("golden", "golden", data)]))
    return GoldenView(
        package=package, class_name=class_name, golden_class=f"{class_name}Golden", runtime_package=runtime_package,
        version=__version__, reference=golden.reference,
        reference_doc=re.sub(r"[^A-Za-z0-9 .\-]", "_", golden.reference)[:120],
        samples=len(golden.inputs),
        input_lengths=tuple(tuple(int(np.size(x)) for x in s) for s in golden.inputs),
        output_lengths=tuple(tuple(int(np.size(y)) for y in s) for s in golden.outputs),
        output_names=tuple(p.keras_name for p in model.outputs),
        count=int(data.size), sha256=hashlib.sha256(data.tobytes()).hexdigest(),
        holders=holders, tolerance=format_tolerance(tolerance), junit=junit,
        input_shapes=tuple(tuple(tuple(int(d) for d in np.shape(x)) for x in s) for s in golden.inputs)
        if inputs_need_shapes(model) else ())


def inputs_need_shapes(model: Model) -> bool:
    """Inputs with several variable axes: ``predictAll`` takes their shapes with them."""
    return any(list(model.tensor(p.tensor).shape).count(None) > 1 for p in model.inputs)


def format_tolerance(tolerance: float) -> str:
    """A Java double literal that reads back as ``tolerance`` (1e-05 -> "1e-5")."""
    text = repr(float(tolerance))
    return text.replace("e-0", "e-").replace("e+0", "e+")
