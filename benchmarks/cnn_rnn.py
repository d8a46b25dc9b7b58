"""keras2java benchmark of two CNN-RNN models (issue 14) beside ONNX Runtime.

    python benchmarks/cnn_rnn.py [--quick]

- cnn_lstm: 16 frames of 64x64x3 -> TimeDistributed(Conv2D 16 -> MaxPool -> Conv2D 32 -> MaxPool
  -> Conv2D 64 -> GlobalAveragePooling2D) -> LSTM 128 -> Dense 10 softmax;
- crnn: a 98x40 spectrogram -> Conv2D 32 -> BatchNorm -> MaxPool (1, 2) -> Conv2D 64 -> MaxPool 2
  -> Reshape (49, 640) -> Bidirectional GRU 64 -> Dense 12 softmax.

Both are built with Keras (random weights), converted with keras2java, compiled with
``javac --release 8`` (the optional kernels' source root with ``--release 17``) and timed in
one JVM thread at batch 1 in each of run.py's settings (jvms.SETTINGS: each JDK with no flag,
the portable kernels, the vector kernels; median of rounds of ``predict`` calls after a
warm-up of at least 3 s, as long as the JIT needs for the vector kernels), and at batch
``BATCH`` through the batch path (``predictAllBatch(samples, 1)``: every layer on the whole
batch at once, after the same warm-up); the same Keras models are
exported with tf2onnx and timed with ONNX Runtime (Python API over the native engine: one
intra-op and one inter-op thread, sequential execution, batch 1 and batch ``BATCH``).  The Java
outputs (both paths) are checked against Keras.  Results go to benchmarks/results/cnn_rnn.md and cnn_rnn.json.

Benchmark-only tools (tf2onnx, onnx, onnxruntime) live in benchmarks/.venv, as for run.py.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import jvms  # noqa: E402

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
RESULTS = HERE / "results"


def ensure_venv() -> None:
    """As run.py: re-run inside benchmarks/.venv (made with the benchmark-only packages if missing)."""
    import run

    run.ensure_venv()


def cnn_lstm(k):
    x = k.Input((16, 64, 64, 3), name="frames")
    h = k.layers.TimeDistributed(k.layers.Conv2D(16, 3, padding="same", activation="relu"))(x)
    h = k.layers.TimeDistributed(k.layers.MaxPooling2D(2))(h)
    h = k.layers.TimeDistributed(k.layers.Conv2D(32, 3, padding="same", activation="relu"))(h)
    h = k.layers.TimeDistributed(k.layers.MaxPooling2D(2))(h)
    h = k.layers.TimeDistributed(k.layers.Conv2D(64, 3, padding="same", activation="relu"))(h)
    h = k.layers.TimeDistributed(k.layers.GlobalAveragePooling2D())(h)
    h = k.layers.LSTM(128)(h)
    return k.Model(x, k.layers.Dense(10, activation="softmax")(h))


def crnn(k):
    x = k.Input((98, 40, 1), name="spectrogram")
    h = k.layers.Conv2D(32, 3, padding="same", activation="relu")(x)
    h = k.layers.BatchNormalization()(h)
    h = k.layers.MaxPooling2D((1, 2))(h)
    h = k.layers.Conv2D(64, 3, padding="same", activation="relu")(h)
    h = k.layers.MaxPooling2D(2)(h)
    h = k.layers.Reshape((49, 10 * 64))(h)
    h = k.layers.Bidirectional(k.layers.GRU(64))(h)
    return k.Model(x, k.layers.Dense(12, activation="softmax")(h))


MODELS = {"cnn_lstm": cnn_lstm, "crnn": crnn}

#: samples per batch of the batch-path figures (16: a batch of cnn_lstm is 12 MiB of input)
BATCH = 16

TIMER = r"""
import java.io.*;
import java.nio.*;
import java.nio.file.*;
import java.util.Arrays;

public final class CnnRnnTimer {
    static final double WARMUP_S = 3.0;

