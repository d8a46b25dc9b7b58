"""LSTM, GRU (reset_after True/False), SimpleRNN and keras.layers.RNN around the built-in
cells against Keras (Bidirectional: test_bidirectional.py):
units, activations (version-dependent recurrent activations: tf-keras .h5 vs Keras 3
files), go_backwards, return_state and initial states as model inputs, streaming
sessions (one timestep per step == predict on each prefix) and stateful layers.  The
generated API (int[] token ids, Session.step/reset, resetStates) is driven from Java;
models keras2java cannot convert are refused with one clear line.  Rows in predict mode
also check keras2java's numpy reference.

Every reference comes from Keras at test time.  Tolerance: |java - keras| /
max(1, |keras|) <= 1e-5 (harness.TOLERANCE).
"""
from __future__ import annotations

import subprocess

import numpy as np
import pytest

from support.battery import KerasBattery
from support.cases_recurrent import L, T, fn, prepare, seq
from support.harness import java_bin, max_error
from support.keras_cases import Case, keras

pytestmark = pytest.mark.keras

CASES: list[Case] = []


def add(*cases: Case) -> None:
    CASES.extend(cases)


# 1. GRU, SimpleRNN and LSTM by size
for u in (1, 7, 32):
    add(Case(f"gru/units{u}", seq(lambda k, u=u: [L(k).GRU(u), L(k).Dense(3)]), family="GRU"),
        Case(f"gru/reset_before/units{u}", seq(lambda k, u=u: [L(k).GRU(u, reset_after=False, return_sequences=True)]), family="GRU"),
        Case(f"simple_rnn/units{u}", seq(lambda k, u=u: [L(k).SimpleRNN(u), L(k).Dense(3)]), family="SimpleRNN"),
        Case(f"lstm/units{u}", seq(lambda k, u=u: [L(k).LSTM(u), L(k).Dense(3)]), family="LSTM"))
for fmt in ("keras", "h5", "tf_h5"):
    add(Case(f"gru/stacked/{fmt}", seq(lambda k: [L(k).GRU(7, return_sequences=True), L(k).GRU(6, return_sequences=True, reset_after=False),
                                                   L(k).GRU(5)], shape=(8, 5)), fmt, family="GRU"),
        Case(f"simple_rnn/stacked/{fmt}", seq(lambda k: [L(k).SimpleRNN(7, return_sequences=True), L(k).SimpleRNN(5)], shape=(8, 5)),
              fmt, family="SimpleRNN"))
for name, kw in [("no_bias", dict(use_bias=False)), ("no_bias_reset_before", dict(use_bias=False, reset_after=False)),
                 ("go_backwards", dict(go_backwards=True)), ("go_backwards_seq", dict(go_backwards=True, return_sequences=True)),
                 ("go_backwards_reset_before", dict(go_backwards=True, reset_after=False, return_sequences=True)),
                 ("relu_tanh", dict(activation="relu", recurrent_activation="tanh")),
                 ("hard_sigmoid", dict(recurrent_activation="hard_sigmoid"))]:
    add(Case(f"gru/{name}", seq(lambda k, kw=kw: [L(k).GRU(7, **kw)]), family="GRU"))
for name, kw in [("no_bias", dict(use_bias=False)), ("go_backwards", dict(go_backwards=True)),
                 ("go_backwards_seq", dict(go_backwards=True, return_sequences=True)),
                 ("relu", dict(activation="relu")), ("hard_sigmoid", dict(activation="hard_sigmoid"))]:
    add(Case(f"simple_rnn/{name}", seq(lambda k, kw=kw: [L(k).SimpleRNN(7, **kw)]), family="SimpleRNN",
              weight_scale=0.3 if name == "relu" else 0.5))


