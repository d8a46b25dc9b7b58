"""The hand-written Java runtime, tested on its own: kernel self-tests (plain
Java), and each activation kernel against Keras' own activation functions."""
from __future__ import annotations

import re
import struct
import subprocess

import numpy as np
import pytest

from support.harness import max_error
from support.util import REPO, javac, java_sources

pytestmark = pytest.mark.java

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


def test_tensor_ops_self_test(tmp_path):
    """TensorOps, the kernels of the one tensor-op IR (keras.ops nodes and plugin primitives), alone and lint-clean."""
    rt = RUNTIME / "test" / "java" / "keras2java" / "runtime"
    javac(tmp_path, java_sources(RUNTIME / "main") + [rt / "TensorOpsSelfTest.java", rt / "SelfTests.java"],
          "-Xlint:all", "-Werror")
    proc = subprocess.run(["java", "-cp", str(tmp_path), "keras2java.runtime.TensorOpsSelfTest"],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert re.search(r"\b12 passed, 0 failed", proc.stdout) and "not measurable" not in proc.stdout


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


@pytest.mark.keras
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


@pytest.mark.keras
def test_hard_sigmoid_keras2_matches_tf_keras(classes, tmp_path):
    import tensorflow as tf
    import tf_keras

    x = np.linspace(-6, 6, 2401).astype(np.float32)
    expected = np.asarray(tf_keras.activations.hard_sigmoid(tf.constant(x)))
    assert max_error(_probe(classes, tmp_path, 4, x), expected) <= 1e-6
    # and it is really a different function from Keras 3's
    import keras
    assert np.abs(np.asarray(keras.activations.hard_sigmoid(x)) - expected).max() > 0.05


# --- Optional Vector API kernels: within 1e-5 of the portable kernels ---

VECTOR_SRC = RUNTIME / "vector" / "java"


def _other_jdks() -> list:
    """JDKs 17+ under /usr/lib/jvm other than the one on PATH (the machine has a newer Temurin)."""
    import glob
    import os
    import shutil
    on_path = os.path.realpath(shutil.which("java") or "")
    found = []
    for home in sorted(glob.glob("/usr/lib/jvm/*/")):
        java = os.path.join(home, "bin", "java")
        if not os.path.isfile(java) or os.path.realpath(java) == on_path:
            continue
        if _java_major(java) >= 17 and os.path.realpath(java) not in {os.path.realpath(j) for j in found}:
            found.append(java)
    return found


@pytest.fixture(scope="module")
def vector_classes(tmp_path_factory):
    out = tmp_path_factory.mktemp("rtvec")
    javac(out, java_sources(RUNTIME / "main") + [RUNTIME / "test" / "java" / "keras2java" / "runtime" / "KernelsProbe.java"])
    proc = subprocess.run(["javac", "--release", "17", "--add-modules", "jdk.incubator.vector", "-Xlint:all",
                           "-cp", str(out), "-d", str(out), *java_sources(VECTOR_SRC)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    return out


def _kernels_probe(classes, out, *jvm_args, java="java"):
    proc = subprocess.run([java, *jvm_args, "-cp", str(classes), "keras2java.runtime.KernelsProbe", str(out)],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc.stdout.strip(), out.read_bytes()


VEC = ("--add-modules", "jdk.incubator.vector", "-Dkeras2java.kernels=vector")


#: vector against portable kernels, per value (FMA changes the low bits; both match Keras to 1e-5)
KERNEL_TOLERANCE = 1e-5


def _probe_values_close(got: bytes, ref: bytes) -> str:
    """"" when every probe value agrees (NaN with NaN, infinities exactly, else within
    KERNEL_TOLERANCE, relative above 1), else where the first disagreement is."""
    import numpy as np
    a, b = np.frombuffer(got, ">f4").astype(np.float64), np.frombuffer(ref, ">f4").astype(np.float64)
    if a.shape != b.shape:
        return f"{a.size} values, portable has {b.size}"
    nan = np.isnan(a) | np.isnan(b)
    if (np.isnan(a) != np.isnan(b)).any():
        return f"NaN at {int(np.argmax(np.isnan(a) != np.isnan(b)))}"
    inf = np.isinf(a) | np.isinf(b)
    if (a[inf] != b[inf]).any():
        return "an infinity differs"
    ok = nan | inf
    err = np.abs(a - b) / np.maximum(1.0, np.abs(b))
    err[ok] = 0
    k = int(np.argmax(err))
    return "" if err[k] <= KERNEL_TOLERANCE else f"value {k}: {a[k]!r} vs portable {b[k]!r}"


def test_vector_kernels_match_portable(vector_classes, tmp_path):
    """Every kernel on many shapes: the vector kernels (FMA) within 1e-5 of the portable
    ones; the probe itself fails if a batch row differs from the row alone, or a batched
    recurrent layer from the one-sample one by more than 1e-6."""
    active, portable = _kernels_probe(vector_classes, tmp_path / "p.bin", "-Dkeras2java.kernels=portable")
    assert active == "portable Java"
    assert len(portable) > 400_000
    runs = [("java", ()), ("java", ("-XX:MaxVectorSize=32",)), ("java", ("-XX:MaxVectorSize=16",))]
    runs += [(j, ()) for j in _other_jdks()]
    widths = set()
    for n, (java, extra) in enumerate(runs):
        active, got = _kernels_probe(vector_classes, tmp_path / f"v{n}.bin", *extra, *VEC, java=java)
        assert active.startswith("jdk.incubator.vector, "), active
        widths.add(active)
        problem = _probe_values_close(got, portable)
        assert not problem, f"{java} {extra}: vector kernels differ from the portable ones: {problem}"
    assert len(widths) == 3     # 512-, 256- and 128-bit vectors all ran


def test_vector_kernels_fall_back_without_the_module(vector_classes, tmp_path):
    active, _ = _kernels_probe(vector_classes, tmp_path / "a.bin")
    assert active == "portable Java with Math.fma"     # auto: the module is not resolved, so FMA kernels
    proc = subprocess.run(["java", "-Dkeras2java.kernels=vector", "-cp", str(vector_classes),
                           "keras2java.runtime.KernelsProbe", str(tmp_path / "b.bin")], capture_output=True, text=True)
    assert proc.returncode != 0
    assert "--add-modules jdk.incubator.vector" in proc.stderr
    proc = subprocess.run(["java", "-Dkeras2java.kernels=fast", "-cp", str(vector_classes),
                           "keras2java.runtime.KernelsProbe", str(tmp_path / "c.bin")], capture_output=True, text=True)
    assert proc.returncode != 0 and "auto, portable, fma or vector" in proc.stderr


def _java_major(java: str) -> int:
    ver = subprocess.run([java, "-version"], capture_output=True, text=True).stderr
    major = ver.split('"')[1].split(".")[0] if '"' in ver else "0"
    return int(major) if major.isdigit() else 0


def test_auto_picks_vector_kernels_on_java_25_and_newer_only(vector_classes, tmp_path):
    """On JDK 17, C2 sometimes compiles the Vector API loops with boxed vectors (via on-stack
    replacement), so auto leaves them to an explicit keras2java.kernels=vector there."""
    jdks = ["java"] + _other_jdks()
    majors = {java: _java_major(java) for java in jdks}
    assert 17 in majors.values()
    for n, java in enumerate(jdks):
        active, _ = _kernels_probe(vector_classes, tmp_path / f"auto{n}.bin", "--add-modules", "jdk.incubator.vector",
                                   java=java)
        expected = "jdk.incubator.vector" if majors[java] >= 25 else "portable Java"
        assert active.startswith(expected), (java, majors[java], active)


def test_fma_kernels_match_portable(vector_classes, tmp_path):
    """The Math.fma kernels (both loop shapes: JDK 17 and JDK 25+) within 1e-5 of the portable ones
    on every probe shape; the probe itself checks that batch rows equal rows alone and batched
    recurrent layers equal one sample within 1e-6."""
    _, portable = _kernels_probe(vector_classes, tmp_path / "p.bin", "-Dkeras2java.kernels=portable")
    for n, java in enumerate(["java"] + _other_jdks()):
        active, got = _kernels_probe(vector_classes, tmp_path / f"f{n}.bin", "-Dkeras2java.kernels=fma", java=java)
        assert active == "portable Java with Math.fma", (java, active)
        problem = _probe_values_close(got, portable)
        assert not problem, f"{java}: FMA kernels differ from the portable ones: {problem}"
        assert got != portable      # one rounding per multiply-add: the low bits differ


def test_auto_picks_fma_kernels_without_flags(vector_classes, tmp_path):
    """No flag, no module: every JDK here (17+, with FMA hardware) gets the FMA kernels; the
    runtime compiled alone (no vector source root) gets the portable ones."""
    for n, java in enumerate(["java"] + _other_jdks()):
        active, _ = _kernels_probe(vector_classes, tmp_path / f"a{n}.bin", java=java)
        assert active == "portable Java with Math.fma", (java, active)
    plain = tmp_path / "plain"
    javac(plain, java_sources(RUNTIME / "main") + [RUNTIME / "test" / "java" / "keras2java" / "runtime" / "KernelsProbe.java"])
    active, _ = _kernels_probe(plain, tmp_path / "plain.bin")
    assert active == "portable Java"


def _probe_settings(classes, tmp_path):
    """The probe (which checks its bits itself) in each setting with its own convolution paths:
    portable and Math.fma kernels on every JDK, Math.fma with two intra-op threads, the vector
    kernels: ``(java, kernels flag, other flags, stderr)`` each."""
    runs = [(java, f"-Dkeras2java.kernels={k}", ()) for java in ["java"] + _other_jdks() for k in ("portable", "fma")]
    runs += [("java", "-Dkeras2java.kernels=fma", ("-Dkeras2java.intraOpThreads=2",)),
             ("java", "-Dkeras2java.kernels=vector", ("--add-modules", "jdk.incubator.vector"))]
    for n, (java, kernels, extra) in enumerate(runs):
        proc = subprocess.run([java, kernels, *extra, "-cp", str(classes), "keras2java.runtime.KernelsProbe",
                               str(tmp_path / f"{n}.bin")], capture_output=True, text=True)
        assert proc.returncode == 0, proc.stdout + proc.stderr
        yield java, kernels, extra, proc.stderr


def _probe_count(stderr: str, what: str) -> int:
    """The count the probe printed as ``what: N``."""
    return int(stderr.split(what + ": ")[1].split()[0])


def test_convolutions_on_channel_planes_give_the_bits_of_channels_last(vector_classes, tmp_path):
    """Conv2D with channel planes in, out or both (what a frame chain passes from one
    convolution to the next): the probe checks the bits against channels last on every
    convolution where the active kernels work on planes (the kernels that multiply transposed
    rows: portable and Math.fma, JDK 17 and 25, one thread and two), and that the vector
    kernels, which multiply channels-last rows in place, refuse them."""
    for java, kernels, extra, stderr in _probe_settings(vector_classes, tmp_path):
        checked = _probe_count(stderr, "convolutions checked on channel planes")
        if kernels.endswith("vector"):
            assert checked == 0, (java, kernels, extra)
        else:
            assert checked >= 6, (java, kernels, extra, checked)


def test_convolution_and_max_pooling_in_one_pass_give_the_bits_of_the_two_layers(vector_classes, tmp_path):
    """Conv2D.forwardPooled (a Conv2D and the 2 x 2 max pooling after it, as the emitter fuses
    them): the probe checks its bits against the two layers one after the other on every shape,
    and counts the layers that take the one-pass path (polyphase planes). Where the kernels
    multiply transposed rows on one thread (portable and Math.fma, JDK 17 and 25): 28 of the 36
    (two shapes pool to 20 and 24 pixels an image, below the transposed product's threshold; one
    has 1080 inputs per output, a product in slices). With the vector kernels, which multiply
    rows in place and keep a transposed copy of the kernel for this pass: 16, as they keep none
    for a dilated kernel (2 shapes) or a product in slices (1 shape), whose bits would differ
    from the rows'. None with intra-op threads (the two layers one after the other)."""
    for java, kernels, extra, stderr in _probe_settings(vector_classes, tmp_path):
        pooled = _probe_count(stderr, "convolutions pooled in one pass")
        want = 0 if any("intraOp" in e for e in extra) else 16 if kernels.endswith("vector") else 28
        assert pooled == want, (java, kernels, extra, pooled)


def test_products_of_transposed_rows_give_the_bits_of_each_row_alone(vector_classes, tmp_path):
    """Kernels.matmulTransposed (a convolution's patches, gathered transposed), written as rows and
    as channel planes, all the columns or a share: the probe checks every value's bits against the
    row alone, on 32 shapes (1 to 144 inputs, 1 to 32 columns, 1 to 1024 rows) with every tier:
    portable, Math.fma on one thread and two, and the vector kernels (their blocks of four columns
    by four vectors, and the ragged ends)."""
    for java, kernels, extra, stderr in _probe_settings(vector_classes, tmp_path):
        assert _probe_count(stderr, "products of transposed rows checked") == 32, (java, kernels, extra)


def test_intra_op_threads_give_the_bits_of_one_thread(vector_classes, tmp_path):
    """-Dkeras2java.intraOpThreads=N splits one-row products of 2 MiB of weights or more by columns
    over N threads; with the threshold lowered to 256 KiB (-Dkeras2java.intraOpMinWeights) the probe's
    300-input matrices are split: every probe value has the bits of one thread."""
    for kernels in ("portable", "fma", "vector"):
        flags = (f"-Dkeras2java.kernels={kernels}",) + (("--add-modules", "jdk.incubator.vector")
                                                         if kernels == "vector" else ())
        _, one = _kernels_probe(vector_classes, tmp_path / f"{kernels}1.bin", *flags)
        for n in (2, 3):
            _, got = _kernels_probe(vector_classes, tmp_path / f"{kernels}{n}.bin", *flags,
                                    f"-Dkeras2java.intraOpThreads={n}", "-Dkeras2java.intraOpMinWeights=65536")
            assert got == one, (kernels, n)