    public static void main(String[] a) throws Exception {
        byte[] raw = Files.readAllBytes(Paths.get(a[1]));
        FloatBuffer fb = ByteBuffer.wrap(raw).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer();
        int batch = Integer.parseInt(a[6]);
        float[][][] samples = new float[batch][1][fb.remaining() / batch];
        for (float[][] s : samples) {
            fb.get(s[0]);
        }
        float[] x = samples[0][0];
        int rounds = Integer.parseInt(a[2]);
        int calls = Integer.parseInt(a[3]);
        Object model = Class.forName(a[0]).getConstructor().newInstance();
        java.lang.reflect.Method predict = model.getClass().getMethod("predict", float[].class);
        java.lang.reflect.Method predictAllBatch = model.getClass().getMethod("predictAllBatch", float[][][].class,
                int.class);
        float[][][] ys = (float[][][]) predictAllBatch.invoke(null, samples, 1);
        try (DataOutputStream out = new DataOutputStream(new FileOutputStream(a[4]))) {
            float[] y = (float[]) predict.invoke(model, (Object) x);
            ByteBuffer bb = ByteBuffer.allocate(4 * y.length * (1 + batch)).order(ByteOrder.LITTLE_ENDIAN);
            bb.asFloatBuffer().put(y);
            for (int i = 0; i < batch; i++) {
                bb.position(4 * y.length * (1 + i));
                bb.asFloatBuffer().put(ys[i][0]);
            }
            out.write(bb.array());
        }
        // warm-up: calls * 3 calls and at least WARMUP_S seconds (the JIT compiles the kernels in the
        // background; with a few calls alone the batch-1 figures timed the first compiled tiers)
        long w0 = System.nanoTime();
        for (int i = 0; i < calls * 3 || System.nanoTime() - w0 < WARMUP_S * 1e9; i++) predict.invoke(model, (Object) x);
        double[] us = new double[rounds];
        for (int r = 0; r < rounds; r++) {
            long t0 = System.nanoTime();
            for (int i = 0; i < calls; i++) predict.invoke(model, (Object) x);
            us[r] = (System.nanoTime() - t0) / 1e3 / calls;
        }
        Arrays.sort(us);
        w0 = System.nanoTime();
        for (int i = 0; i < 2 || System.nanoTime() - w0 < WARMUP_S * 1e9; i++) predictAllBatch.invoke(null, samples, 1);
        double[] bus = new double[rounds];
        for (int r = 0; r < rounds; r++) {
            long t0 = System.nanoTime();
            predictAllBatch.invoke(null, samples, 1);
            bus[r] = (System.nanoTime() - t0) / 1e3 / batch;
        }
        Arrays.sort(bus);
        System.out.println(Class.forName(a[5]).getMethod("active").invoke(null));
        System.out.println(us[rounds / 2]);
        System.out.println(bus[rounds / 2]);
    }
}
"""


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args()
    ensure_venv()
    results = run(args.quick)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "cnn_rnn.json").write_text(json.dumps(results, indent=2))
    keys = [s.key for s in jvms.SETTINGS]
    lines = ["| model | batch | params | " + " | ".join(f"{s.label} (µs)" for s in jvms.SETTINGS)
             + " | ONNX Runtime 1 thread (µs) | " + " | ".join(f"{k} / ORT" for k in keys)
             + " | max error vs Keras |", "|---|---|---|" + "---|" * (2 * len(keys) + 2)]
    for name, r in results.items():
        for batch, sfx in ((1, ""), (r["batch"], "_batch")):
            lines.append(f"| {name} | {batch} | {r['params']:,} | "
                         + " | ".join(f"{r[k + sfx + '_us']:.0f}" for k in keys)
                         + f" | {r['ort' + sfx + '_us']:.0f} | "
                         + " | ".join(f"{r[k + sfx + '_us'] / r['ort' + sfx + '_us']:.2f}" for k in keys)
                         + f" | {max(r[k + '_max_error'] for k in keys):.1e} |")
    (RESULTS / "cnn_rnn.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


def model_flops(m) -> float:
    """Multiply-adds x 2 of one sample through the model's Conv2D, Dense, LSTM and GRU layers
    (directly, in a TimeDistributed or a Bidirectional); pooling, normalization and activations
    are not counted.  What the report's GFLOP/s columns divide by."""
    from math import prod

    total = 0.0
    for layer in m.layers:
        if type(layer).__name__ == "InputLayer":
            continue
        inner, frames = layer, 1
        x, y = tuple(layer.input.shape[1:]), tuple(layer.output.shape[1:])
        if type(layer).__name__ == "TimeDistributed":
            inner, frames, x, y = layer.layer, x[0], x[1:], y[1:]
        cells = [inner.forward_layer, inner.backward_layer] if type(inner).__name__ == "Bidirectional" else [inner]
        for cell in cells:
            kind = type(cell).__name__
            if kind == "Conv2D":
                total += 2.0 * frames * prod(y) * prod(cell.kernel_size) * x[-1] // cell.groups
            elif kind == "Dense":
                total += 2.0 * frames * prod(y) * x[-1]
            elif kind in ("LSTM", "GRU"):
                gates = 4 if kind == "LSTM" else 3
                total += 2.0 * frames * x[0] * gates * cell.units * (x[-1] + cell.units)
    return total


