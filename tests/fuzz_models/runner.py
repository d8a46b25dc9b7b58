"""Run random model specs through Keras and keras2java and classify every file.

For each spec and format (Keras 3 ``.keras``, Keras 3 ``.h5``, tf-keras ``.h5``) the model
is built, its weights randomized, saved, converted with the Python API and added to one
:class:`support.harness.JavaBatch`; the batch is compiled with one javac and run in one JVM.

Classes of a file:

* ``ok``       every output of every sample within ``TOLERANCE`` (1e-5, ``support.harness.max_error``);
* ``refused``  ``keras2java`` raised ``Keras2JavaError`` (the reason is kept);
* ``noise``    outside the tolerance, but Java is no further from Keras run in float64 than
               Keras' own float32 result is (see :func:`is_noise`);
* ``mismatch`` outside the tolerance and not noise, or a different number/size of outputs;
* ``crash``    any other exception from the converter, javac failing on generated code, or Java
               throwing on a valid input;
* ``skipped``  the Keras flavour cannot build or save this spec (e.g. a Keras-3-only option in tf-keras).

**Noise rule.** For a file outside the tolerance the same architecture is rebuilt with
``floatx = float64`` (Keras 3: ``keras.config.set_floatx`` and the float64 dtype policy;
tf-keras: ``tf_keras.backend.set_floatx``), the float32 weights are copied in, and the same
float32 samples are run in float64 (``k64``).  For every output of every sample
``max_error(java, k64) <= NOISE_FACTOR * max_error(k32, k64) + NOISE_SLACK`` must hold for the
file to be called noise (``max_error`` is the harness metric: absolute, relative above 1).
NOISE_FACTOR = 1.25 and NOISE_SLACK = 1e-6 allow for Java's own float32 rounding being
as large as Keras', in a different order.  Where the whole model cannot run in float64 (an op
without float64 kernels, such as TensorFlow's CPU AvgPool3D), each output outside the tolerance
is rerun on its own (a model from the same inputs to that output), so the op only blocks the rule
for the outputs that depend on it.
"""
from __future__ import annotations

import json
import os
import shutil
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

import numpy as np

from support.harness import TOLERANCE, JavaBatch, JavaCase, max_error

from .spec import build, describe

FORMATS = ("keras", "h5", "tf_h5")
NOISE_FACTOR = 1.25
NOISE_SLACK = 1e-6


def keras_module(fmt: str):
    if fmt == "tf_h5":
        import tf_keras
        return tf_keras
    import keras
    return keras


@dataclass
class FileResult:
    index: int
    fmt: str
    spec: dict
    cls: str = "ok"
    reason: str = ""
    error: float = 0.0
    k64_error: Optional[float] = None
    weights: list = field(default_factory=list, repr=False)
    samples: list = field(default_factory=list, repr=False)
    expected: list = field(default_factory=list, repr=False)
    case: Optional[JavaCase] = field(default=None, repr=False)

    def to_json(self) -> dict:
        return {"index": self.index, "seed": self.spec.get("seed"), "format": self.fmt, "class": self.cls,
                "reason": self.reason[:2000], "error": self.error, "k64_error": self.k64_error}


def randomize(model, seed: int, scale: float = 0.5) -> None:
    """Random weights (variances positive) so every weight matters."""
    rng = np.random.default_rng(seed)
    for w in model.weights:
        name = getattr(w, "path", None) or w.name
        dtype = str(getattr(w.dtype, "name", w.dtype))
        if "int" in dtype:
            continue
        shape = tuple(w.shape)
        if "variance" in name:
            value = rng.uniform(0.5, 1.5, shape)
        else:
            value = rng.uniform(-scale, scale, shape)
        w.assign(value.astype(dtype))


