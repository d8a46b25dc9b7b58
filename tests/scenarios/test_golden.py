"""``convert --with-test`` golden vectors (from Keras, or from the
numpy reference), the generated JUnit 4 test, and ``keras2java verify``."""
from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np
import pytest

from support.util import EXAMPLE, FIXTURES, REPO, run_cli

JUNIT4 = ["/usr/share/java/junit4.jar", "/usr/share/java/hamcrest-core.jar"]


def _java_sources(d: Path) -> list[str]:
    return [str(p) for p in d.rglob("*.java")]


def _compile(src: Path, classes: Path, cp: str = "") -> None:
    cmd = ["javac", "--release", "8", "-nowarn", "-encoding", "UTF-8", "-d", str(classes)]
    if cp:
        cmd += ["-cp", cp]
    subprocess.run(cmd + _java_sources(src), check=True, capture_output=True)


def _golden(tmp: Path, model: Path, *extra: str) -> tuple[Path, str]:
    out = tmp / "src"
    proc = run_cli("convert", str(model), "--out", str(out), "--package", "demo", "--class", "Har",
                   "--with-test", "--junit", "none", *extra)
    assert proc.returncode == 0, proc.stderr
    return out, proc.stdout


@pytest.mark.java
@pytest.mark.parametrize("reference,source", [
    pytest.param("keras", "Keras 3.", marks=[pytest.mark.keras, pytest.mark.slow]),
    ("numpy", "numpy reference"),
])
def test_golden_main_passes(tmp_path, reference, source):
    out, stdout = _golden(tmp_path, EXAMPLE, "--reference", reference, "--test-samples", "4")
    assert "golden vectors recorded with" in stdout and source in stdout
    text = (out / "demo" / "HarGolden.java").read_text("utf-8")
    assert source in text and "import org.junit" not in text
    _compile(out, tmp_path / "classes")
    run = subprocess.run(["java", "-cp", str(tmp_path / "classes"), "demo.HarGolden"], capture_output=True, text=True)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "4 samples match" in run.stdout and source in run.stdout and "output 0 (activity)" in run.stdout


@pytest.mark.java
def test_golden_check_fails_for_a_different_model(tmp_path):
    """Vectors recorded for one model must reject another model's Java."""
    out, _ = _golden(tmp_path / "a", EXAMPLE, "--reference", "numpy")
    perturbed = tmp_path / "perturbed.keras"
    _perturb_weights(EXAMPLE, perturbed, tmp_path)
    other = run_cli("convert", str(perturbed), "--out", str(tmp_path / "b"), "--package", "demo", "--class", "Har")
    assert other.returncode == 0, other.stderr
    # the golden class of model a against the model class of model b (same names)
    mixed = tmp_path / "mixed"
    for f in (tmp_path / "b").rglob("*.java"):
        dst = mixed / f.relative_to(tmp_path / "b")
        dst.parent.mkdir(parents=True, exist_ok=True)
        dst.write_bytes(f.read_bytes())
    (mixed / "demo" / "HarGolden.java").write_bytes((out / "demo" / "HarGolden.java").read_bytes())
    _compile(mixed, tmp_path / "classes")
    run = subprocess.run(["java", "-cp", str(tmp_path / "classes"), "demo.HarGolden"], capture_output=True, text=True)
    assert run.returncode == 1
    assert "FAILED" in run.stdout and "numpy reference" in run.stdout


def _perturb_weights(src: Path, dst: Path, tmp: Path) -> None:
    """A copy of a .keras file with the last layer's kernel scaled by 1.01."""
    import zipfile

    import h5py
    with zipfile.ZipFile(src) as z:
        members = {n: z.read(n) for n in z.namelist()}
    h5 = tmp / "w.h5"
    h5.write_bytes(members["model.weights.h5"])
    with h5py.File(h5, "r+") as f:
        names = []
        f.visititems(lambda n, o: names.append(n) if isinstance(o, h5py.Dataset) else None)
        kernel = f[sorted(n for n in names if n.startswith("layers/dense"))[0]]
        kernel[...] = kernel[...] * 1.01
    members["model.weights.h5"] = h5.read_bytes()
    with zipfile.ZipFile(dst, "w") as z:
        for n, data in members.items():
            z.writestr(n, data)


