"""``--weights-storage float32|float16|bfloat16|int8`` against Keras.

Compressed weights are expanded to float32 at load; every mode must match Keras'
own predictions within its stated tolerance (``storage_tolerance``), float32 must
stay bit-exact (the same files as without the option, within 1e-5), and the
runtime's expansion must give back exactly the values the generator stored.
"""
from __future__ import annotations

import subprocess

import numpy as np
import pytest

from keras2java import OptionError, convert
from keras2java.emit import runtime_package
from keras2java.emit.weights import (STORAGES, UNIT_ERROR, packed_pieces, segment_storage, storage_tolerance,
                                     stored_values)
from keras2java.ir import WeightTensor
from support.harness import JavaBatch, java_bin
from support.keras_cases import keras, keras_outputs, random_samples, randomize
from support.util import run_cli

MODELS = {
    # name: (builder, weights mode); the builders take the keras module
    "lstm_softmax": (lambda k: k.Sequential([k.Input((10, 6)), k.layers.LSTM(16, return_sequences=True),
                                             k.layers.LSTM(12), k.layers.Dense(4, activation="softmax")]),
                     "resource"),
    "gru_regression": (lambda k: k.Sequential([k.Input((None, 5)), k.layers.GRU(20), k.layers.Dense(8),
                                               k.layers.Dense(3)]), "embedded"),
    "conv_bilstm": (lambda k: k.Sequential([k.Input((12, 4)), k.layers.Conv1D(8, 3, activation="relu"),
                                            k.layers.BatchNormalization(),
                                            k.layers.Bidirectional(k.layers.LSTM(6)), k.layers.Dense(2)]),
                    "embedded"),
    "embedding_rnn": (lambda k: k.Sequential([k.Input((7,)), k.layers.Embedding(30, 8),
                                              k.layers.SimpleRNN(10), k.layers.Dense(5, activation="tanh")]),
                      "resource"),
}


@pytest.fixture(scope="module")
def batch(tmp_path_factory):
    k = keras()
    work = tmp_path_factory.mktemp("wstorage")
    b = JavaBatch(work)
    for n, (name, (build, weights)) in enumerate(MODELS.items()):
        k.utils.set_random_seed(30 + n)
        m = build(k)
        randomize(m, 30 + n)
        for layer in m.layers:
            if isinstance(layer, k.layers.BatchNormalization):   # a positive variance, not NaN outputs
                g, b_, mean, var = layer.get_weights()
                layer.set_weights([g, b_, mean, np.abs(var) + 0.5])
        path = work / f"{name}.keras"
        m.save(path)
        samples = random_samples(m, 12, 40 + n)
        if name == "embedding_rnn":
            samples = [[np.floor((s[0] + 1) * 15).astype(np.float32)] for s in samples]
        expected = keras_outputs(m, samples)
        for storage in STORAGES:
            b.add(f"{name}/{storage}", str(path), samples, expected, package=f"k2jtest.ws.{name}.{storage}",
                  class_name="M", weights=weights, weights_storage=storage)
    b.run()
    return b


@pytest.mark.keras
@pytest.mark.java
@pytest.mark.parametrize("storage", STORAGES)
@pytest.mark.parametrize("model", sorted(MODELS))
def test_storage_matches_keras_within_its_tolerance(batch, model, storage):
    case = batch.cases[f"{model}/{storage}"]
    assert all(np.all(np.isfinite(o)) for s in case.expected for o in s)
    worst = case.check(storage_tolerance(storage))
    if storage != "float32":
        # the stated tolerance is not vacuous: the storage does cost accuracy, well inside it
        assert 0 < worst <= storage_tolerance(storage)


