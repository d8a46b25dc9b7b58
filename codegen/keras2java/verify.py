"""``keras2java verify``: generate, compile and run the Java on sample inputs,
and compare with Keras (or the numpy reference) output by output."""
from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from typing import Optional, Sequence

import numpy as np

from .errors import OptionError


def _load_inputs(files: Sequence[str], shapes) -> list[list[np.ndarray]]:
    n_inputs = len(shapes)
    if len(files) != n_inputs:
        raise OptionError(f"--inputs: the model has {n_inputs} input(s), got {len(files)} .npy file(s)")
    arrays = []
    for f in files:
        try:
            a = np.load(f, allow_pickle=False)
        except (OSError, ValueError) as exc:
            raise OptionError(f"--inputs {f}: not a readable .npy file ({exc})") from None
        shape = shapes[len(arrays)]
        if a.ndim != len(shape) + 1 or any(d is not None and d != n for d, n in zip(shape, a.shape[1:])) \
                or 0 in a.shape:
            want = "(samples, " + ", ".join("timesteps" if d is None else str(d) for d in shape) + ")"
            raise OptionError(f"--inputs {f}: shape {a.shape}, expected {want}")
        arrays.append(a.astype(np.float32))
    n = {len(a) for a in arrays}
    if len(n) != 1:
        raise OptionError(f"--inputs: the files hold different numbers of samples: {sorted(n)}")
    return [[a[i] for a in arrays] for i in range(n.pop())]


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise OptionError(f"{name} not found on PATH: verify needs a JDK (8 or newer)")
    return path


def verify(path: str, samples: int = 20, inputs: Optional[Sequence[str]] = None, reference: str = "auto",
           architecture: Optional[str] = None, weights_storage: str = "float32") -> tuple[bool, str]:
    """Returns (every output within the tolerance, the report text).  The tolerance is 1e-5
    for float32 weights and the storage's (``storage_tolerance``) for compressed ones."""
    from .emit.weights import UNIT_ERROR, storage_tolerance
    from .pipeline import ConvertOptions, TestOptions, convert_file, load

    javac, java = _tool("javac"), _tool("java")
    if inputs:
        model = load(path, architecture)
        given = _load_inputs(inputs, [model.tensor(p.tensor).shape for p in model.inputs])
    else:
        given = None
    with tempfile.TemporaryDirectory(prefix="keras2java-verify-") as tmp:
        src, classes = os.path.join(tmp, "src"), os.path.join(tmp, "classes")
        options = ConvertOptions(package="keras2java.verify", class_name="Model", architecture=architecture,
                                 test=TestOptions("none", samples, None, reference, given),
                                 weights_storage=weights_storage)
        result = convert_file(path, src, options)
        sources = [os.path.join(src, f) for f in result.files if f.endswith(".java")]
        comp = subprocess.run([javac, "-nowarn", "-encoding", "UTF-8", "-d", classes] + sources,
                              capture_output=True, text=True)
        if comp.returncode != 0:
            raise OptionError(f"javac failed on the generated sources: {comp.stderr.strip().splitlines()[0]}")
        run = subprocess.run([java, "-cp", classes + os.pathsep + src, "keras2java.verify.ModelGolden"],
                             capture_output=True, text=True)
    text = run.stdout.replace("Model: ", f"{os.path.basename(path)}: ", 1)
    if weights_storage == "float32":
        text += "weights float32 (bit-exact storage): tolerance 1e-05\n"
    else:
        text += (f"weights stored as {weights_storage}: tolerance {storage_tolerance(weights_storage):g} "
                 f"(16 x its relative rounding error {UNIT_ERROR[weights_storage]:.3g}, rounded up); the max errors above "
                 f"are the accuracy cost of the storage\n")
    return run.returncode == 0, text
