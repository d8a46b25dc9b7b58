"""TextVectorization and StringLookup compiled to Java, compared with TensorFlow's own
layers on a hostile corpus built here (token ids exactly, full text models within 1e-5),
Keras 3 .keras and tf-keras .h5; the example model, mixed text and numeric inputs,
inverted lookups, refusals, ``inspect`` and thread safety.  (Hashing: test_hashing.py.)"""
from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np
import pytest

from support.text_cases import LINE_BREAKS, convert_and_run, corpus, keras_text_outputs, utf8
from support.util import java_sources, javac, rewrite_keras_config, run_cli

pytestmark = [pytest.mark.keras, pytest.mark.java, pytest.mark.slow]

tf = pytest.importorskip("tensorflow")
keras = pytest.importorskip("keras")

CORPUS = corpus()
#: adapt on text Keras can reload: a vocabulary token holding a str.splitlines() break is split by
#: Keras' own load_assets (see test_vocabulary_reload_follows_keras)
ADAPT = [t for t in corpus(400, seed=7, surrogates=False) if not any(c in t for c in LINE_BREAKS)]
VOCAB = ["the", "movie", "was", "great", "Café", "ΣΟΦΙΑ", "İstanbul", "👍🏽", "中文", "straße", "a", "b", "e\u0301",
         "ς", "Ёлка", "👨‍👩‍👧", "MOVIE"]


def _tv(**kw):
    def build():
        layer = keras.layers.TextVectorization(**kw)
        if "vocabulary" not in kw:
            layer.adapt(ADAPT)
        inp = keras.Input(shape=(1,), dtype="string")
        return keras.Model(inp, layer(inp))
    return build


def _sl(**kw):
    def build():
        inp = keras.Input(shape=(1,), dtype="string")
        return keras.Model(inp, keras.layers.StringLookup(vocabulary=VOCAB, **kw)(inp))
    return build


def _full(rnn, mode="int"):
    def build():
        keras.utils.set_random_seed(3)
        layer = keras.layers.TextVectorization(max_tokens=300, output_sequence_length=20 if mode == "int" else None,
                                               output_mode=mode)
        layer.adapt(ADAPT)
        inp = keras.Input(shape=(1,), dtype="string")
        x = layer(inp)
        if mode == "int":
            x = keras.layers.Embedding(300, 8, mask_zero=rnn == "bilstm")(x)
            x = (keras.layers.Bidirectional(keras.layers.LSTM(6)) if rnn == "bilstm" else keras.layers.LSTM(6))(x)
        else:
            x = keras.layers.Dense(7, activation="relu")(x)
        out = keras.layers.Dense(3, activation="softmax")(x)
        return keras.Model(inp, out)
    return build


def _scalar_input():
    layer = keras.layers.TextVectorization(max_tokens=100, output_sequence_length=7, ngrams=2)
    layer.adapt(ADAPT)
    inp = keras.Input(shape=(), dtype="string")
    return keras.Model(inp, layer(inp))


def _linebreak_vocab():
    """Tokens holding U+2028 and \x1c (not whitespace for TensorFlow) are saved on one line each but
    split by Keras' own reload (str.splitlines): the file means what Keras reads back."""
    layer = keras.layers.TextVectorization(output_sequence_length=6)
    layer.adapt(["xa\u2028xb yc\x1cyd", "the movie"])
    inp = keras.Input(shape=(1,), dtype="string")
    return keras.Model(inp, layer(inp))


