"""The hand-written Java runtime, tested on its own: kernel self-tests (plain
Java), and each activation kernel against Keras' own activation functions."""
from __future__ import annotations

import struct
import subprocess

import numpy as np
import pytest

from harness import max_error
from util import REPO, javac, java_sources

RUNTIME = REPO / "java-runtime" / "src"


@pytest.fixture(scope="module")
def classes(tmp_path_factory):
    out = tmp_path_factory.mktemp("rt")
    javac(out, java_sources(RUNTIME / "main") + java_sources(RUNTIME / "test") + [REPO / "tests" / "java" / "ActivationProbe.java"])
    return out


def test_runtime_self_test(classes):
    proc = subprocess.run(["java", "-cp", str(classes), "keras2java.runtime.RuntimeSelfTest"],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert " 0 failed" in proc.stdout


def test_runtime_compiles_with_release_8_and_lint(tmp_path):
    proc = subprocess.run(["javac", "--release", "8", "-Xlint:all", "-Werror", "-d", str(tmp_path),
                           *java_sources(RUNTIME / "main")], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr


# kind constant in Activation.java -> Keras 3 function (called at test time)
KERAS3 = {
    0: ("linear", {}), 1: ("relu", {}), 2: ("sigmoid", {}), 3: ("tanh", {}), 5: ("hard_sigmoid", {}),
    6: ("elu", {}), 7: ("selu", {}), 8: ("softplus", {}), 9: ("softsign", {}), 10: ("exponential", {}),
    11: ("silu", {}), 12: ("gelu", {"approximate": False}), 13: ("gelu", {"approximate": True}),
    14: ("hard_silu", {}), 15: ("mish", {}), 16: ("softmax", {}), 17: ("log_softmax", {}),
}


def _probe(classes, tmp_path, kind, x, alpha=1.0):
    inp, out = tmp_path / f"in{kind}.bin", tmp_path / f"out{kind}.bin"
    inp.write_bytes(struct.pack("<i", x.size) + x.astype("<f4").tobytes())
    subprocess.run(["java", "-cp", str(classes), "ActivationProbe", "keras2java.runtime.Activation", str(kind),
                    str(alpha), str(inp), str(out)], check=True)
    return np.frombuffer(out.read_bytes()[4:], dtype="<f4")


@pytest.mark.parametrize("kind", sorted(KERAS3))
def test_activation_matches_keras3(classes, tmp_path, kind):
    import keras

    name, kw = KERAS3[kind]
    x = np.concatenate([np.linspace(-12, 12, 4801), [0.0, -0.0, 1e-7, -1e-7, 3.0, -3.0, 30.0, -30.0]]).astype(np.float32)
    if kind in (10,):
        x = x[x < 20]
    if kind in (16, 17):
        x = x[::37]  # one softmax row
    fn = getattr(keras.activations, name)
    expected = np.asarray(fn(x, **kw)) if kind not in (16, 17) else np.asarray(fn(x[None, :], **kw))[0]
    got = _probe(classes, tmp_path, kind, x)
    assert max_error(got, expected) <= 1e-6


def test_hard_sigmoid_keras2_matches_tf_keras(classes, tmp_path):
    import tensorflow as tf
    import tf_keras

    x = np.linspace(-6, 6, 2401).astype(np.float32)
    expected = np.asarray(tf_keras.activations.hard_sigmoid(tf.constant(x)))
    assert max_error(_probe(classes, tmp_path, 4, x), expected) <= 1e-6
    # and it is really a different function from Keras 3's
    import keras
    assert np.abs(np.asarray(keras.activations.hard_sigmoid(x)) - expected).max() > 0.05