@pytest.mark.keras
@pytest.mark.java
def test_float32_is_the_default_and_unchanged(batch, tmp_path):
    """float32 writes the same files as no option at all: raw little-endian float32."""
    src = batch.workdir / "lstm_softmax.keras"
    convert(str(src), str(tmp_path / "a"), package="p", class_name="M", weights="resource")
    convert(str(src), str(tmp_path / "b"), package="p", class_name="M", weights="resource", weights_storage="float32")
    files = sorted(p.relative_to(tmp_path / "a") for p in (tmp_path / "a").rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(tmp_path / "b") for p in (tmp_path / "b").rglob("*") if p.is_file())
    for f in files:
        assert (tmp_path / "a" / f).read_bytes() == (tmp_path / "b" / f).read_bytes(), f
    k = keras()
    m = k.models.load_model(src)
    raw = b"".join(np.asarray(w, "<f4").tobytes() for w in m.get_weights())
    assert (tmp_path / "a" / "p" / "M.weights").read_bytes() == raw


@pytest.mark.keras
@pytest.mark.java
@pytest.mark.parametrize("storage,ratio", [("float16", 0.55), ("bfloat16", 0.55), ("int8", 0.4)])
def test_compressed_weights_are_smaller(batch, storage, ratio):
    base = (batch.src / "k2jtest/ws/lstm_softmax/float32/M.weights").stat().st_size
    size = (batch.src / f"k2jtest/ws/lstm_softmax/{storage}/M.weights").stat().st_size
    assert size <= base * ratio, (size, base)   # small model: biases and int8 scales stay float32
    embedded = (batch.src / f"k2jtest/ws/gru_regression/{storage}/MWeights.java").stat().st_size
    assert embedded < (batch.src / "k2jtest/ws/gru_regression/float32/MWeights.java").stat().st_size * (ratio + 0.1)


UNPACK_MAIN = """
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Paths;

public final class Unpack {
    public static void main(String[] args) throws Exception {
        byte[] in = Files.readAllBytes(Paths.get(args[0]));
        float[] v = %s.Weights.unpack(in, Integer.parseInt(args[2]), "test");
        ByteBuffer out = ByteBuffer.allocate(4 * v.length).order(ByteOrder.LITTLE_ENDIAN);
        out.asFloatBuffer().put(v);
        Files.write(Paths.get(args[1]), out.array());
    }
}
"""


@pytest.mark.java
def test_runtime_expands_exactly_what_was_stored(tmp_path):
    """Weights.unpack (Java) gives back bit for bit the values stored_values (Python) predicts,
    special values included: float16 subnormals, signed zeros, the largest half, a zero column."""
    rng = np.random.default_rng(3)
    halves = np.array([[6.1e-5, -5.96e-8, 0.0, -0.0], [65504.0, -65504.0, 1e-7, 3.14159]], np.float32)
    zero_col = rng.normal(0, 1, (5, 3)).astype(np.float32)
    zero_col[:, 1] = 0
    tensors = [WeightTensor("kernel", "a", rng.normal(0, 2, (7, 9)).astype(np.float32)),
               WeightTensor("bias", "b", rng.normal(0, 1, (9,)).astype(np.float32)),
               WeightTensor("kernel", "c", halves),
               WeightTensor("kernel", "d", zero_col),
               WeightTensor("kernel", "e", rng.normal(0, 1e-3, (2, 3, 4)).astype(np.float32)),
               WeightTensor("kernel", "f", np.array([[1e6, 1.0]], np.float32))]   # beyond float16
    from keras2java.emit import write_atomically
    from keras2java.emit.java import runtime_files
    src = tmp_path / "src"
    write_atomically(runtime_files(), str(src))
    (src / "Unpack.java").write_text(UNPACK_MAIN % runtime_package())
    classes = tmp_path / "classes"
    subprocess.run([java_bin("javac"), "--release", "8", "-nowarn", "-d", str(classes),
                    *map(str, src.rglob("*.java"))], check=True, capture_output=True)
    count = sum(t.size for t in tensors)
    for storage in STORAGES:
        packed = tmp_path / f"{storage}.bin"
        packed.write_bytes(b"".join(packed_pieces(tensors, storage)))
        out = tmp_path / f"{storage}.out"
        subprocess.run([java_bin("java"), "-cp", str(classes), "Unpack", str(packed), str(out), str(count)],
                       check=True, capture_output=True)
        got = np.frombuffer(out.read_bytes(), "<u4")
        want = np.concatenate([stored_values(t, storage).ravel() for t in tensors]).view("<u4")
        assert np.array_equal(got, want), storage
        # and the expansion is within the format's rounding of the original values
        orig = np.concatenate([t.array.ravel() for t in tensors])
        col_max = np.concatenate([np.broadcast_to(np.max(np.abs(t.array.reshape(-1, t.shape[-1])), axis=0),
                                                  t.array.reshape(-1, t.shape[-1]).shape).ravel() for t in tensors])
        bound = (UNIT_ERROR[storage] * col_max * 1.0001 if storage == "int8"
                 else np.maximum(np.abs(orig) * UNIT_ERROR[storage], 2.0 ** -25 if storage == "float16" else 0))
        assert np.all(np.abs(got.view("<f4") - orig) <= bound), storage


