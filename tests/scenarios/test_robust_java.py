"""The generated Java's argument checks, NaN propagation, odd weight dtypes
against Keras, corrupted or missing weight resources, and 8 threads."""
from __future__ import annotations

import shutil
import subprocess

import numpy as np
import pytest

from support.harness import JavaBatch
from support.util import REPO, read_csv

pytestmark = [pytest.mark.keras, pytest.mark.java]

EXAMPLE = REPO / "examples" / "har_lstm.keras"
CORPUS = REPO / "tests" / "bad_inputs" / "corpus"
INPUTS = [x.reshape(7, 11) for x in read_csv(REPO / "examples" / "har_lstm_inputs.csv")]


def _keras_outputs(path, samples):
    import keras

    model = keras.saving.load_model(str(path), compile=False)
    return [[y] for y in model.predict(np.stack(samples), verbose=0)]


def _relu_model(work):
    """Conv2D and Dense with ReLU (plain and capped) on images with a NaN pixel: TensorFlow's ReLU
    keeps NaN, so NaN reaches only the outputs whose window holds that pixel."""
    import keras

    keras.utils.set_random_seed(3)
    model = keras.Sequential([keras.Input((16, 16, 2)),
                              keras.layers.Conv2D(8, 3, padding="same", activation="relu"),
                              keras.layers.ReLU(max_value=6.0),
                              keras.layers.Dense(3, activation="relu")])
    path = work / "relu_nan.keras"
    model.save(path)
    rng = np.random.default_rng(5)
    inputs = [rng.standard_normal((16, 16, 2)).astype(np.float32) for _ in range(2)]
    inputs[0][7, 9, 1] = np.nan
    return path, inputs


@pytest.fixture(scope="module")
def batch(tmp_path_factory):
    work = tmp_path_factory.mktemp("robust")
    b = JavaBatch(work)
    nan_inputs = [x.copy() for x in INPUTS[:4]]
    nan_inputs[0][3, 5] = np.nan
    nan_inputs[1][0, 0] = np.inf
    nan_inputs[2][6, 10] = -np.inf
    b.add("nan_inputs", str(EXAMPLE), [[x] for x in nan_inputs], _keras_outputs(EXAMPLE, nan_inputs),
          package="k2jtest.robust.nan", class_name="M")
    relu, relu_inputs = _relu_model(work)
    b.add("relu_nan", str(relu), [[x] for x in relu_inputs], _keras_outputs(relu, relu_inputs),
          package="k2jtest.robust.relu", class_name="M")
    for name in ("weights_nan", "weights_float16", "weights_float64_exact"):
        path = CORPUS / f"{name}.keras"
        b.add(name, str(path), [[x] for x in INPUTS], _keras_outputs(path, INPUTS),
              package=f"k2jtest.robust.{name}", class_name="M")
    b.add("resource", str(EXAMPLE), [[x] for x in INPUTS[:1]], _keras_outputs(EXAMPLE, INPUTS[:1]),
          package="k2jtest.robust.res", class_name="R", weights="resource")
    b.run()
    probe_src = REPO / "tests" / "java" / "RobustnessProbe.java"
    subprocess.run(["javac", "--release", "8", "-nowarn", "-cp", str(work / "classes"), "-d", str(work / "classes"),
                    str(probe_src)], check=True)
    return b


@pytest.mark.parametrize("case", ["nan_inputs", "relu_nan", "weights_nan", "weights_float16", "weights_float64_exact", "resource"])
def test_matches_keras(batch, case):
    batch.cases[case].check()


def test_nan_really_propagates(batch):
    out = batch.cases["nan_inputs"].outputs
    assert np.isnan(out[0][0]).all()        # the NaN input gives NaN, as in Keras
    assert np.isfinite(out[3][0]).all()


def test_relu_keeps_nan(batch):
    out = batch.cases["relu_nan"].outputs[0][0].reshape(16, 16, 3)
    assert np.isnan(out[6:9, 8:11]).all()     # the 3x3 window around the NaN pixel, as in Keras
    assert np.isfinite(out[:5]).all()