#: (id, builder, token-level?) Keras 3 cases
K3_CASES = [
    ("tv_default", _tv(max_tokens=400, output_sequence_length=12), True),
    ("tv_lower", _tv(standardize="lower", output_sequence_length=8), True),
    ("tv_strip_multi_hot", _tv(standardize="strip_punctuation", output_mode="multi_hot"), True),
    ("tv_none_count", _tv(standardize=None, output_mode="count", max_tokens=150, pad_to_max_tokens=True), True),
    ("tv_character", _tv(split="character", output_sequence_length=40), True),
    ("tv_split_none", _tv(split=None, standardize="lower"), True),
    ("tv_ngrams2_tfidf", _tv(ngrams=2, output_mode="tf_idf", max_tokens=300), True),
    ("tv_ngrams13_int", _tv(ngrams=(1, 3), output_sequence_length=16), True),
    ("tv_vocab_config_tfidf", _tv(vocabulary=VOCAB, idf_weights=[0.1 * (i + 1) for i in range(len(VOCAB))],
                                  output_mode="tf_idf"), True),
    ("tv_vocab_config_int", _tv(vocabulary=VOCAB, output_sequence_length=5), True),
    ("tv_variable_length", _tv(max_tokens=500), True),
    ("tv_scalar_input", lambda: _scalar_input(), True),
    ("tv_linebreak_vocab", _linebreak_vocab, True),
    ("sl_oov1", _sl(), True),
    ("sl_oov3_mask", _sl(num_oov_indices=3, mask_token=""), True),
    ("sl_oov4_salt", _sl(num_oov_indices=4, salt=[11, 22]), True),
    ("sl_one_hot", _sl(output_mode="one_hot"), True),
    ("sl_multi_hot_mask", _sl(output_mode="multi_hot", mask_token=""), True),
    ("sl_count_pad", _sl(output_mode="count", max_tokens=30, pad_to_max_tokens=True), True),
    ("sl_tfidf", _sl(output_mode="tf_idf", idf_weights=[0.5 + i for i in range(len(VOCAB))]), True),
    ("full_lstm", _full("lstm"), False),
    ("full_bilstm_mask", _full("bilstm"), False),
    ("full_tfidf_dense", _full(None, "tf_idf"), False),
    ("full_sequential_gru", lambda: _sequential(), False),
    ("full_nested_sequential", lambda: _nested(), False),
]


def _nested():
    """The tokenizer inside a nested Sequential: its vocabulary is under assets/layers/sequential/layers/..."""
    keras.utils.set_random_seed(10)
    layer = keras.layers.TextVectorization(max_tokens=90, output_sequence_length=6, split="character")
    layer.adapt(ADAPT)
    inner = keras.Sequential([keras.Input(shape=(1,), dtype="string"), layer, keras.layers.Embedding(90, 4),
                              keras.layers.GlobalAveragePooling1D()])
    inp = keras.Input(shape=(1,), dtype="string")
    return keras.Model(inp, keras.layers.Dense(2)(inner(inp)))


def _sequential():
    keras.utils.set_random_seed(8)
    layer = keras.layers.TextVectorization(max_tokens=120, output_sequence_length=10, standardize="lower")
    layer.adapt(ADAPT)
    return keras.Sequential([keras.Input(shape=(1,), dtype="string"), layer, keras.layers.Embedding(120, 5),
                             keras.layers.GRU(4), keras.layers.Dense(2)])


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    return convert_and_run(tmp_path_factory.mktemp("text"), K3_CASES + H5_CASES, CORPUS)


def _h5(kind, **kw):
    def build():
        import tf_keras
        inp = tf_keras.Input(shape=(1,), dtype="string")
        cls = {"tv": tf_keras.layers.TextVectorization, "sl": tf_keras.layers.StringLookup}[kind]
        return tf_keras.Model(inp, cls(**kw)(inp))
    return build


def _h5_full():
    import tf_keras
    tf_keras.utils.set_random_seed(9)
    inp = tf_keras.Input(shape=(1,), dtype="string")
    x = tf_keras.layers.TextVectorization(vocabulary=VOCAB, output_sequence_length=9)(inp)
    x = tf_keras.layers.Embedding(len(VOCAB) + 2, 6, mask_zero=True)(x)
    x = tf_keras.layers.Bidirectional(tf_keras.layers.LSTM(5))(x)
    return tf_keras.Model(inp, tf_keras.layers.Dense(3, activation="sigmoid")(x))