def test_what_stays_float32():
    big = WeightTensor("kernel", "k", np.array([[1e5, 1.0]], np.float32))
    assert segment_storage(big, "float16") == "float32" and segment_storage(big, "bfloat16") == "bfloat16"
    assert segment_storage(WeightTensor("bias", "b", np.ones(4, np.float32)), "int8") == "float32"
    assert segment_storage(WeightTensor("kernel", "k", np.array([[np.nan, 1]], np.float32)), "int8") == "float32"
    assert segment_storage(WeightTensor("vocabulary", "v", np.ones((2, 2), np.float32)), "int8") == "float32"
    assert segment_storage(WeightTensor("kernel", "k", np.ones((2, 2), np.float32)), "int8") == "int8"


def test_unknown_storage_is_refused(tmp_path):
    with pytest.raises(OptionError, match="weights-storage"):
        convert("nonexistent.keras", str(tmp_path / "o"), weights_storage="int4")
    proc = run_cli("convert", "x.keras", "--out", str(tmp_path / "o"), "--weights-storage", "int4")
    assert proc.returncode == 2 and "--weights-storage" in proc.stderr


@pytest.mark.keras
@pytest.mark.java
def test_golden_and_verify_use_the_storage_tolerance(batch, tmp_path):
    """--with-test records Keras' outputs and checks the int8 model against them with the int8
    tolerance; verify reports the cost and passes."""
    src = batch.workdir / "gru_regression.keras"
    out = tmp_path / "gen"
    proc = run_cli("convert", str(src), "--out", str(out), "--package", "g", "--class", "M", "--with-test",
                   "--junit", "none", "--weights-storage", "int8", "--reference", "keras")
    assert proc.returncode == 0, proc.stderr
    assert "stored as int8" in proc.stdout
    golden = (out / "g" / "MGolden.java").read_text()
    assert "TOLERANCE = 0.063;" in golden and storage_tolerance("int8") == 0.063
    classes = tmp_path / "classes"
    subprocess.run([java_bin("javac"), "-nowarn", "-d", str(classes), *map(str, out.rglob("*.java"))], check=True,
                   capture_output=True)
    run = subprocess.run([java_bin("java"), "-cp", f"{classes}:{out}", "g.MGolden"], capture_output=True, text=True)
    assert run.returncode == 0 and "samples match Keras" in run.stdout, run.stdout
    errors = [float(line.rsplit(" ", 1)[1]) for line in run.stdout.splitlines() if "max error" in line]
    assert errors and all(1e-7 < e <= storage_tolerance("int8") for e in errors)
    v = run_cli("verify", str(src), "--samples", "5", "--weights-storage", "float16")
    assert v.returncode == 0, v.stdout + v.stderr
    assert "weights stored as float16: tolerance" in v.stdout and "max error" in v.stdout
