"""Generated models run on Android 5.0 (API level 21) and newer, checked without an
SDK or emulator by examples/android/pom.xml on generated code of several layer families, with
embedded and resource weights:

* animal-sniffer against the ``android-api-level-21`` signature: no JDK API missing on
  Android 5.0 (the embedded-weights loader used java.util.Base64, API 26; it now has its own
  decoder, tested bit-exact against the JDK's encoder here);
* D8 ``--min-api 21`` dexes the jar (runtime + models).

A probe that does use java.util.Base64 must fail the same check, so the check is not vacuous.
Maven Central must be reachable (plugins, the signature and r8 are downloaded on first use)."""
from __future__ import annotations

import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest

from support.util import REPO, javac, java_sources, run_cli

pytestmark = [pytest.mark.java]


def _models(k):
    """One model per layer family group: (name, model, weights mode)."""
    L = k.layers
    rnn = k.Sequential([k.Input((10, 6)), L.Masking(0.0), L.Bidirectional(L.LSTM(8, return_sequences=True)),
                        L.GRU(8, return_sequences=True), L.SimpleRNN(5), L.Dense(3, activation="softmax")])
    conv = k.Sequential([k.Input((20, 4)), L.Conv1D(8, 3, activation="relu"), L.BatchNormalization(),
                         L.MaxPooling1D(2), L.SeparableConv1D(6, 3, padding="same"), L.GlobalAveragePooling1D(),
                         L.Dense(2)])
    x = k.Input((8, 6))
    a = L.MultiHeadAttention(num_heads=2, key_dim=4)(x, x)
    y = L.LayerNormalization()(L.Add()([x, a]))
    y = L.Attention()([y, y])
    attn = k.Model(x, L.Dense(3)(L.GlobalMaxPooling1D()(y)))
    t = k.Input((12,), dtype="int32")
    e = L.Embedding(50, 8, mask_zero=True)(t)
    text = k.Model(t, L.Dense(4)(L.Concatenate()([L.LSTM(6)(e), L.GRU(6)(e)])))
    return [("rnn", rnn, "embedded"), ("conv", conv, "resource"), ("attn", attn, "embedded"),
            ("text", text, "resource")]


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    import keras
    tmp = tmp_path_factory.mktemp("android")
    out = tmp / "generated"
    for name, model, weights in _models(keras):
        path = tmp / f"{name}.keras"
        model.save(path)
        proc = run_cli("convert", str(path), "--out", str(out), "--package", f"demo.android.{name}",
                       "--class", "Model", "--weights", weights)
        assert proc.returncode == 0, proc.stderr
    return out


def _mvn_package(tmp: Path, sources: Path) -> subprocess.CompletedProcess:
    mvn = shutil.which("mvn")
    assert mvn is not None, "Maven (mvn) must be installed"
    project = tmp / "project"
    project.mkdir()
    shutil.copy2(REPO / "examples" / "android" / "pom.xml", project / "pom.xml")
    proc = subprocess.run([mvn, "-q", "-B", "package", f"-Dk2j.sources={sources}"], cwd=project,
                          capture_output=True, text=True, timeout=1200)
    proc.project = project
    return proc


@pytest.mark.keras
@pytest.mark.slow
def test_generated_models_pass_android_api21_and_dex(generated, tmp_path):
    build = _mvn_package(tmp_path, generated)
    assert build.returncode == 0, build.stdout[-4000:] + build.stderr[-4000:]
    target = build.project / "target"
    with zipfile.ZipFile(target / "keras2java-android-check-1.0.0.jar") as jar:
        names = set(jar.namelist())
    for name in ("rnn", "conv", "attn", "text"):
        assert f"demo/android/{name}/Model.class" in names
    assert {"demo/android/conv/Model.weights", "demo/android/text/Model.weights"} <= names
    assert "demo/android/rnn/ModelWeights.class" in names     # the embedded loader is in the check
    with zipfile.ZipFile(target / "classes-dex.zip") as dex:
        data = dex.read("classes.dex")
    assert data[:4] == b"dex\n"
    for name in ("rnn", "conv", "attn", "text"):
        assert f"Ldemo/android/{name}/Model;".encode() in data
    assert b"Weights;" in data and b"java/util/Base64" not in data


@pytest.mark.slow
def test_the_check_rejects_an_api26_call(tmp_path):
    probe = tmp_path / "probe" / "demo"
    probe.mkdir(parents=True)
    (probe / "UsesBase64.java").write_text(
        "package demo;\npublic final class UsesBase64 {\n"
        "    public static byte[] decode(String s) { return java.util.Base64.getDecoder().decode(s); }\n}\n")
    build = _mvn_package(tmp_path, tmp_path / "probe")
    assert build.returncode != 0
    assert "Undefined reference: java.util.Base64.Decoder java.util.Base64.getDecoder()" in build.stdout, build.stdout[-3000:]


def test_own_base64_decoder_is_bit_exact(tmp_path):
    runtime = REPO / "java-runtime" / "src" / "main"
    javac(tmp_path, java_sources(runtime) + [REPO / "tests" / "java" / "Base64Probe.java"])
    run = subprocess.run(["java", "-cp", str(tmp_path), "Base64Probe", "keras2java.runtime.Weights"],
                         capture_output=True, text=True)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr
    assert run.stdout.strip().endswith(" 0 failed") and int(run.stdout.split()[-4]) > 2000, run.stdout