# 8. Recurrent activations per Keras version: hard_sigmoid is clip(0.2x+0.5) in tf-keras files, relu6(x+3)/6 in Keras 3.
for fmt in ("keras", "h5", "tf_h5"):
    add(Case(f"activations/gru_hard_sigmoid/{fmt}", seq(lambda k: [L(k).GRU(7, recurrent_activation="hard_sigmoid", return_sequences=True)]),
              fmt, weight_scale=1.5, input_scale=2.0, family="activations"),
        Case(f"activations/gru_reset_before_hard_sigmoid/{fmt}",
              seq(lambda k: [L(k).GRU(7, recurrent_activation="hard_sigmoid", reset_after=False)]), fmt,
              weight_scale=1.5, input_scale=2.0, family="activations"),
        Case(f"activations/lstm_hard_sigmoid/{fmt}", seq(lambda k: [L(k).LSTM(7, recurrent_activation="hard_sigmoid")]),
              fmt, weight_scale=1.5, input_scale=2.0, family="activations"),
        Case(f"activations/simple_rnn_hard_sigmoid/{fmt}", seq(lambda k: [L(k).SimpleRNN(7, activation="hard_sigmoid")]),
              fmt, weight_scale=1.5, input_scale=2.0, family="activations"),
        Case(f"activations/bidi_gru_hard_sigmoid/{fmt}",
              seq(lambda k: [L(k).Bidirectional(L(k).GRU(5, recurrent_activation="hard_sigmoid"))]),
              fmt, weight_scale=1.5, input_scale=2.0, family="activations"))


def _drop_reset_after(cfg, version):
    """A Keras 2.0-2.2 style config: no reset_after key (the bias shape tells)."""
    for layer in cfg["config"]["layers"]:
        inner = layer["config"].get("layer", {}).get("config", layer["config"])
        inner.pop("reset_after", None)
    return cfg, "2.1.6"


for ra in (False, True):
    add(Case(f"gru/config_without_reset_after/{ra}", seq(lambda k, ra=ra: [L(k).GRU(6, reset_after=ra, return_sequences=True),
                                                                          L(k).Bidirectional(L(k).GRU(4, reset_after=ra))],
                                                        shape=(7, 3)), "tf_h5", edit_h5=_drop_reset_after, family="GRU"))


# keras.layers.RNN around the built-in cells, and unroll=True (with masks)
for fmt in ("keras", "tf_h5"):
    add(Case(f"rnn_cell/{fmt}", seq(lambda k: [L(k).RNN(L(k).GRUCell(6, reset_after=False), return_sequences=True),
                                                L(k).RNN(L(k).LSTMCell(5), go_backwards=True, return_sequences=True),
                                                L(k).Bidirectional(L(k).RNN(L(k).SimpleRNNCell(4)))], shape=(7, 3)),
              fmt, family="RNN(cell)"),
        Case(f"rnn_cell/masked/{fmt}", seq(lambda k: [L(k).Masking(), L(k).RNN(L(k).LSTMCell(5), return_sequences=True),
                                                       L(k).RNN(L(k).GRUCell(4))], shape=(T, 3)),
              fmt, data="padded", family="RNN(cell)"))


for u in (1, 32):
    add(Case(f"stream/units{u}", seq(lambda k, u=u: [L(k).GRU(u, return_sequences=True), L(k).LSTM(u), L(k).Dense(2)], shape=(None, 3)),
              mode="stream", samples=3, steps=(4, 9), weight_scale=0.3, family="streaming"))


# the int[] token-id API of a GRU model (test_generated_api)
add(Case("embedding/variable", seq(lambda k: [L(k).Embedding(30, 4), L(k).GRU(5)], shape=(None,), dtype="int32"),
         data="tokens", family="Embedding"))


# 6. return_state and initial states as model inputs
def enc_dec(k, x, y):
    _, h, c = L(k).LSTM(6, return_state=True)(x)
    return L(k).Dense(3)(L(k).LSTM(6, return_sequences=True)(y, initial_state=[h, c]))


for fmt in ("keras", "h5", "tf_h5"):
    add(Case(f"state/lstm_return_state/{fmt}", fn(lambda k, x: list(L(k).LSTM(7, return_state=True)(x)), (6, 4)), fmt, family="states"),
        Case(f"state/gru_return_state_seq/{fmt}", fn(lambda k, x: list(L(k).GRU(7, return_state=True, return_sequences=True)(x)), (6, 4)),
              fmt, family="states"),
        Case(f"state/simple_rnn_return_state/{fmt}", fn(lambda k, x: list(L(k).SimpleRNN(7, return_state=True, go_backwards=True)(x)),
                                                         (6, 4)), fmt, family="states"),
        Case(f"state/lstm_initial_state/{fmt}", fn(lambda k, x, h, c: L(k).LSTM(5)(x, initial_state=[h, c]), (6, 4), (5,), (5,)),
              fmt, family="states"),
        Case(f"state/gru_initial_state/{fmt}", fn(lambda k, x, h: L(k).GRU(5, return_sequences=True)(x, initial_state=[h]), (6, 4), (5,)),
              fmt, family="states"),
        Case(f"state/encoder_decoder/{fmt}", fn(enc_dec, (5, 4), (6, 3)), fmt, family="states"))
