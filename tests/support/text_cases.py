"""Text models (tests/layers/test_text.py, tests/layers/test_hashing.py): a hostile corpus
made here, the Java driver that feeds texts (as UTF-16 code units, so unpaired surrogates
reach Java) to many generated classes in one JVM, the decoding of its exact float bits,
and the comparison of string models with TensorFlow on the corpus."""
from __future__ import annotations

import random
import string
import subprocess
from pathlib import Path

import numpy as np

from .util import javac, java_sources

#: Characters Python's str.splitlines() breaks lines at (Keras' vocabulary reload does the same).
LINE_BREAKS = "\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029"

WORDS = [
    "the", "movie", "was", "great", "The", "MOVIE", "Great", "bad", "film", "not", "very", "good", "plot",
    "Café", "naïve", "Ärger", "Über", "façade", "crème", "brûlée", "ÉCOLE", "Ñandú",
    "straße", "STRASSE", "Straße", "ß", "ẞ",
    "İstanbul", "ISTANBUL", "ıi", "Iİ", "DİYARBAKIR", "ılık",
    "ΣΟΦΙΑ", "σοφίας", "ΟΔΟΣ", "οδός", "ς", "Σ",
    "Привет", "МИР", "мир", "Ёлка", "ЖУРНАЛ",
    "中文", "日本語テキスト", "한국어", "漢字",
    "مرحبا", "بالعالم", "العربية",
    "👍", "👍🏽", "👨‍👩‍👧", "🏳️‍🌈", "👩🏿‍💻", "😀",
    "e\u0301", "a\u0308", "n\u0303o", "\u0301",
    "K", "Å", "ﬁ", "Ⅻ", "ǅ", "µ",
]
SPACES = [" ", " ", " ", "  ", "\t", "\n", "\r\n", "\r", "\v", "\f", "\u00a0", "\u3000", "\u200b", "\u2009",
          "\u202f", "\u1680", "\x1c", "\x1f", "\u2028", "\u2029", "\x85", "\ufeff", "\u200d"]
PUNCT = string.punctuation


def corpus(n: int = 1200, seed: int = 15, surrogates: bool = True) -> list[str]:
    """At least ``n`` hostile strings: every punctuation character, scripts,
    emoji, combining marks, Unicode spaces, empty and very long strings, and
    (with ``surrogates``) unpaired UTF-16 surrogates."""
    rnd = random.Random(seed)
    out = ["", " ", "\t\n", "\u00a0", "\u3000", "\u200b", "this movie was great", "THIS MOVIE WAS GREAT!!!",
           PUNCT, " ".join(PUNCT), "a" + PUNCT + "b", "İstanbul ΣΟΦΙΑ naïve", "don't stop-believing (ok?)",
           "e-mail: foo@bar.com, $3.50 & 10% off #deal", "\u2028", "a\u2028b", "c\x1cd"]
    out += WORDS + [w.upper() for w in WORDS] + [w + rnd.choice(PUNCT) for w in WORDS]   # single tokens (StringLookup)
    out.append(" ".join(rnd.choice(WORDS) for _ in range(3000)))          # very long
    out.append("x" * 10000)
    out.append(("👍🏽" * 500) + " end")
    while len(out) < n:
        kind = rnd.random()
        parts = []
        for _ in range(rnd.randint(1, 12)):
            w = rnd.choice(WORDS)
            if rnd.random() < 0.3:
                w = w + rnd.choice(PUNCT)
            if rnd.random() < 0.15:
                w = rnd.choice(PUNCT) + w
            parts.append(w)
            parts.append(rnd.choice(SPACES) if kind < 0.5 else " ")
        s = "".join(parts)
        if kind > 0.9:
            s = rnd.choice(SPACES) + s + rnd.choice(SPACES)
        out.append(s)
    if surrogates:
        out += ["\ud800", "abc\udfffdef", "x\ud83d", "\udc00 great", "great \ud800\ud800 movie", "a?b"]
    return out


def utf8(text: str) -> bytes:
    """The bytes Java's UTF-8 encoder produces: an unpaired surrogate becomes '?'."""
    return text.encode("utf-8", "replace")


