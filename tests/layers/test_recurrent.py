"""Issue 3: the recurrent family against Keras.

GRU (reset_after True/False), SimpleRNN, Bidirectional (every merge mode,
explicit backward layers), TimeDistributed, Embedding (mask_zero), Masking
(padding at the end, at the start and in the middle), return_state and
initial states as model inputs, streaming sessions (one timestep per step ==
predict on each prefix), stateful layers, and version-dependent recurrent
activations (tf-keras .h5 vs Keras 3 files).

Every reference comes from Keras at test time.  Tolerance: |java - keras| /
max(1, |keras|) <= 1e-5 (harness.TOLERANCE).
"""
from __future__ import annotations

import subprocess

import numpy as np
import pytest

from support.cases_recurrent import CASES, L, T, harness_mode, prepare
from support.harness import JavaBatch, java_bin
from support.keras_cases import Case, keras

pytestmark = pytest.mark.keras


@pytest.fixture(scope="module")
def batch(tmp_path_factory, request):
    work = tmp_path_factory.mktemp("recurrent")
    b = JavaBatch(work)
    # Prepare only the selected cases (all of them in a full run; fewer with -k).
    selected = {item.callspec.params["case"].id for item in request.session.items
                if item.module is request.module and hasattr(item, "callspec")
                and isinstance(item.callspec.params.get("case"), Case)}
    for n, case in enumerate(CASES):
        if case.id not in selected:
            continue
        path, samples, expected = prepare(case, work, seed=3000 + n)
        b.add(case.id, path, samples, expected, package="k2jtest.rec.c%d" % n, class_name="M", mode=harness_mode(case, samples))
    b.run()
    return b


WORST: dict = {}


@pytest.mark.java
@pytest.mark.slow
@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_matches_keras(case, batch):
    WORST[case.id] = (case.family, batch.cases[case.id].check())


@pytest.mark.java
@pytest.mark.slow
def test_worst_error_per_family(batch, capsys):
    """Prints the worst error per layer family (the report's numbers)."""
    families: dict = {}
    for fam, err in WORST.values():
        families[fam] = max(families.get(fam, 0.0), err)
    with capsys.disabled():
        print("\nworst |java-keras|/max(1,|keras|) per family:")
        for fam, err in sorted(families.items()):
            print(f"  {fam:16s} {err:.3g}")
    assert families, "run together with test_matches_keras"


API_PROBE = r"""
import java.util.Arrays;

public final class ApiProbe {
    static String row(float[] v) {
        StringBuilder b = new StringBuilder();
        for (float f : v) {
            b.append(' ').append(Float.floatToRawIntBits(f));
        }
        return b.toString().trim();
    }

    static String expectIae(Runnable r) {
        try {
            r.run();
            return "no exception";
        } catch (IllegalArgumentException e) {
            return "IAE " + e.getMessage();
        }
    }

    public static void main(String[] args) {
        final %(tok)s m = new %(tok)s();
        System.out.println("ints " + row(m.predict(new int[] {%(ids)s})));
        System.out.println("floats " + row(m.predict(new float[] {%(ids)s})));
        System.out.println("oov " + expectIae(() -> m.predict(new int[] {1, %(vocab)d})));
        System.out.println("negative " + expectIae(() -> m.predict(new float[] {-1f})));
        %(tok)s.Session s = m.newSession();
        float[] first = s.step(new float[] {%(first)s});
        s.step(new float[] {%(first)s});
        s.reset();
        System.out.println("reset " + Arrays.equals(first, s.step(new float[] {%(first)s})));
        System.out.println("frame " + expectIae(() -> m.newSession().step(new float[] {1f, 2f})));
        final %(st)s st = new %(st)s();
        float[] x = new float[8];
        Arrays.fill(x, 0.25f);
        float[] a = st.predict(x);
        float[] b = st.predict(x);
        st.resetStates();
        float[] c = st.predict(x);
        System.out.println("stateful " + !Arrays.equals(a, b) + " " + Arrays.equals(a, c));
    }
}
"""


@pytest.mark.java
@pytest.mark.slow
def test_generated_api(batch, tmp_path):
    """int[] token ids, Session.step/reset, frame checks, resetStates, out-of-vocabulary ids."""
    index = {c.id: n for n, c in enumerate(CASES)}
    tok_case, st_case = "embedding/variable", "stateful/lstm"
    if tok_case not in batch.cases or st_case not in batch.cases:
        pytest.skip("run the whole module")
    ids = [3, 7, 1, 0, 12]
    k = keras()
    tok_path = next(batch.workdir.glob(tok_case.replace("/", "_") + ".keras"))
    model = k.saving.load_model(str(tok_path))
    expected = np.asarray(model(np.array([ids], dtype="int32")))[0]
    src = tmp_path / "ApiProbe.java"
    src.write_text(API_PROBE % dict(tok=f"k2jtest.rec.c{index[tok_case]}.M", st=f"k2jtest.rec.c{index[st_case]}.M",
                                    ids=", ".join(map(str, ids)), vocab=30, first=ids[0]))
    classes = batch.workdir / "classes"
    out = tmp_path / "cls"
    out.mkdir()
    proc = subprocess.run([java_bin("javac"), "--release", "8", "-nowarn", "-cp", str(classes), "-d", str(out), str(src)],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    import os
    proc = subprocess.run([java_bin("java"), "-cp", os.pathsep.join([str(out), str(classes), str(batch.src)]), "ApiProbe"],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    lines = dict(line.split(" ", 1) for line in proc.stdout.strip().splitlines())
    got = np.array([int(v) for v in lines["ints"].split()], dtype=np.int32).view(np.float32)
    assert np.max(np.abs(got - expected) / np.maximum(1, np.abs(expected))) <= 1e-5
    assert lines["floats"] == lines["ints"]
    assert lines["oov"].startswith("IAE token id 30.0 at position 1 is outside the vocabulary [0, 30)"), lines["oov"]
    assert lines["negative"].startswith("IAE"), lines["negative"]
    assert lines["reset"] == "true"
    assert lines["frame"].startswith("IAE frame: expected shape"), lines["frame"]
    assert lines["stateful"] == "true true"


# -- refusals: one clear problem per layer, nothing written ------------------------------------
REFUSALS = [
    ("mask_into_softmax", lambda k: k.Sequential([k.Input((T, 3)), L(k).Masking(), L(k).Softmax(name="soft"), L(k).LSTM(3)]),
     "layer 'soft' (Softmax): receives a Keras mask"),
    ("time_distributed_lstm_variable_frames", lambda k: k.Sequential([k.Input((T, None, 2)),
                                                                      L(k).TimeDistributed(L(k).LSTM(3))]),
     "TimeDistributed(LSTM): the wrapped layer runs once per step and needs a fixed frame shape, got (None, 2)"),
    ("mask_zero_rank2", lambda k: k.Sequential([k.Input((T, 2), dtype="int32"), L(k).Embedding(10, 3, mask_zero=True)]),
     "mask_zero=True needs token ids of shape (timesteps,)"),
]


@pytest.mark.parametrize("name,build,message", REFUSALS, ids=[r[0] for r in REFUSALS])
def test_refused_with_clear_message(name, build, message, tmp_path):
    from support.util import run_cli

    model = build(keras())
    path = tmp_path / f"{name}.keras"
    model.save(str(path))
    out = tmp_path / "out"
    proc = run_cli("convert", str(path), "--out", str(out))
    assert proc.returncode == 2, proc.stderr
    assert message in proc.stderr, proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1 and "Traceback" not in proc.stderr
    assert not out.exists()