@pytest.mark.keras
@pytest.mark.java
@pytest.mark.slow
def test_tf_keras_file_uses_tf_keras(tmp_path):
    out, stdout = _golden(tmp_path, FIXTURES / "core" / "small_tfkeras.h5")
    assert "tf-keras 2." in stdout   # Keras 2 semantics, not Keras 3's
    _compile(out, tmp_path / "classes")
    run = subprocess.run(["java", "-cp", str(tmp_path / "classes"), "demo.HarGolden"], capture_output=True, text=True)
    assert run.returncode == 0, run.stdout


@pytest.mark.java
@pytest.mark.slow
def test_junit4_test_runs(tmp_path):
    main, test = tmp_path / "main", tmp_path / "test"
    proc = run_cli("convert", str(EXAMPLE), "--out", str(main), "--test-out", str(test), "--package", "demo",
                   "--class", "Har", "--with-test", "--junit", "4")
    assert proc.returncode == 0, proc.stderr
    assert not list(main.rglob("*Test.java")) and (test / "demo" / "HarTest.java").is_file()
    assert "import org.junit.Test;" in (test / "demo" / "HarTest.java").read_text("utf-8")
    cp = ":".join(JUNIT4)
    _compile(main, tmp_path / "classes")
    _compile(test, tmp_path / "classes", cp + ":" + str(tmp_path / "classes"))
    run = subprocess.run(["java", "-cp", f"{cp}:{tmp_path / 'classes'}", "org.junit.runner.JUnitCore", "demo.HarTest"],
                         capture_output=True, text=True)
    assert run.returncode == 0 and "OK (1 test)" in run.stdout, run.stdout


def test_junit5_test_source(tmp_path):
    proc = run_cli("convert", str(EXAMPLE), "--out", str(tmp_path), "--package", "demo", "--class", "Har",
                   "--with-test", "--reference", "numpy")
    assert proc.returncode == 0, proc.stderr
    text = (tmp_path / "demo" / "HarTest.java").read_text("utf-8")
    assert "import org.junit.jupiter.api.Test;" in text and "HarGolden.check();" in text


@pytest.mark.keras
@pytest.mark.java
@pytest.mark.slow
def test_verify_reports_per_output(tmp_path):
    proc = run_cli("verify", str(EXAMPLE), "--samples", "6")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "har_lstm.keras: 6 samples match Keras 3." in proc.stdout and "output 0 (activity): max error" in proc.stdout


@pytest.mark.keras
@pytest.mark.java
@pytest.mark.slow
def test_verify_picks_lengths_a_reshape_can_divide(tmp_path):
    """Reshape((-1, 12)) of (T, 6) then Reshape((-1, 24)): T must be a multiple of 4 (Keras
    fails on other lengths too); the golden samples have such lengths, and they vary."""
    from keras2java import golden, pipeline
    from support.keras_cases import keras
    k = keras()
    x = k.Input((None, 6))
    h = k.layers.Reshape((-1, 24))(k.layers.Reshape((-1, 12))(x))
    model = k.Model(x, k.layers.GRU(3)(h))
    path = tmp_path / "halving.keras"
    model.save(path)
    lengths = [s[0].shape[0] for s in golden.make_inputs(pipeline.load(str(path)), 5)]
    assert all(n % 4 == 0 for n in lengths) and len(set(lengths)) == 3, lengths
    proc = run_cli("verify", str(path), "--samples", "5")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "5 samples match Keras 3." in proc.stdout


@pytest.mark.java
def test_verify_with_npy_inputs(tmp_path):
    x = np.random.default_rng(0).uniform(-1, 1, (3, 7, 11)).astype("f4")
    np.save(tmp_path / "x.npy", x)
    proc = run_cli("verify", str(EXAMPLE), "--inputs", str(tmp_path / "x.npy"), "--reference", "numpy")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "3 samples match the keras2java" in proc.stdout


