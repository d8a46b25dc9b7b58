"""Stress tests of the generated Java, through its public API
(predictAll, predictAllBatch, Session), driven by tests/java/StressRunner.java.

* random input lengths (1 to 300 timesteps, masked frames anywhere) for
  variable-timestep LSTM/GRU models, merges of variable sequences and
  streaming sessions, compared with Keras;
* 8 threads x mixed models x interleaved streaming sessions, bit-identical to
  one thread (same kernels, so the same float operations in the same order);
* predictAllBatch over thousands of samples equals per-sample predictAll
  (and Keras);
* 10^5 calls in one JVM: used heap after GC and the thread counts stay flat,
  and a steady-state predictAll allocates only the arrays it returns.
"""
from __future__ import annotations

import subprocess

import numpy as np
import pytest

from support.harness import TOLERANCE, JavaBatch, java_bin, max_error, read_outputs, write_inputs
from support.keras_cases import Case, keras, randomize
from support.util import REPO

pytestmark = [pytest.mark.keras, pytest.mark.java, pytest.mark.slow]   # ~1 min: the module fixture builds, converts, compiles

DRIVER = REPO / "tests" / "java" / "StressRunner.java"
L = lambda k: k.layers  # noqa: E731


def _masked_lstm_gru(k):
    x = k.Input((None, 5))
    h = L(k).Masking(0.0)(x)
    h = L(k).LSTM(8, return_sequences=True)(h)
    h = L(k).GRU(6)(h)
    return k.Model(x, L(k).Dense(3)(h))


def _stream_gru_lstm(k, sequences: bool = False):
    x = k.Input((None, 4))
    h = L(k).GRU(8, return_sequences=True)(x)
    h = L(k).LSTM(6, return_sequences=sequences)(h)
    return k.Model(x, L(k).Dense(2)(h))


def _merge_variable(k):
    a, b = k.Input((None, 4)), k.Input((None, 3))
    x = L(k).LSTM(6, return_sequences=True)(a)
    y = L(k).GRU(6, return_sequences=True)(b)
    s = L(k).Add()([x, y])
    m = L(k).Multiply()([x, y])
    h = L(k).Concatenate()([s, m, x])
    h = L(k).SimpleRNN(5)(h)
    return k.Model([a, b], L(k).Dense(2)(h))


def _merge_fixed(k):
    a, b = k.Input((6, 4)), k.Input((6, 4))
    p = L(k).Flatten()(L(k).Dense(5)(L(k).Permute((2, 1))(a)))        # (4, 6) -> (4, 5) -> 20
    q = L(k).Dense(20, activation="tanh")(L(k).Flatten()(b))
    h = L(k).Concatenate()([L(k).Add()([p, q]), L(k).Multiply()([p, q]), L(k).Maximum()([p, q]),
                            L(k).Average()([p, q, L(k).Subtract()([p, q])])])
    return k.Model([a, b], [L(k).Dense(3, activation="softmax")(h), L(k).Minimum()([p, q])])


#: The models under stress: variable timesteps with masks, a streamable recurrent
#: stack, merges of variable sequences (run-time timestep agreement), fixed-shape merges.
CASES = {c.id: c for c in (
    Case("masked_lstm_gru", _masked_lstm_gru, family="stress"),
    Case("stream_gru_lstm", _stream_gru_lstm, family="stress"),
    Case("merge_variable", _merge_variable, family="stress"),
    Case("merge_fixed", _merge_fixed, family="stress"),
)}


def _lengths(rng, n: int) -> list:
    """Mostly short sequences, every length from 1 up, and a few long ones."""
    short = [int(v) for v in rng.integers(1, 40, n)]
    short[:3] = [1, 2, 3]
    short[-3:] = [int(v) for v in rng.integers(150, 301, 3)]
    return short


def _samples(model, rng, n: int, masked: bool = False) -> list:
    samples = []
    for t in _lengths(rng, n):
        sample = []
        for inp in model.inputs:
            shape = list(inp.shape[1:])
            if shape[0] is None:
                shape[0] = t
            x = rng.uniform(-1, 1, shape).astype(np.float32)
            if masked and t > 1:   # masked frames anywhere: start, middle, end
                x[rng.random(t) < 0.25] = 0.0
                x[0] = rng.uniform(0.1, 1, shape[1:])
            sample.append(x)
        samples.append(sample)
    return samples


def _keras_calls(model, samples: list) -> list:
    """Keras' outputs, one call of the model per sample (lengths differ), traced once
    with a variable time axis (the eager call takes ~25 ms per timestep)."""
    import tensorflow as tf

    spec = [tf.TensorSpec([1, *inp.shape[1:]], tf.float32) for inp in model.inputs]
    call = tf.function(lambda *xs: model(list(xs) if len(xs) > 1 else xs[0], training=False),
                       input_signature=spec)
    out = []
    for s in samples:
        ys = call(*[a[None] for a in s])
        out.append([np.asarray(y)[0] for y in (ys if isinstance(ys, (list, tuple)) else [ys])])
    return out