DRIVER = r"""
import java.io.*;
import java.lang.reflect.Method;
import java.nio.charset.StandardCharsets;
import java.util.*;

public final class TextDriver {
    public static void main(String[] args) throws Exception {
        List<String> texts = new ArrayList<>();
        try (BufferedReader r = new BufferedReader(new InputStreamReader(new FileInputStream(args[0]), StandardCharsets.US_ASCII))) {
            String line;
            while ((line = r.readLine()) != null) {
                StringBuilder sb = new StringBuilder();
                for (int i = 0; i + 4 <= line.length(); i += 4) {
                    sb.append((char) Integer.parseInt(line.substring(i, i + 4), 16));
                }
                texts.add(sb.toString());
            }
        }
        try (PrintWriter out = new PrintWriter(new BufferedWriter(new OutputStreamWriter(new FileOutputStream(args[1]), StandardCharsets.US_ASCII)))) {
            for (int c = 2; c < args.length; c++) {
                Class<?> cls = Class.forName(args[c]);
                Object model = cls.getConstructor().newInstance();
                Method m = cls.getMethod("predictAll", Object[].class);
                out.println("# " + args[c]);
                for (String t : texts) {
                    try {
                        float[][] y = (float[][]) m.invoke(model, (Object) new Object[] {t});
                        StringBuilder sb = new StringBuilder("O");
                        for (float[] o : y) {
                            for (float v : o) {
                                sb.append(' ').append(Float.floatToRawIntBits(v));
                            }
                        }
                        out.println(sb);
                    } catch (java.lang.reflect.InvocationTargetException e) {
                        out.println("E " + e.getCause().getClass().getSimpleName());
                    }
                }
            }
        }
    }
}
"""


def run_java(workdir: Path, classes: list[str], source_roots: list[Path], texts: list[str]) -> dict:
    """Compile the generated packages with the driver, run every class on every text.
    Returns class -> list of (float32 array | exception name)."""
    (workdir / "driver").mkdir(parents=True, exist_ok=True)
    (workdir / "driver" / "TextDriver.java").write_text(DRIVER)
    sources = [str(workdir / "driver" / "TextDriver.java")]
    for root in source_roots:
        sources += java_sources(root)
    classes_dir = workdir / "classes"
    javac(classes_dir, sorted(set(sources)))
    with open(workdir / "texts.txt", "w", encoding="ascii") as fh:
        for t in texts:
            fh.write("".join("%04x" % u for u in np.frombuffer(t.encode("utf-16-le", "surrogatepass"), "<u2")) + "\n")
    proc = subprocess.run(["java", "-Xss8m", "-cp", str(classes_dir), "TextDriver", str(workdir / "texts.txt"),
                           str(workdir / "out.txt"), *classes], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr[-3000:]
    result: dict = {}
    current = None
    for line in (workdir / "out.txt").read_text().splitlines():
        if line.startswith("# "):
            current = line[2:]
            result[current] = []
        elif line.startswith("E "):
            result[current].append(line[2:])
        else:
            bits = np.array([int(x) for x in line.split()[1:]], np.int64).astype(np.int32)
            result[current].append(bits.view(np.float32))
    return result


def keras_text_outputs(model, texts):
    """A string model's outputs on ``texts`` (one row per text), as TensorFlow computes them."""
    import tensorflow as tf

    scalar = len(model.inputs[0].shape) == 1
    data = tf.constant([utf8(t) for t in texts] if scalar else [[utf8(t)] for t in texts])
    return np.asarray(model(data), np.float32).reshape(len(texts), -1)


def convert_and_run(work: Path, cases, texts: list[str]) -> dict:
    """Save each (id, build, exact) row (ids starting with ``h5_`` as tf-keras .h5, others as
    Keras 3 .keras), convert it to ``k2jtext.<id>.Model``, run every class on every text in
    one JVM.  Returns id -> (Keras outputs, Java outputs, saved path)."""
    import keras

    from keras2java.pipeline import ConvertOptions, convert_file

    out = work / "gen"
    expected, paths, classes = {}, {}, []
    for cid, build, _ in cases:
        model = build()
        if cid.startswith("h5_"):
            import tf_keras
            path = str(work / f"{cid}.h5")
            model.save(path)
            loaded = tf_keras.models.load_model(path)
        else:
            path = str(work / f"{cid}.keras")
            model.save(path)
            loaded = keras.models.load_model(path)   # what Keras itself reads back from the file
        pkg = f"k2jtext.{cid}"
        convert_file(path, str(out), ConvertOptions(package=pkg, class_name="Model", weights="embedded"))
        classes.append(pkg + ".Model")
        expected[cid] = keras_text_outputs(loaded, texts)
        paths[cid] = path
    java = run_java(work, classes, [out], texts)
    return {cid: (expected[cid], java[f"k2jtext.{cid}.Model"], paths[cid]) for cid, _, _ in cases}