@pytest.fixture(scope="module")
def relu_vector(tmp_path_factory):
    """The ReLU case compiled with the vector kernels too (then rerun with the others)."""
    work = tmp_path_factory.mktemp("relu_vector")
    b = JavaBatch(work, kernels="vector")
    relu, relu_inputs = _relu_model(work)
    b.add("relu_nan", str(relu), [[x] for x in relu_inputs], _keras_outputs(relu, relu_inputs),
          package="k2jtest.robust.reluv", class_name="M")
    b.run()
    return b


@pytest.mark.parametrize("kernels", ["vector", "portable", "fma"])
def test_relu_keeps_nan_with_every_kernel_tier(relu_vector, kernels):
    c = relu_vector.cases["relu_nan"]
    vector = c.outputs
    if kernels != "vector":
        c.outputs = relu_vector.rerun(kernels)["relu_nan"]
    try:
        c.check()
    finally:
        c.outputs = vector


def _probe(batch, cls, mode, extra_cp=None):
    cp = [str(batch.workdir / "classes"), str(extra_cp or batch.src)]
    proc = subprocess.run(["java", "-cp", ":".join(cp), "RobustnessProbe", cls, mode],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout.strip().splitlines()


def test_argument_checks(batch):
    lines = _probe(batch, "k2jtest.robust.nan.M", "args")
    assert len(lines) == 5 and all(line.startswith("OK ") for line in lines), lines
    assert "expected shape [7, 11] = 77 floats, got 76 floats" in lines[0]
    assert "null" in lines[1] and "empty" not in lines[1]
    assert "got 0 floats" in lines[2]
    assert "expected 1 input array(s), got 2" in lines[4]


def test_eight_threads_identical_to_one(batch):
    lines = _probe(batch, "k2jtest.robust.nan.M", "threads")
    assert lines == ["OK threads: 8 threads x 1000 predictions identical to one thread"]


def _copy_resource_tree(batch, tmp_path):
    tree = tmp_path / "res"
    shutil.copytree(batch.src / "k2jtest" / "robust" / "res", tree / "k2jtest" / "robust" / "res")
    return tree, tree / "k2jtest" / "robust" / "res" / "R.weights"


def test_corrupted_resource_names_resource_and_checksum(batch, tmp_path):
    tree, res = _copy_resource_tree(batch, tmp_path)
    data = bytearray(res.read_bytes())
    data[100] ^= 0x01
    res.write_bytes(bytes(data))
    classes_only = tmp_path / "cls"
    shutil.copytree(batch.workdir / "classes", classes_only)
    for stray in (classes_only / "k2jtest" / "robust" / "res").glob("*.weights"):
        stray.unlink()
    proc = subprocess.run(["java", "-cp", f"{classes_only}:{tree}", "RobustnessProbe", "k2jtest.robust.res.R", "load"],
                          capture_output=True, text=True)
    line = proc.stdout.strip()
    assert line.startswith("OK load: java.lang.IllegalStateException"), line + proc.stderr
    assert "R.weights" in line and "corrupted" in line and "SHA-256" in line and "expected" in line


def test_missing_resource_is_named(batch, tmp_path):
    tree, res = _copy_resource_tree(batch, tmp_path)
    res.unlink()
    proc = subprocess.run(["java", "-cp", f"{batch.workdir / 'classes'}:{tree}", "RobustnessProbe",
                           "k2jtest.robust.res.R", "load"], capture_output=True, text=True)
    line = proc.stdout.strip()
    assert line.startswith("OK load:") and "R.weights" in line and "missing" in line, line + proc.stderr


def test_truncated_resource(batch, tmp_path):
    tree, res = _copy_resource_tree(batch, tmp_path)
    res.write_bytes(res.read_bytes()[:-4])
    proc = subprocess.run(["java", "-cp", f"{batch.workdir / 'classes'}:{tree}", "RobustnessProbe",
                           "k2jtest.robust.res.R", "load"], capture_output=True, text=True)
    assert "truncated" in proc.stdout, proc.stdout


def test_parallel_batch_api_matches_predict_all(batch):
    lines = _probe(batch, "k2jtest.robust.nan.M", "batch")
    assert lines == ["OK batch: predictAllBatch equals predictAll for 0, 1, 2, 5 threads"]
