"""Generates the bad-input corpus: broken or hostile model files derived from
files written by Keras (examples/har_lstm.keras, tests/fixtures/core/*.h5).

    python tests/bad_inputs/make_corpus.py [OUTDIR]     (default: tests/bad_inputs/corpus)

Each file name maps to the message fragment the CLI must print (CASES below);
tests/scenarios/test_bad_inputs.py runs the CLI on every file.  The corpus is small and
committed; the script regenerates it deterministically.
"""
from __future__ import annotations

import io
import json
import sys
import zipfile
from pathlib import Path

import h5py
import numpy as np

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "examples" / "har_lstm.keras"
TFK_H5 = REPO / "tests" / "fixtures" / "core" / "small_tfkeras.h5"
K3_H5 = REPO / "tests" / "fixtures" / "core" / "small_keras3.h5"

#: file name -> fragment expected in the one-line error
CASES = {
    "empty.keras": "the file is empty",
    "text.keras": "not a Keras model file",
    "random.bin": "not a Keras model file",
    "truncated.keras": ".keras",
    "no_config.keras": "no 'config.json'",
    "no_weights.keras": "no 'model.weights.h5'",
    "config_not_json.keras": "config.json is not valid JSON",
    "config_wrong_shape.keras": "not a JSON object",
    "config_layers_not_list.keras": "has no 'layers' list",
    "config_subclassed.keras": "subclassed models cannot be converted",
    "weights_missing.keras": "expected 3 weight tensor(s)",
    "weights_extra.keras": "expected 2 weight tensor(s)",
    "weights_wrong_shape.keras": "has shape (15, 5), expected (15, 3)",
    "weights_int32.keras": "expected float32 weights",
    "weights_float64_inexact.keras": "float64 values that float32 cannot represent exactly",
    "dim_zero.keras": "invalid dimension 0",
    "dim_negative.keras": "invalid dimension -3",
    "units_zero.keras": "'units' is 0, expected at least 1",
    "absurd_dataset.keras": "refusing",
    "zip_bomb.keras": "over the 67108864-byte limit",
    "unknown_class.keras": "'Frobnicator' is not supported",
    "lambda.keras": "Lambda layers hold Python code",
    "mixed_precision.keras": "mixed_float16",
    "external_link.h5": "external link",
    "virtual_dataset.h5": "virtual dataset",
    "weights_only_no_arch.h5": "--architecture",
    "h5_no_config.h5": "neither a Keras model nor a Keras weights file",
    "h5_config_not_json.h5": "model_config attribute is not valid JSON",
    # found by test_fuzz_reader.py: 80 zero bytes in the global heap make HDF5 spin forever
    # inside H5Aread (C code, which no Python timeout can interrupt)
    "hdf5_heap_hang.h5": "did not finish within",
}
#: files that convert successfully (with a warning where noted)
GOOD = {
    "weights_nan.keras": "NaN/Inf",
    "weights_float16.keras": "",
    "weights_float64_exact.keras": "",
    "zip_dotdot_member.keras": "",
}


def _members(src: Path) -> dict:
    with zipfile.ZipFile(src) as z:
        return {n: z.read(n) for n in z.namelist()}


def _zip(path: Path, members: dict, compress: bool = False) -> None:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED if compress else zipfile.ZIP_STORED) as z:
        for name, data in members.items():
            z.writestr(name, data)


def _edit_config(members: dict, edit) -> dict:
    m = dict(members)
    m["config.json"] = json.dumps(edit(json.loads(m["config.json"]))).encode()
    return m


def _edit_weights(members: dict, edit) -> dict:
    m = dict(members)
    buf = io.BytesIO(m["model.weights.h5"])
    with h5py.File(buf, "r+") as f:
        edit(f)
    m["model.weights.h5"] = buf.getvalue()
    return m


def _replace(f, path: str, data) -> None:
    del f[path]
    f.create_dataset(path, data=data)