def _build(case: Case, seed: int):
    k = keras()
    k.utils.set_random_seed(seed)
    model = case.build(k)
    randomize(model, seed)
    return model


@pytest.fixture(scope="module")
def stress(tmp_path_factory):
    """Builds the models, converts and compiles them once (K2jRunner runs the Keras
    comparisons), then compiles the stress driver against them; samples for the
    driver are written to files per model."""
    work = tmp_path_factory.mktemp("stress")
    rng = np.random.default_rng(18)
    b = JavaBatch(work)
    models, inputs = {}, {}
    for n, case in enumerate(CASES.values()):
        model = _build(case, 1800 + n)
        path = case.save(model, work)
        models[case.id] = model
        pkg = f"k2jtest.stress.c{n}"
        if case.id == "merge_fixed":
            samples = [[rng.uniform(-1, 1, (6, 4)).astype(np.float32) for _ in range(2)] for _ in range(3000)]
            expected = None
        else:
            samples = _samples(model, rng, 40, masked=case.id == "masked_lstm_gru")
            expected = _keras_calls(model, samples)
        b.add(case.id, path, samples[:40], expected, package=pkg, class_name="M")
        if case.id == "stream_gru_lstm":
            # each step's output is the output of the sequence so far: Keras' per-timestep
            # outputs of the same model with return_sequences=True on the last LSTM
            twin = _stream_gru_lstm(keras(), sequences=True)
            twin.set_weights(model.get_weights())
            rows = [[y[0].ravel()] for y in _keras_calls(twin, samples)]
            b.add("stream_sessions", path, samples, rows, package=pkg + "s", class_name="M", mode="stream:4")
        inputs[case.id] = (f"{pkg}.M", samples)
    fixed = inputs["merge_fixed"][1]
    batch_out = models["merge_fixed"].predict([np.stack([s[i] for s in fixed]) for i in range(2)], verbose=0)
    b.cases["merge_fixed"].expected = [[np.asarray(o[i]) for o in batch_out] for i in range(40)]
    b.run()
    subprocess.run([java_bin("javac"), "-nowarn", "-cp", str(work / "classes"), "-d", str(work / "classes"),
                    str(DRIVER)], check=True)
    files = {}
    for cid, (cls, samples) in inputs.items():
        files[cid] = (cls, work / f"stress_{cid}.bin")
        write_inputs(files[cid][1], samples)
    return {"batch": b, "work": work, "files": files, "inputs": inputs, "keras_fixed": batch_out}


def _driver(stress, *args, jvm=()) -> list:
    proc = subprocess.run([java_bin("java"), *jvm, "-cp", str(stress["work"] / "classes"), "StressRunner",
                           *map(str, args)], capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-4000:]
    return proc.stdout.strip().splitlines()


def _jobs(stress, name: str, entries) -> str:
    path = stress["work"] / name
    path.write_text("".join(f"{stress['files'][cid][0]} {stress['files'][cid][1]} {mode}\n" for cid, mode in entries))
    return str(path)


@pytest.mark.parametrize("case", ["masked_lstm_gru", "stream_gru_lstm", "stream_sessions", "merge_variable",
                                  "merge_fixed"])
def test_random_lengths_match_keras(stress, case):
    c = stress["batch"].cases[case]
    c.check()
    if case != "merge_fixed":
        lengths = {s[0].shape[0] for s in c.samples}
        assert min(lengths) == 1 and max(lengths) >= 150 and len(lengths) > 20


def test_merged_sequences_must_agree_in_length(stress):
    b = stress["batch"]
    result = b.run_one("merge_variable", [np.zeros((5, 4), np.float32), np.zeros((4, 3), np.float32)])
    assert isinstance(result, str) and "same number of timesteps" in result and "[5, 4]" in result, result


@pytest.mark.parametrize("jvm", [(), ("-Dkeras2java.intraOpThreads=2", "-Dkeras2java.intraOpMinWeights=64")],
                         ids=["plain", "intra_op"])
def test_eight_threads_mixed_models_and_sessions_identical_to_one(stress, jvm):
    """Eight threads on shared models give each result the bits of one thread; with intra-op
    threads on every product of 64 weights or more, the eight callers contend for the helpers."""
    jobs = _jobs(stress, "threads.txt", [("masked_lstm_gru", "all"), ("stream_gru_lstm", "stream:4"),
                                         ("merge_variable", "all"), ("merge_fixed", "all"),
                                         ("stream_gru_lstm", "all")])
    lines = _driver(stress, "threads", jobs, 8, 2, jvm=jvm)
    assert len(lines) == 1 and lines[0].startswith("OK threads: 8 threads x 2 rounds x 5 models"), lines


