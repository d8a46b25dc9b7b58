"""Hashing compiled to Java against TensorFlow: string inputs (FarmHash Fingerprint64
without salt, SipHash-2-4 with salt; int, one_hot, multi_hot and count output; mask
values) on a hostile corpus, bucket ids exactly, Keras 3 .keras and tf-keras .h5; the
numpy reference on the same texts; int64 inputs; and the two hash functions on raw bytes
of every length against tf.strings.to_hash_bucket_fast / _strong."""
from __future__ import annotations

import subprocess

import numpy as np
import pytest

from support.text_cases import convert_and_run, corpus
from support.util import javac

pytestmark = [pytest.mark.keras, pytest.mark.java, pytest.mark.slow]

tf = pytest.importorskip("tensorflow")
keras = pytest.importorskip("keras")

CORPUS = corpus()


def _hash(**kw):
    def build():
        inp = keras.Input(shape=(1,), dtype="string")
        return keras.Model(inp, keras.layers.Hashing(**kw)(inp))
    return build


def _h5_hash(**kw):
    def build():
        import tf_keras
        inp = tf_keras.Input(shape=(1,), dtype="string")
        return tf_keras.Model(inp, tf_keras.layers.Hashing(**kw)(inp))
    return build


#: (id, builder, token level); every row's bucket ids are compared exactly
CASES = [
    ("hash_fast", _hash(num_bins=17), True),
    ("hash_big", _hash(num_bins=2**31 - 1), False),
    ("hash_salt_pair", _hash(num_bins=13, salt=[133, 137]), True),
    ("hash_salt_int_mask", _hash(num_bins=9, salt=5, mask_value=""), True),
    ("hash_one_hot", _hash(num_bins=12, output_mode="one_hot"), True),
    ("hash_multi_hot_mask", _hash(num_bins=10, output_mode="multi_hot", mask_value=""), True),
    ("hash_count_salt", _hash(num_bins=8, output_mode="count", salt=[1, 2]), True),
    ("h5_hash", _h5_hash(num_bins=11), True),
    ("h5_hash_salt", _h5_hash(num_bins=11, salt=[3, 4]), True),
]


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    return convert_and_run(tmp_path_factory.mktemp("hashing"), CASES, CORPUS)


@pytest.mark.parametrize("cid", [c[0] for c in CASES if c[2]])
def test_python_reference_tokenizer(cid, results):
    """The op's numpy evaluator (keras2java's own reference) gives TensorFlow's outputs too."""
    from keras2java.pipeline import load

    expected, _, path = results[cid]
    model = load(path)
    (op,) = [n.op for n in model.nodes if getattr(n.op, "takes_strings", False)]
    for i in range(0, len(CORPUS), 7 if cid.startswith("hash") else 1):
        got = op.evaluate([np.array([CORPUS[i]], object)])[0]
        np.testing.assert_array_equal(got, expected[i].reshape(got.shape), err_msg=f"{cid} text {i}")


@pytest.mark.parametrize("cid", [c[0] for c in CASES])
def test_matches_tensorflow(cid, results):
    expected, java, _ = results[cid]
    for i, (e, j) in enumerate(zip(expected, java)):
        assert not isinstance(j, str), f"{cid}: text {i} {CORPUS[i]!r}: Java threw {j}"
        assert j.shape == e.shape, (cid, i, j.shape, e.shape)
        bad = np.nonzero(j != e)[0]
        assert bad.size == 0, f"{cid}: text {i} {CORPUS[i][:80]!r}: Java {j[bad][:8]} != TF {e[bad][:8]}"
    assert len({e.tobytes() for e in expected}) > 5, "trivial outputs"
    print(f"{cid}: {len(expected)} texts, exact")


@pytest.mark.parametrize("kw", [dict(num_bins=10), dict(num_bins=7, salt=[133, 137]), dict(num_bins=5, mask_value=0),
                                dict(num_bins=2**20, salt=9, mask_value=-1)],
                         ids=["fast", "salt", "mask", "salt_int_mask"])
def test_hashing_integer_inputs(kw, tmp_path):
    """Hashing of int64 inputs (tf.as_string, then the same hashes), fed to Java as floats."""
    from support.harness import JavaBatch

    inp = keras.Input(shape=(6,), dtype="int64")
    model = keras.Model(inp, keras.layers.Hashing(**kw)(inp))
    path = tmp_path / "hash.keras"
    model.save(path)
    loaded = keras.models.load_model(path)
    rnd = np.random.default_rng(5)
    ints = np.concatenate([np.array([[0, -1, 1, 9, 10, -10], [2**24, -2**24, 123456, -99999, 7, 0]]),
                           rnd.integers(-2**24, 2**24, size=(40, 6))]).astype(np.int64)
    expected = np.asarray(loaded(tf.constant(ints)), np.float32)
    batch = JavaBatch(tmp_path / "java")
    batch.add("hash", str(path), [[row.astype(np.float32)] for row in ints], [[e] for e in expected],
              package="k2jtext.hashnum")
    batch.run()
    case = batch.cases["hash"]
    assert case.check(0.0) == 0.0
    assert len({e.tobytes() for e in expected}) > 10


HASH_MAIN = """
import keras2java.runtime.StringHash;

public final class Main {
    public static void main(String[] args) throws Exception {
        java.io.BufferedReader r = new java.io.BufferedReader(new java.io.InputStreamReader(System.in, "US-ASCII"));
        String line;
        StringBuilder sb = new StringBuilder();
        while ((line = r.readLine()) != null) {
            byte[] b = new byte[line.length() / 2];
            for (int i = 0; i < b.length; i++) b[i] = (byte) Integer.parseInt(line.substring(2 * i, 2 * i + 2), 16);
            sb.append(Long.toUnsignedString(StringHash.fingerprint64(b, 0, b.length))).append(' ')
              .append(Long.toUnsignedString(StringHash.sipHash(133L, 0x1e3779b97f4a7c15L, b, 0, b.length))).append('\\n');
        }
        System.out.print(sb);
    }
}
"""


def test_string_hash_matches_tensorflow_on_raw_bytes(tmp_path):
    """FarmHash Fingerprint64 and SipHash-2-4 on every length 0..300 (all of FarmHash's length branches),
    random bytes (not only UTF-8), against tf.strings.to_hash_bucket_fast / _strong."""
    from support.util import REPO
    rnd = np.random.default_rng(15)
    data = [rnd.integers(0, 256, n, dtype=np.uint8).tobytes() for n in list(range(301)) * 3]
    (tmp_path / "Main.java").write_text(HASH_MAIN)
    javac(tmp_path / "classes", [tmp_path / "Main.java",
                                 REPO / "java-runtime/src/main/java/keras2java/runtime/StringHash.java"])
    proc = subprocess.run(["java", "-cp", str(tmp_path / "classes"), "Main"], capture_output=True, text=True,
                          input="".join(d.hex() + "\n" for d in data))
    assert proc.returncode == 0, proc.stderr[-2000:]
    got = [tuple(int(x) for x in ln.split()) for ln in proc.stdout.splitlines()]
    top = 2**63 - 1   # the largest bucket count: the hash modulo 2^63-1
    fast = tf.strings.to_hash_bucket_fast(data, top).numpy()
    strong = tf.strings.to_hash_bucket_strong(data, top, key=[133, 0x1e3779b97f4a7c15]).numpy()
    assert len(got) == len(data)
    for i, (f, s) in enumerate(got):
        assert (f % top, s % top) == (fast[i], strong[i]), (i, len(data[i]))
