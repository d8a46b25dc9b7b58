"""``convert --self-test``: the generated class carries one recorded sample and
``selfTest()`` checks it (``load``: also when the class loads), with no test framework.

The model is built with Keras at test time (two inputs, one with a variable number of
timesteps, two outputs; and an image model of any height and width, whose sample carries its
shape) and its outputs recorded by Keras into the ``.npz`` sample file;
the self-test passes on the faithful sample and throws ``IllegalStateException`` naming
the output, the index, both values and the tolerance when a recorded output is corrupted.
"""
from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np
import pytest

from support.util import run_cli

pytestmark = [pytest.mark.keras, pytest.mark.java]

DRIVER = """
public class Driver {
    public static void main(String[] args) {
        try {
            if (args[0].equals("method")) {
                demo.Sig.selfTest();
            } else {
                new demo.Sig();
            }
            System.out.println("PASSED");
        } catch (Throwable e) {
            Throwable cause = e.getCause() != null ? e.getCause() : e;
            System.out.println(e.getClass().getSimpleName() + " <- " + cause.getClass().getSimpleName() + ": "
                    + cause.getMessage());
        }
    }
}
"""


@pytest.fixture(scope="module")
def recorded(tmp_path_factory):
    """The .keras model, its sample as Keras computes it, and the same sample with output 1 corrupted."""
    from support.keras_cases import keras

    k = keras()
    k.utils.set_random_seed(3)
    tmp = tmp_path_factory.mktemp("self_test")
    seq, vec = k.Input((None, 3), name="seq"), k.Input((4,), name="vec")
    h = k.layers.GRU(5, name="gru")(seq)
    both = k.layers.Concatenate()([h, k.layers.Dense(3, activation="tanh")(vec)])
    model = k.Model([seq, vec], [k.layers.Dense(2, name="score")(both), k.layers.Dense(6, name="code")(both)])
    path = tmp / "sig.keras"
    model.save(path)
    rng = np.random.default_rng(0)
    x = [rng.uniform(-1, 1, (1, 7, 3)).astype(np.float32), rng.uniform(-1, 1, (1, 4)).astype(np.float32)]
    ys = [np.asarray(y) for y in model(x, training=False)]
    good = tmp / "good.npz"
    np.savez(good, input_0=x[0], input_1=x[1], output_0=ys[0], output_1=ys[1])
    bad = tmp / "bad.npz"
    corrupted = ys[1].copy()
    corrupted[0, 4] += 1e-3
    np.savez(bad, input_0=x[0][0], input_1=x[1][0], output_0=ys[0][0], output_1=corrupted[0])   # no batch axis
    return path, good, bad, float(ys[1][0, 4]), float(corrupted[0, 4])


