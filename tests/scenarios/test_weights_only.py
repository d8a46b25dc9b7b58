"""Weights-only files plus an architecture JSON, against Keras."""
from __future__ import annotations

import pytest

from support.harness import JavaBatch
from support.keras_cases import keras, keras_outputs, random_samples, randomize, tf_keras
from support.util import run_cli

pytestmark = [pytest.mark.keras, pytest.mark.java]


def _model(k, gru_reset_after=True):
    return k.Sequential([k.Input((6, 4)), k.layers.LSTM(5, return_sequences=True),
                         k.layers.GRU(3, reset_after=gru_reset_after), k.layers.Dense(2, activation="softmax")])


@pytest.fixture(scope="module")
def batch(tmp_path_factory):
    work = tmp_path_factory.mktemp("wonly")
    b = JavaBatch(work)
    for name, k, weights_file in (("tf_keras", tf_keras(), "w.h5"), ("keras3", keras(), "m.weights.h5")):
        k.utils.set_random_seed(5)
        m = _model(k)
        randomize(m, 5)
        m.save_weights(str(work / f"{name}_{weights_file}"))
        (work / f"{name}.json").write_text(m.to_json())
        samples = random_samples(m, 20, 6)
        b.add(name, str(work / f"{name}_{weights_file}"), samples, keras_outputs(m, samples),
              package=f"k2jtest.wonly.{name}", class_name="M", architecture=str(work / f"{name}.json"))
    b.run()
    return b


@pytest.mark.parametrize("case", ["tf_keras", "keras3"])
def test_weights_plus_architecture_match_keras(batch, case):
    batch.cases[case].check()


def test_inspect_weights_only(batch):
    proc = run_cli("inspect", str(batch.workdir / "tf_keras_w.h5"), "--architecture", str(batch.workdir / "tf_keras.json"))
    assert proc.returncode == 0, proc.stderr
    assert "weights-h5+json" in proc.stdout and "clip(0.2x+0.5" in proc.stdout


def test_weights_only_without_architecture_says_what_to_pass(batch):
    proc = run_cli("convert", str(batch.workdir / "keras3_m.weights.h5"), "--out", str(batch.workdir / "x"))
    assert proc.returncode == 2 and "--architecture" in proc.stderr and "to_json" in proc.stderr


def test_bad_architecture_file(batch, tmp_path):
    bad = tmp_path / "a.json"
    bad.write_text("[1, 2]")
    proc = run_cli("convert", str(batch.workdir / "tf_keras_w.h5"), "--architecture", str(bad), "--out", str(tmp_path / "o"))
    assert proc.returncode == 2 and "model.to_json()" in proc.stderr
    assert not (tmp_path / "o").exists()