add(Case("state/masked_return_state", fn(lambda k, x: list(L(k).LSTM(5, return_state=True)(L(k).Masking()(x))), (T, 3)),
          data="padded", family="states"),
    Case("state/masked_initial_state/tf_h5", fn(lambda k, x, h: L(k).GRU(5, return_sequences=True)(L(k).Masking()(x), initial_state=[h]),
                                                 (T, 3), (5,)), "tf_h5", data="padded", family="states"),
    Case("state/masked_initial_state", fn(lambda k, x, h: L(k).GRU(5, return_sequences=True)(L(k).Masking()(x), initial_state=[h]),
                                           (T, 3), (5,)), data="padded", family="states"))


# 7. Streaming sessions and stateful layers
add(Case("stream/lstm_gru_dense", seq(lambda k: [L(k).LSTM(7, return_sequences=True), L(k).GRU(6), L(k).Dense(3, activation="softmax")]),
          mode="stream", samples=5, steps=(1, 10), family="streaming"),
    Case("stream/fixed_length", seq(lambda k: [L(k).LSTM(15, return_sequences=True), L(k).LSTM(15),
                                                L(k).Dense(3, activation="softmax")], shape=(7, 11)),
          mode="stream", samples=4, family="streaming"),
    Case("stream/fixed_length_masked_tokens", seq(lambda k: [L(k).Embedding(30, 4, mask_zero=True), L(k).SimpleRNN(5, return_sequences=True),
                                                              L(k).TimeDistributed(L(k).Dense(2))], shape=(T,), dtype="int32"),
          data="tokens_padded", mode="stream", samples=6, family="streaming"),
    Case("stream/sequence_output", seq(lambda k: [L(k).SimpleRNN(5, return_sequences=True), L(k).TimeDistributed(L(k).Dense(2))]),
          mode="stream", samples=5, steps=(3, 10), family="streaming"),
    Case("stream/embedding_masked", seq(lambda k: [L(k).Embedding(30, 6, mask_zero=True), L(k).GRU(5, return_sequences=True),
                                                    L(k).Dense(3)], shape=(None,), dtype="int32"),
          data="tokens_padded", mode="stream", samples=6, family="streaming"),
    Case("stream/masking", seq(lambda k: [L(k).Masking(), L(k).LSTM(5), L(k).Dense(2)], shape=(None, 3)),
          data="padded", mode="stream", samples=6, family="streaming"),
    Case("stream/tf_h5", seq(lambda k: [L(k).GRU(5, return_sequences=True, reset_after=False), L(k).LSTM(4)], shape=(None, 3)),
          "tf_h5", mode="stream", samples=4, family="streaming"),
    Case("stateful/lstm", seq(lambda k: [L(k).LSTM(6, stateful=True), L(k).Dense(3)], shape=(None, 4), batch_size=1),
          mode="stateful", samples=5, steps=(2, 6), family="stateful"),
    Case("stateful/gru_seq", seq(lambda k: [L(k).GRU(6, stateful=True, return_sequences=True), L(k).SimpleRNN(3, stateful=True)],
                                  shape=(None, 4), batch_size=1), mode="stateful", samples=5, steps=(2, 6), family="stateful"),
    Case("stateful/tf_h5", seq(lambda k: [L(k).LSTM(6, stateful=True, return_sequences=True), L(k).GRU(4)], shape=(5, 4), batch_size=1),
          "tf_h5", mode="stateful", samples=4, family="stateful"))


battery = KerasBattery([(prepare, CASES, lambda c: c.mode == "predict")], seed=3000, package="k2jtest.rec",
                       workdir="recurrent")
prepared, batch, test_matches_keras = battery.tests()
test_reference_matches_keras = battery.test_reference_matches_keras()


@pytest.mark.java
@pytest.mark.slow
def test_worst_error_per_family(batch, capsys):
    """Prints the worst error per layer family (the report's numbers)."""
    families: dict = {}
    for case in CASES:
        run = batch.cases.get(case.id)
        if run is None or run.compile_error or run.run_error or run.convert_error:
            continue
        worst = max((max_error(g, e) for got, exp in zip(run.outputs, run.expected) if not isinstance(got, str)
                     for g, e in zip(got, exp)), default=0.0)
        families[case.family] = max(families.get(case.family, 0.0), worst)
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
    index = {c.id: n for n, c in enumerate(battery.cases)}
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