def _run(tmp: Path, src: Path, how: str) -> str:
    classes = tmp / "classes"
    (tmp / "Driver.java").write_text(DRIVER, "utf-8")
    sources = [str(p) for p in src.rglob("*.java")] + [str(tmp / "Driver.java")]
    subprocess.run(["javac", "--release", "8", "-nowarn", "-d", str(classes)] + sources, check=True,
                   capture_output=True)
    run = subprocess.run(["java", "-cp", str(classes), "Driver", how], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    return run.stdout.strip()


def _convert(tmp: Path, model: Path, *options: str) -> Path:
    out = tmp / "src"
    proc = run_cli("convert", str(model), "--out", str(out), "--package", "demo", "--class", "Sig", *options)
    assert proc.returncode == 0, proc.stderr
    return out


@pytest.mark.parametrize("mode,how", [("method", "method"), ("load", "new")])
def test_recorded_sample_passes(tmp_path, recorded, mode, how):
    model, good, *_ = recorded
    out = _convert(tmp_path, model, "--self-test", mode, "--self-test-sample", str(good))
    text = (out / "demo" / "Sig.java").read_text("utf-8")
    assert "public static void selfTest()" in text and "good.npz" in text
    assert ("static {\n        selfTest();" in text) == (mode == "load")
    assert _run(tmp_path, out, how) == "PASSED"


@pytest.mark.parametrize("mode,how,thrown", [("method", "method", "IllegalStateException <- IllegalStateException"),
                                             ("load", "new", "ExceptionInInitializerError <- IllegalStateException")])
def test_corrupted_output_throws_with_both_values(tmp_path, recorded, mode, how, thrown):
    model, _, bad, keras_value, corrupted_value = recorded
    out = _convert(tmp_path, model, "--self-test", mode, "--self-test-sample", str(bad))
    message = _run(tmp_path, out, how)
    assert message.startswith(thrown + ": Sig self-test: output 1 (code), index 4: got "), message
    got = float(message.split(": got ")[1].split(",")[0])
    recorded_value = float(message.split(", recorded ")[1].split(" ")[0])
    assert abs(got - keras_value) <= 1e-5 and abs(recorded_value - corrupted_value) <= 1e-7
    assert "> tolerance 1.0E-5" in message and "bad.npz" in message


def test_sample_recorded_by_keras_at_conversion(tmp_path, recorded):
    """Without a sample file the outputs come from --reference (Keras here), as for --with-test."""
    out = _convert(tmp_path, recorded[0], "--self-test", "--reference", "keras")
    assert "SELF_TEST_REFERENCE = \"Keras 3." in (out / "demo" / "Sig.java").read_text("utf-8")
    assert _run(tmp_path, out, "method") == "PASSED"


def test_python_api(tmp_path, recorded):
    from keras2java import convert

    convert(recorded[0], str(tmp_path / "src"), package="demo", class_name="Sig", self_test="load",
            self_test_sample=str(recorded[1]))
    assert _run(tmp_path, tmp_path / "src", "new") == "PASSED"


def test_bad_sample_files_are_refused_with_every_problem(tmp_path, recorded):
    model, good, *_ = recorded
    arrays = dict(np.load(good))
    bad = tmp_path / "wrong.npz"
    np.savez(bad, input_0=arrays["input_0"][0, :, :2], output_0=arrays["output_0"], output_1=arrays["output_1"],
             extra=arrays["input_1"])
    proc = run_cli("convert", str(model), "--out", str(tmp_path / "src"), "--self-test-sample", str(bad))
    assert proc.returncode == 2 and not (tmp_path / "src").exists()
    err = proc.stderr
    assert "input_0: shape [7, 2]" in err and "no array 'input_1'" in err and "unexpected arrays ['extra']" in err
    proc = run_cli("convert", str(model), "--out", str(tmp_path / "src"), "--self-test-sample", str(tmp_path / "none.npz"))
    assert proc.returncode == 2 and "cannot read an .npz file" in proc.stderr


def test_absent_without_the_option(tmp_path, recorded):
    out = _convert(tmp_path, recorded[0])
    text = (out / "demo" / "Sig.java").read_text("utf-8")
    assert "selfTest" not in text and "SELF_TEST" not in text


@pytest.mark.parametrize("sample", ["keras", "npz"])
def test_images_of_any_size_carry_their_shape(tmp_path, sample):
    """An input with several variable axes: the sample's shape goes with it to predictAll."""
    from support.keras_cases import keras

    k = keras()
    k.utils.set_random_seed(5)
    image = k.Input((None, None, 2), name="image")
    x = k.layers.Conv2D(3, 3, activation="relu", name="conv")(image)
    x = k.layers.MaxPooling2D(name="pool")(x)
    model = k.Model(image, k.layers.Dense(2, name="head")(k.layers.GlobalAveragePooling2D()(x)))
    path = tmp_path / "sig.keras"
    model.save(path)
    options = ["--self-test", "--reference", "keras"]
    if sample == "npz":
        x0 = np.random.default_rng(1).uniform(-1, 1, (1, 9, 6, 2)).astype(np.float32)
        np.savez(tmp_path / "image.npz", input_0=x0, output_0=np.asarray(model(x0, training=False)))
        options = ["--self-test", "--self-test-sample", str(tmp_path / "image.npz")]
    out = _convert(tmp_path, path, *options)
    text = (out / "demo" / "Sig.java").read_text("utf-8")
    assert "predictAll(inputs, SELF_TEST_INPUT_SHAPES)" in text
    if sample == "npz":
        assert "{9, 6, 2}" in text.replace("new int[] ", "")
    assert _run(tmp_path, out, "method") == "PASSED"