H5_CASES = [
    ("h5_tv_int", _h5("tv", vocabulary=VOCAB, output_sequence_length=7), True),
    ("h5_tv_character", _h5("tv", vocabulary=["a", "b", "中", "👍"], split="character",
                            output_sequence_length=30), True),
    ("h5_tv_tfidf", _h5("tv", vocabulary=VOCAB, idf_weights=[1.0 + i for i in range(len(VOCAB))],
                        output_mode="tf_idf", ngrams=2), True),
    ("h5_sl_oov2", _h5("sl", vocabulary=VOCAB, num_oov_indices=2, mask_token=""), True),
    ("h5_full_lstm", lambda: _h5_full(), False),
]


@pytest.mark.parametrize("cid", [c[0] for c in K3_CASES + H5_CASES if c[2] and c[0] != "tv_variable_length"])
def test_python_reference_tokenizer(cid, results):
    """The op's numpy evaluator (keras2java's own reference) gives TensorFlow's outputs too."""
    from keras2java.pipeline import load

    expected, _, path = results[cid]
    model = load(path)
    (op,) = [n.op for n in model.nodes if getattr(n.op, "takes_strings", False)]
    for i in range(len(CORPUS)):
        got = op.evaluate([np.array([CORPUS[i]], object)])[0]
        np.testing.assert_array_equal(got, expected[i].reshape(got.shape), err_msg=f"{cid} text {i}")


def test_corpus_is_hostile():
    assert len(CORPUS) >= 1000
    joined = "".join(CORPUS)
    for needle in list("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~") + ["ß", "İ", "ı", "ς", "Ж", "中", "ع", "🏽", "\u200d",
                                                                   "\u0301", "\u00a0", "\u3000", "\u200b", "\t", "\n"]:
        assert needle in joined, needle
    assert "" in CORPUS and max(len(t) for t in CORPUS) > 10000
    assert any(0xD800 <= ord(c) <= 0xDFFF for t in CORPUS for c in t)


@pytest.mark.parametrize("cid", [c[0] for c in K3_CASES + H5_CASES])
def test_matches_tensorflow(cid, results):
    expected, java, _ = results[cid]
    token_level = dict((c[0], c[2]) for c in K3_CASES + H5_CASES)[cid]
    worst = 0.0
    for i, (e, j) in enumerate(zip(expected, java)):
        if cid == "tv_variable_length" and isinstance(j, str) and not np.any(e):
            assert j == "IllegalArgumentException"   # a text without tokens: no timesteps for the model
            continue
        assert not isinstance(j, str), f"{cid}: text {i} {CORPUS[i]!r}: Java threw {j}"
        if cid == "tv_variable_length":   # Keras pads a batch to its longest text; Java returns the text's ids
            assert np.all(e[len(j):] == 0) and np.all(e[:len(j)] != 0), (i, CORPUS[i][:80])
            e = e[:len(j)]
        assert j.shape == e.shape, (cid, i, j.shape, e.shape)
        if token_level:
            bad = np.nonzero(j != e)[0]
            assert bad.size == 0, f"{cid}: text {i} {CORPUS[i][:80]!r}: Java {j[bad][:8]} != TF {e[bad][:8]}"
        else:
            err = float(np.max(np.abs(j - e) / np.maximum(1.0, np.abs(e)))) if e.size else 0.0
            worst = max(worst, err)
    assert worst <= 1e-5, f"{cid}: max error {worst:.3g}"
    assert len({e.tobytes() for e in expected}) > 5, "trivial outputs"
    print(f"{cid}: {len(expected)} texts, max error {worst:.3g}")


EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "text" / "text_classifier.keras"
MAIN = """
import demo.text.Sentiment;

public final class Main {
    public static void main(String[] args) {
        Sentiment model = new Sentiment();
        float[] p = model.predict("this movie was great");
        float[][] ps = model.predict(new String[] {"a bad movie", "I loved it!", ""});
        StringBuilder sb = new StringBuilder();
        for (float v : p) sb.append(Float.floatToRawIntBits(v)).append(' ');
        for (float[] q : ps) for (float v : q) sb.append(Float.floatToRawIntBits(v)).append(' ');
        System.out.println(sb.toString().trim());
    }
}
"""