def test_verify_bad_inputs_is_one_line(tmp_path):
    np.save(tmp_path / "a.npy", np.zeros((2, 20, 11), "f4"))
    proc = run_cli("verify", str(EXAMPLE), "--inputs", str(tmp_path / "a.npy"), str(tmp_path / "a.npy"))
    assert proc.returncode == 2
    assert proc.stderr.strip().count("\n") == 0 and "1 input(s), got 2" in proc.stderr
    proc = run_cli("verify", str(EXAMPLE), "--inputs", str(tmp_path / "a.npy"))
    assert proc.returncode == 2 and "shape (2, 20, 11), expected (samples, 7, 11)" in proc.stderr


@pytest.mark.java
def test_labels_predict_class_and_label(tmp_path):
    """--labels adds LABELS / predictClass / predictLabel; hostile label text stays data."""
    from support.util import read_csv
    labels = ['walk "fast"', "sit\\u000a */ still", "stand \u00e9"]
    (tmp_path / "labels.txt").write_text("\n".join(labels) + "\n", encoding="utf-8")
    out = tmp_path / "src"
    proc = run_cli("convert", str(EXAMPLE), "--out", str(out), "--package", "demo", "--class", "Har",
                   "--labels", str(tmp_path / "labels.txt"))
    assert proc.returncode == 0, proc.stderr
    inputs = read_csv(REPO / "examples" / "har_lstm_inputs.csv")
    expected = read_csv(REPO / "examples" / "har_lstm_expected.csv")   # recorded by Keras
    main = tmp_path / "LabelCheck.java"
    rows = ",\n".join("{" + ", ".join(repr(float(v)) + "f" for v in row) + "}" for row in inputs)
    main.write_text("public class LabelCheck { public static void main(String[] a) {\n"
                    f"  float[][] xs = {{{rows}}};\n"
                    "  demo.Har m = new demo.Har();\n"
                    "  for (float[] x : xs) System.out.println(m.predictClass(x) + \"\\t\" + m.predictLabel(x));\n"
                    "}}\n", encoding="utf-8")
    _compile(out, tmp_path / "classes")
    subprocess.run(["javac", "-encoding", "UTF-8", "-cp", str(tmp_path / "classes"), "-d", str(tmp_path / "classes"),
                    str(main)], check=True)
    run = subprocess.run(["java", "-Dfile.encoding=UTF-8", "-cp", str(tmp_path / "classes"), "LabelCheck"],
                         capture_output=True, text=True, encoding="utf-8")
    assert run.returncode == 0, run.stderr
    got = [line.split("\t") for line in run.stdout.strip().split("\n")]
    assert [int(g[0]) for g in got] == [int(np.argmax(e)) for e in expected]
    assert [g[1] for g in got] == [labels[int(np.argmax(e))] for e in expected]


def test_labels_must_match_the_output(tmp_path):
    (tmp_path / "labels.txt").write_text("a\nb\n")
    proc = run_cli("convert", str(EXAMPLE), "--out", str(tmp_path / "o"), "--labels", str(tmp_path / "labels.txt"))
    assert proc.returncode == 2 and "2 labels, but the output has shape [3]" in proc.stderr
    assert not (tmp_path / "o").exists()


@pytest.mark.keras
@pytest.mark.java
@pytest.mark.slow
def test_verify_images_of_any_size(tmp_path):
    """A fully convolutional model on (None, None, 3): the golden samples vary in height and
    width, and the golden check passes each input's shape with it."""
    from keras2java import golden, pipeline
    from support.keras_cases import keras
    k = keras()
    x = k.Input((None, None, 3))
    h = k.layers.MaxPooling2D()(k.layers.Conv2D(4, 3, activation="relu")(x))
    model = k.Model(x, k.layers.Dense(2)(k.layers.GlobalAveragePooling2D()(h)))
    path = tmp_path / "fcn.keras"
    model.save(path)
    shapes = {s[0].shape for s in golden.make_inputs(pipeline.load(str(path)), 5)}
    assert len(shapes) == 3 and all(s[2] == 3 for s in shapes), shapes
    proc = run_cli("verify", str(path), "--samples", "5")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "5 samples match Keras 3." in proc.stdout