def run(quick: bool) -> dict:
    """{model: {"<setting>_us", "<setting>_max_error", "<setting>_kernels", "ort_us", "flops", ...}}."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    sys.path.insert(0, str(REPO / "codegen"))
    import numpy as np
    import keras
    import tensorflow as tf
    import tf2onnx
    import onnxruntime as ort
    import keras2java
    from keras2java.emit import runtime_package, vector_runtime_files, write_atomically

    rounds, calls = (5, 3) if quick else (11, 10)
    work = Path(tempfile.mkdtemp(prefix="k2j_cnnrnn_"))
    src, classes = work / "src", work / "classes"
    results = {}
    models = {}
    for name, build in MODELS.items():
        keras.utils.set_random_seed(1)
        m = build(keras)
        rng = np.random.default_rng(1)
        m.set_weights([rng.uniform(-0.2, 0.2, w.shape).astype("f4") for w in m.get_weights()])
        for layer in m.layers:
            if type(layer).__name__ == "BatchNormalization":
                layer.moving_variance.assign(rng.uniform(0.5, 1.5, layer.moving_variance.shape).astype("f4"))
        path = work / f"{name}.keras"
        m.save(path)
        t0 = time.perf_counter()
        keras2java.convert(str(path), str(src), package=f"bench.{name}", class_name="M")
        gen_s = time.perf_counter() - t0
        xb = rng.uniform(-1, 1, (BATCH,) + tuple(m.inputs[0].shape[1:])).astype("f4")
        x = xb[:1]
        (work / f"{name}.in").write_bytes(xb.astype("<f4").tobytes())
        ref_b = np.asarray(m(xb, training=False))
        ref = ref_b[0]
        spec = (tf.TensorSpec((None,) + tuple(m.inputs[0].shape[1:]), tf.float32, name="x"),)

        @tf.autograph.experimental.do_not_convert
        def fn(t, _m=m):
            return _m(t, training=False)

        onnx_path = work / f"{name}.onnx"
        tf2onnx.convert.from_function(tf.function(fn, input_signature=spec), input_signature=spec, opset=17,
                                      output_path=str(onnx_path))
        so = ort.SessionOptions()
        so.intra_op_num_threads = 1
        so.inter_op_num_threads = 1
        so.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        sess = ort.InferenceSession(str(onnx_path), so, providers=["CPUExecutionProvider"])
        feed = {sess.get_inputs()[0].name: x}
        ort_out = sess.run(None, feed)[0][0]
        for _ in range(calls * 3):
            sess.run(None, feed)
        times = []
        for _ in range(rounds):
            t0 = time.perf_counter()
            for _ in range(calls):
                sess.run(None, feed)
            times.append((time.perf_counter() - t0) / calls * 1e6)
        feed_b = {sess.get_inputs()[0].name: xb}
        sess.run(None, feed_b)
        times_b = []
        for _ in range(rounds):
            t0 = time.perf_counter()
            sess.run(None, feed_b)
            times_b.append((time.perf_counter() - t0) / BATCH * 1e6)
        results[name] = {"ort_us": float(np.median(times)), "ort_batch_us": float(np.median(times_b)),
                         "batch": BATCH, "generate_s": gen_s,
                         "ort_max_error": float(np.abs(ort_out - ref).max()),
                         "params": int(m.count_params()), "flops": model_flops(m)}
        models[name] = np.concatenate([ref.ravel(), ref_b.ravel()])
    (src / "CnnRnnTimer.java").write_text(TIMER)
    classes.mkdir(parents=True, exist_ok=True)
    subprocess.run(["javac", "--release", "8", "-nowarn", "-d", str(classes), *map(str, src.rglob("*.java"))],
                   check=True)
    vec = work / "vector-src"
    write_atomically(vector_runtime_files(), str(vec))
    subprocess.run(["javac", "--release", "17", "--add-modules", "jdk.incubator.vector", "-nowarn", "-cp",
                    str(classes), "-d", str(classes), *map(str, vec.rglob("*.java"))], check=True)
    for name, ref in models.items():
        for st in jvms.SETTINGS:
            out = work / f"{name}.{st.key}.out"
            cp = f"{classes}{os.pathsep}{src}"
            proc = subprocess.run([st.java, "-XX:ActiveProcessorCount=1", *st.jvm_options(), "-cp", cp,
                                   "CnnRnnTimer", f"bench.{name}.M", str(work / f"{name}.in"), str(rounds), str(calls),
                                   str(out), f"{runtime_package()}.Kernels", str(BATCH)],
                                  capture_output=True, text=True, check=True)
            kernels, us, batch_us = proc.stdout.strip().splitlines()[-3:]
            y = np.frombuffer(out.read_bytes(), "<f4")
            results[name][f"{st.key}_us"] = float(us)
            results[name][f"{st.key}_batch_us"] = float(batch_us)
            results[name][f"{st.key}_kernels"] = kernels
            results[name][f"{st.key}_max_error"] = float(np.abs(y - ref.ravel()).max())
    shutil.rmtree(work, ignore_errors=True)
    return results


if __name__ == "__main__":
    main()