def test_predict_all_batch_thousands_equals_per_sample(stress):
    work = stress["work"]
    keras_out = stress["keras_fixed"]
    for cid in ("merge_fixed", "masked_lstm_gru"):
        cls, inp = stress["files"][cid]
        if cid == "masked_lstm_gru":   # thousands of variable-length samples
            rng = np.random.default_rng(7)
            samples = [[rng.uniform(-1, 1, (int(t), 5)).astype(np.float32)] for t in rng.integers(1, 25, 2000)]
            inp = work / "stress_batch_var.bin"
            write_inputs(inp, samples)
        _driver(stress, "batch", cls, inp, work / f"single_{cid}.bin", work / f"batch_{cid}_", "0,1,3,8")
        single = read_outputs(work / f"single_{cid}.bin")
        assert len(single) >= 2000
        for t in (0, 1, 3, 8):
            got = read_outputs(work / f"batch_{cid}_{t}.bin")
            assert len(got) == len(single)
            worst = max(max_error(g, s) for gs, ss in zip(got, single) for g, s in zip(gs, ss))
            assert worst <= TOLERANCE, f"{cid}, {t} threads: predictAllBatch differs from predictAll by {worst:.3g}"
        if cid == "merge_fixed":   # and all 3000 against Keras
            worst = max(max_error(single[i][o], keras_out[o][i]) for i in range(len(single)) for o in range(2))
            assert worst <= TOLERANCE, worst


def test_no_heap_or_thread_growth_over_1e5_calls(stress):
    """10^5 calls (predictAll on two merge models, session steps with a new session every
    64 steps, a predictAllBatch on 2 threads every 1000 calls) in one JVM.

    Margins: the heap is measured after a full (serial, compacting) GC at 10
    checkpoints; anything kept per call (the smallest Java object is 16 bytes) would
    grow it by >= 1.4 MB between the first and last checkpoint, so growth must stay
    under 1 MB (JIT and class metadata live outside the heap).  Threads: the shared
    pool is started by the first batch calls, before the first checkpoint; after that
    the counts must not change at all.  Then per model, bytes allocated per predictAll
    (per session step) in steady state: no more than the arrays it returns."""
    jobs = _jobs(stress, "heap.txt", [("merge_fixed", "all"), ("merge_variable", "all"),
                                      ("stream_gru_lstm", "stream:4")])
    lines = _driver(stress, "heap", jobs, 100_000, 10, jvm=("-Xmx256m", "-XX:+UseSerialGC"))
    checks = [tuple(int(v) for v in line.split()[1:]) for line in lines if line.startswith("CHECK ")]
    assert [c[0] for c in checks] == list(range(10_000, 100_001, 10_000)), lines
    used = [c[1] for c in checks]
    assert used[-1] - used[0] < 1_000_000, f"used heap after GC grew: {used}"
    assert max(used[1:]) - used[0] < 1_000_000, f"used heap after GC grew: {used}"
    assert {c[2] for c in checks} == {checks[0][2]}, f"Thread.activeCount changed: {checks}"
    assert {c[3] for c in checks} == {checks[0][3]}, f"ThreadMXBean thread count changed: {checks}"
    allocs = [line.split()[1:] for line in lines if line.startswith("ALLOC ")]
    assert [a[1] for a in allocs] == ["predictAll", "predictAll", "stepAll"], lines
    for cls, method, per_call, outputs in allocs:
        # steady state: the returned arrays only (the JIT may remove some allocations, never add)
        assert int(per_call) <= int(outputs), f"{cls}.{method} allocates {per_call} bytes per call, its outputs {outputs}"


def test_generated_calls_allocate_nothing(stress):
    """The per-call code of every model (merges, permute, timestep checks included) only
    reuses buffers and argument arrays kept in fields: no ``new`` per prediction."""
    b = stress["batch"]
    for cid in CASES:
        pkg = b.cases[cid].class_fqn.rsplit(".", 1)[0]
        text = (b.src / pkg.replace(".", "/") / "M.java").read_text()
        start = text.index("st.begin(n, stream);")
        body = text[start:text.index("return new float[][] {", start)]
        assert " new " not in body, f"{cid}: {[ln for ln in body.splitlines() if ' new ' in ln]}"
    merge = (b.src / "k2jtest/stress/c3/M.java").read_text()
    assert "Merge.concatenate(L" in merge and "Permute.apply(" in merge and "n.L" in merge