def _java_main(tmp_path, source: str, *models: tuple[str, str, str]) -> str:
    from keras2java.pipeline import ConvertOptions, convert_file

    out = tmp_path / "gen"
    for path, pkg, cls in models:
        convert_file(path, str(out), ConvertOptions(package=pkg, class_name=cls, weights="embedded"))
    (out / "Main.java").write_text(source)
    javac(tmp_path / "classes", java_sources(out))
    proc = subprocess.run(["java", "-cp", str(tmp_path / "classes"), "Main"], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return proc.stdout


def _floats(text: str) -> np.ndarray:
    return np.array([int(x) for x in text.split()], np.int64).astype(np.int32).view(np.float32)


def test_example_model(tmp_path):
    """examples/text: model.predict("this movie was great") in Java is Keras' prediction."""
    java = _floats(_java_main(tmp_path, MAIN, (str(EXAMPLE), "demo.text", "Sentiment")))
    model = keras.models.load_model(EXAMPLE)
    texts = ["this movie was great", "a bad movie", "I loved it!", ""]
    expected = keras_text_outputs(model, texts).reshape(-1)
    np.testing.assert_allclose(java, expected, atol=1e-5, rtol=1e-5)
    assert expected[1] > 0.5   # the demo model does think that movie was great


MIXED_MAIN = """
import k2jtext.mixed.Mixed;

public final class Main {
    public static void main(String[] args) {
        Mixed model = new Mixed();
        StringBuilder sb = new StringBuilder();
        Mixed.Outputs o = model.predictNamed("the movie was great", new float[] {0.5f, -1f, 2f});
        for (float v : o.score) sb.append(Float.floatToRawIntBits(v)).append(' ');
        float[][] all = model.predictAll(new Object[] {"ΣΟΦΙΑ İstanbul 👍🏽 a b", new float[] {1f, 2f, 3f}});
        for (float v : all[0]) sb.append(Float.floatToRawIntBits(v)).append(' ');
        try {
            model.predictAll(new Object[] {new float[3], new float[3]});
            sb.append("accepted");
        } catch (IllegalArgumentException e) {
            sb.append("refused");
        }
        System.out.println(sb.toString().trim());
    }
}
"""


def test_mixed_text_and_numeric_inputs(tmp_path):
    """predictNamed(String, float[]) and predictAll(Object[]) on a model with a text and a numeric input."""
    keras.utils.set_random_seed(4)
    text = keras.Input(shape=(1,), dtype="string", name="review")
    num = keras.Input(shape=(3,), name="meta")
    tv = keras.layers.TextVectorization(vocabulary=VOCAB, output_sequence_length=5)
    x = keras.layers.GlobalAveragePooling1D()(keras.layers.Embedding(len(VOCAB) + 2, 4)(tv(text)))
    x = keras.layers.Concatenate()([x, num])
    out = keras.layers.Dense(2, activation="tanh", name="score")(x)
    model = keras.Model([text, num], out)
    path = tmp_path / "mixed.keras"
    model.save(path)
    out_text = _java_main(tmp_path, MIXED_MAIN, (str(path), "k2jtext.mixed", "Mixed")).strip()
    assert out_text.endswith("refused")
    java = _floats(out_text[:-len("refused")])
    loaded = keras.models.load_model(path)
    e1 = np.asarray(loaded([tf.constant([[utf8("the movie was great")]]), tf.constant([[0.5, -1, 2]], "float32")]))
    e2 = np.asarray(loaded([tf.constant([[utf8("ΣΟΦΙΑ İstanbul 👍🏽 a b")]]), tf.constant([[1, 2, 3]], "float32")]))
    np.testing.assert_allclose(java, np.concatenate([e1.reshape(-1), e2.reshape(-1)]), atol=1e-5, rtol=1e-5)


OOV0_MAIN = """
import k2jtext.oov0.Model;

public final class Main {
    public static void main(String[] args) {
        Model model = new Model();
        System.out.print((int) model.predict("movie")[0]);
        try {
            model.predict("cinema");
            System.out.println(" accepted");
        } catch (IllegalArgumentException e) {
            System.out.println(" refused");
        }
    }
}
"""


def test_no_oov_indices_refuses_unknown_tokens_like_tensorflow(tmp_path):
    inp = keras.Input(shape=(1,), dtype="string")
    model = keras.Model(inp, keras.layers.StringLookup(vocabulary=VOCAB, num_oov_indices=0)(inp))
    path = tmp_path / "oov0.keras"
    model.save(path)
    loaded = keras.models.load_model(path)
    expected = int(np.asarray(loaded(tf.constant([["movie"]]))).reshape(-1)[0])
    with pytest.raises(Exception):
        loaded(tf.constant([["cinema"]]))
    assert _java_main(tmp_path, OOV0_MAIN, (str(path), "k2jtext.oov0", "Model")).split() == [str(expected), "refused"]


def test_custom_standardize_and_split_are_refused_by_name(tmp_path):
    inp = keras.Input(shape=(1,), dtype="string")
    model = keras.Model(inp, keras.layers.TextVectorization(vocabulary=VOCAB)(inp))
    path = tmp_path / "tv.keras"
    model.save(path)
    bad = tmp_path / "custom.keras"

    def edit(cfg):
        layer = cfg["config"]["layers"][1]["config"]
        layer["standardize"] = {"module": "builtins", "class_name": "function", "config": "my_cleaner",
                                "registered_name": "function"}
        layer["split"] = "my_splitter"
        return cfg
    rewrite_keras_config(path, bad, edit)
    proc = run_cli("convert", str(bad), "-o", str(tmp_path / "out"))
    assert proc.returncode != 0
    assert "custom standardize" in proc.stderr and "my_cleaner" in proc.stderr
    assert not (tmp_path / "out").exists()
    bad2 = tmp_path / "custom_split.keras"

    def edit2(cfg):
        cfg["config"]["layers"][1]["config"]["split"] = "my_splitter"
        return cfg
    rewrite_keras_config(path, bad2, edit2)
    proc = run_cli("convert", str(bad2), "-o", str(tmp_path / "out2"))
    assert proc.returncode != 0 and "custom split 'my_splitter'" in proc.stderr


def test_inspect_shows_tokenizer_settings(tmp_path):
    proc = run_cli("inspect", str(EXAMPLE))
    assert proc.returncode == 0, proc.stderr
    assert "standardize=lower+strip_punctuation, split=whitespace" in proc.stdout
    model = keras.models.load_model(EXAMPLE)
    n = len(model.layers[1].get_vocabulary()) - 2
    assert f"vocabulary: {n} tokens from id 2" in proc.stdout


INVERT_MAIN = """
import k2jtext.inv1.Decoder;
import k2jtext.inv2.RoundTrip;

public final class Main {
    public static void main(String[] args) throws Exception {
        java.io.PrintStream out = new java.io.PrintStream(System.out, true, "UTF-8");
        Decoder d = new Decoder();
        for (int i = -2; i < 24; i++) {
            float[] ids = {i, 0f, 3f};
            for (String s : d.decodeOutput0(d.predict(ids))) out.println("[" + s + "]");
            for (String s : d.predictStrings(ids)) out.println("[" + s + "]");
        }
        RoundTrip r = new RoundTrip();
        for (String t : args) {
            out.println("[" + r.predictStrings(t)[0] + "]");
        }
    }
}
"""


def test_string_lookup_invert_as_model_output(tmp_path):
    """StringLookup(invert=True) ending a model: Java decodes the ids into Keras' strings."""
    ids_in = keras.Input(shape=(3,), dtype="int64")
    dec = keras.Model(ids_in, keras.layers.StringLookup(vocabulary=VOCAB, invert=True, mask_token="",
                                                        num_oov_indices=2)(ids_in))
    p1 = tmp_path / "dec.keras"
    dec.save(p1)
    text_in = keras.Input(shape=(1,), dtype="string")
    ids = keras.layers.StringLookup(vocabulary=VOCAB)(text_in)
    rt = keras.Model(text_in, keras.layers.StringLookup(vocabulary=VOCAB, invert=True)(ids))
    p2 = tmp_path / "rt.keras"
    rt.save(p2)
    texts = ["movie", "cinema", "ΣΟΦΙΑ", "σοφια", "", "e\u0301"]
    from keras2java.pipeline import ConvertOptions, convert_file
    out = tmp_path / "gen"
    convert_file(str(p1), str(out), ConvertOptions(package="k2jtext.inv1", class_name="Decoder", weights="embedded"))
    convert_file(str(p2), str(out), ConvertOptions(package="k2jtext.inv2", class_name="RoundTrip", weights="embedded"))
    (out / "Main.java").write_text(INVERT_MAIN)
    javac(tmp_path / "classes", java_sources(out))
    proc = subprocess.run(["java", "-cp", str(tmp_path / "classes"), "Main", *texts], capture_output=True)
    assert proc.returncode == 0, proc.stderr.decode()[-2000:]
    lines = [ln[1:-1] for ln in proc.stdout.decode("utf-8").split("\n") if ln]
    loaded = keras.models.load_model(p1)
    expected = []
    for i in range(-2, 24):
        row = [v.decode("utf-8") for v in np.asarray(loaded(tf.constant([[i, 0, 3]], "int64"))).reshape(-1)]
        expected += row + row
    loaded_rt = keras.models.load_model(p2)
    expected += [np.asarray(loaded_rt(tf.constant([[utf8(t)]]))).reshape(-1)[0].decode("utf-8") for t in texts]
    assert lines == expected
    assert "[UNK]" in lines and "" in lines and "ΣΟΦΙΑ" in lines


THREADS_MAIN = """
import demo.text.Sentiment;

public final class Main {
    public static void main(String[] args) throws Exception {
        final String[] texts = new String[2000];
        for (int i = 0; i < texts.length; i++) {
            StringBuilder sb = new StringBuilder();
            for (int k = 0; k <= i % 37; k++) sb.append(k % 3 == 0 ? "great " : k % 3 == 1 ? "Movie! " : "\\u00a0\\u0130 \\ud83d\\udc4d\\ud83c\\udffd ");
            texts[i] = sb.toString();
        }
        final float[][] single = new Sentiment().predict(texts);
        final boolean[] ok = {true};
        Thread[] ts = new Thread[4];
        for (int t = 0; t < ts.length; t++) {
            ts[t] = new Thread(() -> {
                Sentiment m = new Sentiment();   // one instance per thread; tokenizers are shared
                for (int rep = 0; rep < 3; rep++) {
                    for (int i = 0; i < texts.length; i++) {
                        if (!java.util.Arrays.equals(m.predict(texts[i]), single[i])) {
                            synchronized (ok) { ok[0] = false; }
                        }
                    }
                }
            });
            ts[t].start();
        }
        for (Thread t : ts) t.join();
        System.out.println(ok[0] ? "same" : "different");
    }
}
"""


def test_tokenizers_are_thread_safe(tmp_path):
    """Four threads, one instance each, share the tokenizer: the same outputs as one thread."""
    assert _java_main(tmp_path, THREADS_MAIN, (str(EXAMPLE), "demo.text", "Sentiment")).strip() == "same"


def test_text_models_convert_without_tensorflow(tmp_path):
    """Reading vocabularies, converting and inspecting a text model imports no TensorFlow or Keras."""
    import sys
    import textwrap
    code = textwrap.dedent(f"""
        import sys
        import keras2java
        from keras2java.pipeline import load
        from keras2java.inspect_model import describe
        text = describe(load({str(EXAMPLE)!r}))
        assert "vocabulary:" in text, text
        keras2java.convert({str(EXAMPLE)!r}, {str(tmp_path / 'out')!r}, package="p", class_name="M")
        bad = sorted(k for k in sys.modules if k.split(".")[0] in ("tensorflow", "keras", "tf_keras", "torch", "jax"))
        print("IMPORTED:", bad)
    """)
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "IMPORTED: []" in proc.stdout
    assert "TextVectorizer" in (tmp_path / "out" / "p" / "M.java").read_text()


def test_golden_vectors_refuse_text_models_clearly(tmp_path):
    proc = run_cli("convert", str(EXAMPLE), "-o", str(tmp_path / "out"), "--with-test")
    assert proc.returncode != 0
    assert "input(s) ['text'] are text" in proc.stderr
    assert "Install TensorFlow" not in proc.stderr