def make_samples(spec: dict, n: int, seed: int) -> list:
    """``n`` samples (a list of one float32 array per input); variable lengths are shared by all inputs."""
    rng = np.random.default_rng(seed)
    samples = []
    for _ in range(n):
        L = int(rng.choice(spec["lengths"])) if spec.get("lengths") else 0
        sample = []
        for inp in spec["inputs"]:
            shape = [L if d is None else d for d in inp["shape"]]
            if inp["data"] == "tokens":
                a = rng.integers(1, inp["vocab"], shape).astype(np.float32)
                if shape[0] > 2 and rng.random() < 0.8:       # padding at the end, sometimes a hole
                    a[shape[0] - int(rng.integers(1, shape[0] // 2 + 1)):] = 0
                    if rng.random() < 0.3:
                        a[int(rng.integers(1, shape[0]))] = 0
            else:
                a = rng.uniform(-1, 1, shape).astype(np.float32)
                if inp["data"] == "padded" and shape[0] > 2 and rng.random() < 0.8:
                    a[shape[0] - int(rng.integers(1, shape[0] // 2 + 1)):] = 0
                    if rng.random() < 0.3:
                        a[int(rng.integers(1, shape[0]))] = 0
            sample.append(a)
        samples.append(sample)
    return samples


def keras_outputs(model, samples: list, dtype=np.float32) -> list:
    result = []
    for s in samples:
        args = [a[None].astype(dtype) for a in s]
        out = model(args if len(args) > 1 else args[0], training=False)
        outs = out if isinstance(out, (list, tuple)) else [out]
        result.append([np.asarray(o)[0] for o in outs])
    return result


def _clear(k) -> None:
    try:
        k.backend.clear_session()
    except Exception:
        pass


def float64_outputs(spec: dict, fmt: str, weights: list, samples: list, output: Optional[int] = None) -> list:
    """Keras' outputs for ``samples`` with the same weights, computed in float64; with ``output``,
    only that output of the model (a model of its own from the same inputs: one output each)."""
    k = keras_module(fmt)

    def run() -> list:
        model = build(spec, k)
        model.set_weights([np.asarray(w, np.float64) if np.asarray(w).dtype.kind == "f" else w for w in weights])
        if output is not None:
            model = k.Model(model.inputs, model.outputs[output])
        return keras_outputs(model, samples, np.float64)

    if fmt == "tf_h5":
        k.backend.set_floatx("float64")
        try:
            return run()
        finally:
            k.backend.set_floatx("float32")
            _clear(k)
    old_policy = k.config.dtype_policy()
    k.config.set_floatx("float64")
    k.config.set_dtype_policy("float64")
    try:
        return run()
    finally:
        k.config.set_floatx("float32")
        k.config.set_dtype_policy(old_policy)
        _clear(k)


def float64_outputs_each(spec: dict, fmt: str, weights: list, samples: list, outputs: list, n_outputs: int) -> list:
    """:func:`float64_outputs` one output at a time, for the ``outputs`` listed: per sample, each
    output's float64 values, or None for an output not listed or whose own graph has no float64
    kernels.  (An op without them on one branch, such as TensorFlow's CPU AvgPool3D, then leaves the
    other outputs checkable.)"""
    per = {}
    for i in outputs:
        try:
            per[i] = float64_outputs(spec, fmt, weights, samples, output=i)
        except Exception:
            per[i] = None
    return [[per[i][s][0] if per.get(i) is not None else None for i in range(n_outputs)]
            for s in range(len(samples))]


def is_noise(java: list, k32: list, k64: list) -> tuple[bool, float]:
    """The noise rule over all samples/outputs; returns (noise?, worst max_error(k32, k64))."""
    worst_k = 0.0
    noise = True
    for got_s, e32_s, e64_s in zip(java, k32, k64):
        for g, e32, e64 in zip(got_s, e32_s, e64_s):
            if e64 is None:   # an output within the tolerance, not rerun in float64
                continue
            d_k = max_error(e32, e64)
            d_j = max_error(g, e64)
            worst_k = max(worst_k, d_k)
            if max_error(g, e32) > TOLERANCE and not d_j <= NOISE_FACTOR * d_k + NOISE_SLACK:
                noise = False
    return noise, worst_k


def prepare_file(index: int, spec: dict, fmt: str, directory: Path, samples: list, seed: int) -> FileResult:
    """Build, randomize, save with Keras and record the reference outputs."""
    res = FileResult(index, fmt, spec, samples=samples)
    k = keras_module(fmt)
    try:
        k.utils.set_random_seed(seed)
        model = build(spec, k)
        randomize(model, seed)
        path = directory / f"m{index}_{fmt}{'.keras' if fmt == 'keras' else '.h5'}"
        model.save(str(path))
        res.expected = keras_outputs(model, samples)
        res.weights = model.get_weights()
        res.reason = str(path)
    except Exception as exc:   # the Keras flavour cannot build/save/run this spec
        res.cls = "skipped"
        res.reason = f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"[:300]
    finally:
        _clear(k)
    return res


def convert_into(res: FileResult, batch: JavaBatch, package: str) -> None:
    from keras2java import Keras2JavaError, convert

    path = res.reason
    res.reason = ""
    try:
        convert(path, str(batch.src), package=package, class_name="M")
    except Keras2JavaError as exc:
        res.cls, res.reason = "refused", str(exc)
        return
    except Exception:
        res.cls, res.reason = "crash", "converter: " + traceback.format_exc()[-1500:]
        return
    case = JavaCase(f"{package}", f"{package}.M", res.samples, res.expected)
    batch.cases[case.case_id] = case
    res.case = case
    res.reason = path


def classify(res: FileResult) -> None:
    c = res.case
    if c is None:
        return
    if c.compile_error is not None:
        res.cls, res.reason = "crash", "javac: " + c.compile_error[-1500:]
        return
    if c.run_error is not None:
        res.cls, res.reason = "crash", "java: " + c.run_error[-1500:]
        return
    worst = 0.0
    for s, (got, exp) in enumerate(zip(c.outputs, c.expected)):
        if isinstance(got, str):
            res.cls, res.reason = "crash", f"java exception on sample {s}: {got[:500]}"
            return
        if len(got) != len(exp) or any(g.size != np.asarray(e).size for g, e in zip(got, exp)):
            res.cls, res.reason = "mismatch", (f"sample {s}: output sizes {[g.size for g in got]}, "
                                               f"Keras {[np.asarray(e).size for e in exp]}")
            res.error = float("inf")
            return
        for g, e in zip(got, exp):
            worst = max(worst, max_error(g, e))
    if len(c.outputs) != len(c.expected):
        res.cls, res.reason = "crash", "missing outputs"
        return
    res.error = worst
    if worst <= TOLERANCE:
        res.cls = "ok"
        return
    try:
        k64 = float64_outputs(res.spec, res.fmt, res.weights, res.samples)
    except Exception as exc:
        # rerun the outputs outside the tolerance one at a time: the op that has no float64
        # kernels may sit on another output's branch
        n_out = len(c.expected[0])
        failing = [i for i in range(n_out)
                   if any(max_error(g[i], e[i]) > TOLERANCE for g, e in zip(c.outputs, c.expected))]
        k64 = float64_outputs_each(res.spec, res.fmt, res.weights, res.samples, failing, n_out)
        if any(k64[0][i] is None for i in failing):
            res.cls, res.reason = "mismatch", f"max error {worst:.3g} (float64 rerun failed: {exc})"
            return
    noise, k_err = is_noise(c.outputs, c.expected, k64)
    res.k64_error = k_err
    res.cls = "noise" if noise else "mismatch"
    res.reason = f"max error {worst:.3g}, keras32 vs keras64 {k_err:.3g}"


def run_batch(specs: list, workdir: Path, formats_for=lambda i: FORMATS, n_samples: int = 3,
              start_index: int = 0, kernels: str = "auto") -> list:
    """Prepare, convert, compile once, run once with ``kernels`` (a key of harness.KERNEL_OPTIONS),
    classify. Returns FileResults."""
    workdir = Path(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    models_dir = workdir / "models"
    models_dir.mkdir(exist_ok=True)
    batch = JavaBatch(workdir, kernels)
    results = []
    for j, spec in enumerate(specs):
        i = start_index + j
        samples = make_samples(spec, n_samples, spec["seed"] + 17)
        for fmt in formats_for(i):
            res = prepare_file(i, spec, fmt, models_dir, samples, spec["seed"] + 29)
            if res.cls == "skipped":
                results.append(res)
                continue
            convert_into(res, batch, f"fz.m{i}.{fmt}")
            results.append(res)
    batch.run()
    live = [r for r in results if r.case is not None]
    if any(r.case.compile_error is not None for r in live) and len(live) > 1:
        _isolate(live, workdir, kernels)
    for r in results:
        classify(r)
    return results


def _isolate(live: list, workdir: Path, kernels: str) -> None:
    """One javac failure fails the batch: compile and run each file alone to find the culprit."""
    from keras2java import convert

    for n, r in enumerate(live):
        sub = JavaBatch(workdir / f"iso{n}", kernels)
        package = r.case.case_id
        convert(r.reason, str(sub.src), package=package, class_name="M")
        case = JavaCase(package, f"{package}.M", r.samples, r.expected)
        sub.cases[package] = case
        sub.run()
        r.case = case


def write_result_line(fh, res: FileResult) -> None:
    row = res.to_json()
    if res.cls in ("mismatch", "crash", "noise"):
        row["spec"] = res.spec
    fh.write(json.dumps(row) + "\n")
    fh.flush()


def summarize(results: list) -> dict:
    counts: dict = {}
    for r in results:
        counts[r.cls] = counts.get(r.cls, 0) + 1
    return counts


def refusal_keys(reason: str) -> list:
    """Grouping keys of a refusal: one per problem, "(LayerClass): reason" with layer names,
    quoted names and numbers blanked, without the list of supported classes."""
    import re
    text = reason.split(" Supported layer classes:")[0]
    text = re.sub(r"^cannot convert model: \d+ problem\(s\): ", "", text.strip())
    keys = []
    for part in re.split(r"; (?=layer ')", text):
        part = re.sub(r"^layer '[^']*' ", "", part)
        part = re.sub(r"'[^']*'", "'…'", part)
        part = re.sub(r"\b\d+\b", "N", part)
        keys.append(part.strip().rstrip(".")[:200])
    return keys or [""]


def refusal_key(reason: str) -> str:
    return refusal_keys(reason)[0]