def make(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    base = _members(EXAMPLE)
    rng = np.random.default_rng(0)
    (out / "empty.keras").write_bytes(b"")
    (out / "text.keras").write_text("this is not a model\n")
    (out / "random.bin").write_bytes(rng.integers(0, 256, 4096, dtype=np.uint8).tobytes())
    raw = EXAMPLE.read_bytes()
    (out / "truncated.keras").write_bytes(raw[: len(raw) // 2])
    _zip(out / "no_config.keras", {k: v for k, v in base.items() if k != "config.json"})
    _zip(out / "no_weights.keras", {k: v for k, v in base.items() if k != "model.weights.h5"})
    _zip(out / "config_not_json.keras", {**base, "config.json": b"{not json"})
    _zip(out / "config_wrong_shape.keras", {**base, "config.json": b"[1, 2, 3]"})
    _zip(out / "config_layers_not_list.keras", _edit_config(base, lambda c: {**c, "config": {**c["config"], "layers": 7}}))
    _zip(out / "config_subclassed.keras", _edit_config(base, lambda c: {**c, "class_name": "MyModel"}))

    def layer_cfg(idx, key, value):
        def edit(c):
            c["config"]["layers"][idx]["config"][key] = value
            return c
        return edit

    def layer_class(idx, value):
        def edit(c):
            c["config"]["layers"][idx]["class_name"] = value
            return c
        return edit

    _zip(out / "weights_missing.keras", _edit_weights(base, lambda f: f.__delitem__("layers/lstm_1/cell/vars/2")))
    _zip(out / "weights_extra.keras", _edit_weights(base, lambda f: f.create_dataset("layers/dense/vars/2", data=np.zeros(3, "f4"))))
    _zip(out / "weights_wrong_shape.keras", _edit_weights(base, lambda f: _replace(f, "layers/dense/vars/0", np.zeros((15, 5), "f4"))))
    _zip(out / "weights_int32.keras", _edit_weights(base, lambda f: _replace(f, "layers/dense/vars/1", np.zeros(3, "i4"))))
    _zip(out / "weights_float64_inexact.keras",
         _edit_weights(base, lambda f: _replace(f, "layers/dense/vars/1", np.array([0.1, 0.2, 0.3], "f8"))))
    _zip(out / "dim_zero.keras", _edit_config(base, layer_cfg(0, "batch_shape", [None, 0, 11])))
    _zip(out / "dim_negative.keras", _edit_config(base, layer_cfg(0, "batch_shape", [None, -3, 11])))
    _zip(out / "units_zero.keras", _edit_config(base, layer_cfg(3, "units", 0)))

    def absurd(f):  # declared 10^12 elements, never allocated (chunked, empty)
        del f["layers/dense/vars/0"]
        f.create_dataset("layers/dense/vars/0", shape=(1_000_000, 1_000_000), dtype="f4", chunks=(1, 1024))
    _zip(out / "absurd_dataset.keras", _edit_weights(base, absurd))
    _zip(out / "zip_bomb.keras", {**base, "config.json": b" " * (80 << 20)}, compress=True)
    _zip(out / "unknown_class.keras", _edit_config(base, layer_class(2, "Frobnicator")))
    _zip(out / "lambda.keras", _edit_config(base, layer_class(1, "Lambda")))
    _zip(out / "mixed_precision.keras", _edit_config(base, layer_cfg(3, "dtype", {
        "module": "keras", "class_name": "DTypePolicy", "config": {"name": "mixed_float16"}})))

    # HDF5 links that point outside the file: never followed.
    h5 = TFK_H5.read_bytes()
    (out / "external_link.h5").write_bytes(h5)
    with h5py.File(out / "external_link.h5", "r+") as f:
        del f["model_weights/dense"]
        f["model_weights/dense"] = h5py.ExternalLink("/etc/passwd_secret.h5", "/model_weights/dense")
    (out / "virtual_dataset.h5").write_bytes(h5)
    with h5py.File(out / "virtual_dataset.h5", "r+") as f:
        g = f["model_weights/dense"]
        name = [n for n in g.attrs["weight_names"] if "bias" in str(n)][0]
        name = name.decode() if isinstance(name, bytes) else name
        layout = h5py.VirtualLayout(shape=(2,), dtype="f4")
        layout[:] = h5py.VirtualSource("/tmp/outside.h5", "data", shape=(2,))
        del g[name]
        g.create_virtual_dataset(name, layout, fillvalue=0)
    with h5py.File(out / "weights_only_no_arch.h5", "w") as f, h5py.File(TFK_H5, "r") as src:
        for k, v in src["model_weights"].attrs.items():
            f.attrs[k] = v
        for k in src["model_weights"]:
            src.copy(src["model_weights"][k], f, name=k)
    with h5py.File(out / "h5_no_config.h5", "w") as f:
        f.create_dataset("x", data=np.zeros(3))
    (out / "h5_config_not_json.h5").write_bytes(h5)
    with h5py.File(out / "h5_config_not_json.h5", "r+") as f:
        f.attrs["model_config"] = "{broken"

    # Files that must convert.
    def nan_bias(f):
        b = f["layers/dense/vars/1"][()]
        b[0] = np.nan
        _replace(f, "layers/dense/vars/1", b)
    _zip(out / "weights_nan.keras", _edit_weights(base, nan_bias))

    def as_dtype(dt):
        def edit(f):
            for path in ("layers/dense/vars/0", "layers/dense/vars/1"):
                _replace(f, path, f[path][()].astype(dt))
        return edit
    _zip(out / "weights_float16.keras", _edit_weights(base, as_dtype("f2")))
    _zip(out / "weights_float64_exact.keras", _edit_weights(base, as_dtype("f8")))
    _zip(out / "zip_dotdot_member.keras", {**base, "../../k2j_evil.txt": b"must never be extracted"})
    hang = bytearray(K3_H5.read_bytes())
    for start, end in ((4737, 4787), (5898, 5922), (5928, 5929), (5936, 5937), (5944, 5948)):
        hang[start:end] = bytes(end - start)   # the zero runs hypothesis found (heap objects and headers)
    (out / "hdf5_heap_hang.h5").write_bytes(bytes(hang))


if __name__ == "__main__":
    make(Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parent / "corpus")
