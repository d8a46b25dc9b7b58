"""Profile the batch path: where the time of predictAllBatch(batch 64, one thread) goes.

Issue 16 asks, for each missed speed target, for a profile that shows where the time goes and
what limits it.  This driver (about 2 minutes on a 2-core box):

1. builds the *medium* and *large* models of benchmarks/run.py (same definitions, same random
   weights), converts them with keras2java and compiles them with the vector kernels on the
   newest JDK 25+ under /usr/lib/jvm (or $K2J_BENCH_JAVA);
2. runs ``Model.predictAllBatch(samples, 1)`` at batch 64 under Java Flight Recorder
   (a ``jdk.jfr.Recording`` with the ``profile`` settings and 1 ms execution samples, started after
   a 2 s warm-up so the JIT's first tiers do not show), once with the vector kernels and once
   with the portable ones (and the large model at batch 1 on the portable kernels), prints µs per sequence, GFLOP/s of the model's multiply-adds, and the
   top frames (% of execution samples, self time and time inside a method, from
   ``jfr print --json --events jdk.ExecutionSample``);
3. times the kernels alone, for both kernel sets: ``Linear.addRows`` (the recurrent step's
   gemmAcc, e.g. [64x512] by [512x2048] for the large model), also stepping through the gate rows
   of 100 timesteps as in the batch workspace (so they come from L3 or memory), and ``Linear.forward`` (the input projections of both
   layers over batch x timesteps rows), each in a loop; and a peak-FMA loop on the Vector API
   (16 independent accumulator chains, no memory traffic) on one and two threads, the
   attainable compute peak of this box.

Usage: ``python benchmarks/profile_batch.py [--models medium,large] [--seconds 4] [--kernels vector,portable]
[--java PATH]``; e.g. ``--kernels auto --java /usr/lib/jvm/java-17-openjdk-amd64/bin/java`` profiles
what JDK 17 runs by default (its ``Math.fma`` kernels).
Numbers on a shared machine are measured under load: compare ratios within one run.
"""
from __future__ import annotations

import argparse
import re
import json
import os
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "codegen"))

import run as bench  # noqa: E402  (the benchmark's model definitions and JVM choice)

BATCH = 64

DRIVER = r"""
package profile;

import {rt}.Linear;

public final class Driver {{
    public static void main(String[] a) throws Exception {{
        final String what = a[0];
        final double seconds = Double.parseDouble(a[1]);
        if (what.equals("gemm")) {{
            gemm(seconds, Integer.parseInt(a[2]), Integer.parseInt(a[3]), Integer.parseInt(a[4]), a[5]);
        }} else if (what.equals("peak")) {{
            Peak.main(new String[] {{a[1], a[2]}});
        }} else {{
            model(what, Integer.parseInt(a[2]), seconds, a[3]);
        }}
    }}

    static float[][][] samples(int n, int len) {{
        final java.util.Random rnd = new java.util.Random(1);
        final float[][][] s = new float[n][1][len];
        for (float[][] x : s) {{
            for (int i = 0; i < len; i++) {{
                x[0][i] = rnd.nextFloat() * 2 - 1;
            }}
        }}
        return s;
    }}

    /** Warm-up (class loading, weights, JIT) of at least 2 s, then the timed loop under a JFR recording. */
    static void model(String name, int batch, double seconds, String jfr) throws Exception {{
        final Class<?> c = Class.forName("k2jbench." + name + ".Model");
        final int[] shape = (int[]) c.getField("INPUT_SHAPE").get(null);
        int len = 1;
        for (int d : shape) {{
            len *= d;
        }}
        final java.lang.reflect.Method m = c.getMethod("predictAllBatch", float[][][].class, int.class);
        final float[][][] s = samples(batch, len);
        final long w0 = System.nanoTime();
        do {{
            m.invoke(null, s, 1);
        }} while (System.nanoTime() - w0 < 2e9);
        final jdk.jfr.Recording rec = new jdk.jfr.Recording(jdk.jfr.Configuration.getConfiguration("profile"));
        rec.enable("jdk.ExecutionSample").withPeriod(java.time.Duration.ofMillis(1));
        rec.start();
        long calls = 0;
        final long t0 = System.nanoTime();
        long t = t0;
        while (calls == 0 || t - t0 < seconds * 1e9) {{
            m.invoke(null, s, 1);
            calls++;
            t = System.nanoTime();
        }}
        rec.stop();
        rec.dump(java.nio.file.Paths.get(jfr));
        System.out.printf("RESULT %s us_per_seq=%.1f calls=%d%n", name, (t - t0) / 1e3 / calls / batch, calls);
    }}

    /**
     * {{@code acc}}: Linear.addRows (the recurrent step's gemmAcc), rows of y {{@code out}} apart;
     * {{@code acc100}}: the same with y's rows 100 x out apart and call n at timestep n % 100, as
     * the steps of a 100-step sequence read their gate rows from the batch workspace (rows
     * that the input projection wrote long before: out of L2); else Linear.forward (matmul).
     */
    static void gemm(double seconds, int rows, int in, int out, String mode) {{
        final boolean acc = mode.startsWith("acc");
        final int ldy = mode.equals("acc100") ? 100 * out : out;
        final int steps = mode.equals("acc100") ? 100 : 1;
        final java.util.Random rnd = new java.util.Random(1);
        final float[] w = new float[in * out];
        final float[] x = new float[rows * in];
        final float[] y = new float[rows * ldy];
        for (int i = 0; i < w.length; i++) {{
            w[i] = rnd.nextFloat() * 0.2f - 0.1f;
        }}
        for (int i = 0; i < x.length; i++) {{
            x[i] = rnd.nextFloat() * 2 - 1;
        }}
        final Linear lin = new Linear(w, 0, in, out, -1);
        final long w0 = System.nanoTime();
        for (int i = 0; i < 3 || System.nanoTime() - w0 < 1e9; i++) {{   // warm-up: JIT
            java.util.Arrays.fill(y, 0f);
            if (acc) {{
                lin.addRows(x, 0, in, rows, y, 0, ldy);
            }} else {{
                lin.forward(x, 0, rows, y, 0);
            }}
        }}
        long n = 0;
        final long t0 = System.nanoTime();
        long t = t0;
        while (t - t0 < seconds * 1e9) {{
            if (acc) {{
                lin.addRows(x, 0, in, rows, y, (int) (n % steps) * out, ldy);
            }} else {{
                lin.forward(x, 0, rows, y, 0);
            }}
            n++;
            t = System.nanoTime();
        }}
        final double gf = 2.0 * rows * in * out * n / (t - t0);
        System.out.printf("RESULT gemm gflops=%.1f us_per_call=%.1f checksum=%s%n", gf, (t - t0) / 1e3 / n, y[7]);
    }}
}}
"""

PEAK = r"""
package profile;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/** Attainable FMA peak: 16 independent chains of vector FMAs on registers, per thread. */
public final class Peak {
    static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;

    static float run(long iters) {
        FloatVector a0 = FloatVector.broadcast(S, 0f), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0,
                a7 = a0, a8 = a0, a9 = a0, a10 = a0, a11 = a0, a12 = a0, a13 = a0, a14 = a0, a15 = a0;
        final FloatVector m = FloatVector.broadcast(S, 0.999f);
        final FloatVector c = FloatVector.broadcast(S, 1e-3f);
        for (long i = 0; i < iters; i++) {
            a0 = a0.fma(m, c); a1 = a1.fma(m, c); a2 = a2.fma(m, c); a3 = a3.fma(m, c);
            a4 = a4.fma(m, c); a5 = a5.fma(m, c); a6 = a6.fma(m, c); a7 = a7.fma(m, c);
            a8 = a8.fma(m, c); a9 = a9.fma(m, c); a10 = a10.fma(m, c); a11 = a11.fma(m, c);
            a12 = a12.fma(m, c); a13 = a13.fma(m, c); a14 = a14.fma(m, c); a15 = a15.fma(m, c);
        }
        return a0.add(a1).add(a2).add(a3).add(a4).add(a5).add(a6).add(a7).add(a8).add(a9).add(a10).add(a11)
                .add(a12).add(a13).add(a14).add(a15).reduceLanes(jdk.incubator.vector.VectorOperators.ADD);
    }

    public static void main(String[] a) throws Exception {
        final double seconds = Double.parseDouble(a[0]);
        final int threads = Integer.parseInt(a[1]);
        for (int i = 0; i < 5; i++) {
            run(200_000);
        }
        final long iters = 20_000_000L;
        final double[] gf = new double[threads];
        final Thread[] ts = new Thread[threads];
        for (int t = 0; t < threads; t++) {
            final int id = t;
            ts[t] = new Thread(() -> {
                long n = 0;
                final long t0 = System.nanoTime();
                long now = t0;
                float sink = 0;
                while (now - t0 < seconds * 1e9) {
                    sink += run(iters);
                    n += iters;
                    now = System.nanoTime();
                }
                gf[id] = 2.0 * 16 * S.length() * n / (now - t0);
                if (sink == 42f) {
                    System.out.println(sink);
                }
            });
            ts[t].start();
        }
        double sum = 0;
        for (int t = 0; t < threads; t++) {
            ts[t].join();
            sum += gf[t];
        }
        System.out.printf("RESULT peak threads=%d lanes=%d gflops=%.1f%n", threads, S.length(), sum);
    }
}
"""


def jdk_bin(java: str, tool: str) -> str:
    p = Path(java).parent / tool
    return str(p) if p.exists() else tool


def build(work: Path, names: list) -> tuple:
    import keras2java

    bench.MODELS = {n: bench.MODELS[n] for n in names}
    models = bench.build_models(work)
    try:
        bench.export_onnx(models, work / "onnx")
    except ImportError as e:  # tf2onnx / onnxruntime missing: no same-run ONNX Runtime reference
        print(f"no ONNX Runtime reference: {e}")
    gen = work / "gen"
    bench.generate(models, gen)
    rt = keras2java.emit.runtime_package()
    (gen / "profile").mkdir(exist_ok=True)
    (gen / "profile" / "Driver.java").write_text(DRIVER.format(rt=rt))
    (gen / "profile" / "Peak.java").write_text(PEAK)
    java = bench.bench_java()
    classes = work / "classes"
    classes.mkdir(exist_ok=True)
    sources = [str(p) for p in gen.rglob("*.java") if p.parent.name != "bench"]
    argfile = work / "sources.txt"
    argfile.write_text("\n".join(f'"{s}"' for s in sources))
    subprocess.run([jdk_bin(java, "javac"), "--release", "17", "--add-modules", "jdk.incubator.vector", "-nowarn",
                    "-J-Xmx2g", "-d", str(classes), f"@{argfile}"], check=True, capture_output=True)
    for res in gen.rglob("*"):
        if res.is_file() and res.suffix != ".java":
            dst = classes / res.relative_to(gen)
            dst.parent.mkdir(parents=True, exist_ok=True)
            dst.write_bytes(res.read_bytes())
    return java, classes


def run_java(java: str, classes: Path, kernels: str, args: list) -> str:
    cmd = [java, "--add-modules", "jdk.incubator.vector", f"-Dkeras2java.kernels={kernels}", "-Xmx2g",
           "-cp", str(classes), "profile.Driver", *args]
    p = subprocess.run(cmd, capture_output=True, text=True)
    if p.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed:\n{p.stderr[-3000:]}")
    return "\n".join(line for line in p.stdout.splitlines() if line.startswith("RESULT"))


def frame_name(f: dict) -> str:
    m = f["method"]
    t = re.split(r"[./]", m["type"]["name"])[-1]
    return f"{t}.{m['name']}"


def time_ort(work: Path, name: str, seconds: float) -> float | None:
    """ONNX Runtime (Python API, same C++ engine as its Java API), one intra-op thread, batch 64:
    µs per sequence, measured in this run so ratios do not mix machine loads."""
    path = work / "onnx" / f"{name}.onnx"
    if not path.exists():
        return None
    import time

    import numpy as np
    import onnxruntime as ort

    so = ort.SessionOptions()
    so.intra_op_num_threads = 1
    so.inter_op_num_threads = 1
    sess = ort.InferenceSession(str(path), so, providers=["CPUExecutionProvider"])
    t, f, _, _ = bench.MODELS[name]
    x = np.random.default_rng(1).uniform(-1, 1, (BATCH, t, f)).astype("float32")
    feed = {sess.get_inputs()[0].name: x}
    sess.run(None, feed)
    calls, t0 = 0, time.perf_counter()
    while calls == 0 or time.perf_counter() - t0 < seconds:
        sess.run(None, feed)
        calls += 1
    return (time.perf_counter() - t0) * 1e6 / calls / BATCH


# Frames of the Vector API's implementation and of bounds checks: their samples belong to the
# runtime method that called them (inlined into it), shown in the "by runtime method" list.
HELPER_PREFIXES = ("FloatVector", "AbstractVector", "VectorSupport", "Float512Vector", "Float256Vector",
                   "Objects", "Preconditions", "AbstractSpecies", "VectorIntrinsics", "FloatVector$FloatSpecies")


def top_frames(java: str, jfr: Path, n: int = 10) -> tuple:
    p = subprocess.run([jdk_bin(java, "jfr"), "print", "--json", "--events", "jdk.ExecutionSample", str(jfr)],
                       capture_output=True, text=True, check=True)
    events = json.loads(p.stdout)["recording"]["events"]
    self_c, incl_c, owner_c = Counter(), Counter(), Counter()
    total = 0
    for e in events:
        st = e["values"].get("stackTrace")
        if not st or not st["frames"]:
            continue
        frames = [frame_name(f) for f in st["frames"]]
        total += 1
        self_c[frames[0]] += 1
        owner = next((fr for fr in frames if not fr.startswith(HELPER_PREFIXES)), frames[0])
        owner_c[owner] += 1
        for name in set(frames):
            incl_c[name] += 1
    return total, self_c.most_common(n), owner_c.most_common(6), incl_c.most_common(n + 10)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--models", default="medium,large")
    ap.add_argument("--seconds", type=float, default=4.0, help="timed (profiled) seconds per model run")
    ap.add_argument("--kernels", default="vector,portable",
                    help="kernel tiers to profile (keras2java.kernels values: auto, portable, fma, vector)")
    ap.add_argument("--java", help="the JVM to run (default: the newest JDK 25+, as benchmarks/run.py picks)")
    args = ap.parse_args()
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    names = args.models.split(",")
    with tempfile.TemporaryDirectory(prefix="k2j-profile-") as tmp:
        work = Path(tmp)
        java, classes = build(work, names)
        java = args.java or java
        print(f"JVM: {java}; batch {BATCH}, one thread; execution samples every 1 ms (JFR) after a 2 s warm-up")
        for name in names:
            t, f, u, c = bench.MODELS[name]
            fl = bench.flops(t, f, u, c)
            ort_us = time_ort(work, name, 3.0)
            if ort_us:
                print(f"\n== {name}: ONNX Runtime, batch {BATCH}, 1 thread: {ort_us:.1f} µs/sequence, "
                      f"{fl / ort_us / 1e3:.1f} GFLOP/s")
            tiers = args.kernels.split(",")
            runs = [(k, BATCH) for k in tiers]
            if name == "large" and "portable" in tiers:
                runs.append(("portable", 1))  # the missed portable batch-1 target
            for kernels, batch in runs:
                jfr = work / f"{name}-{kernels}-{batch}.jfr"
                # one call of the portable large model at batch 64 takes seconds: a single timed call
                secs = 0.0 if (name == "large" and kernels == "portable" and batch > 1) else args.seconds
                out = run_java(java, classes, kernels, [name, str(secs), str(batch), str(jfr)])
                us = float(out.split("us_per_seq=")[1].split()[0])
                ratio = f", {us / ort_us:.2f}x ONNX Runtime at batch {BATCH}" if ort_us else ""
                print(f"\n== {name} (T{t} F{f} U{u}), {kernels} kernels, batch {batch}: {us:.1f} µs/sequence, "
                      f"{fl / us / 1e3:.1f} GFLOP/s{ratio}")
                total, selfs, owners, incl = top_frames(java, jfr)
                print(f"   {total} samples; top frames (self):")
                for fr, k in selfs:
                    print(f"   {100 * k / total:5.1f}%  {fr}")
                print("   by runtime method (self, Vector API internals and bounds checks counted in their caller):")
                for fr, k in owners:
                    print(f"   {100 * k / total:5.1f}%  {fr}")
                print("   inside (inclusive), runtime methods:")
                for fr, k in incl:
                    if fr.split(".")[0] in ("Recurrent", "LstmCell", "Linear", "VectorKernels", "PortableKernels",
                                            "Dense", "Activation", "Parallel", "Model"):
                        print(f"   {100 * k / total:5.1f}%  {fr}")
        print("\n== kernels alone (GFLOP/s): the recurrent step (Linear.addRows, gemmAcc) and the input "
              "projection (Linear.forward, matmul) of each model's layers")
        shapes = []
        for n in names:
            t, f, u, _ = bench.MODELS[n]
            shapes += [("step", BATCH, u, 4 * u, "acc"), ("step, gate rows of 100 steps (cold)", BATCH, u, 4 * u, "acc100"),
                       ("projection 1", BATCH * t, f, 4 * u, "fwd"), ("projection 2", BATCH * t, u, 4 * u, "fwd")]
        for label, rows, k, out, mode in shapes:
            for kernels in args.kernels.split(","):
                r = run_java(java, classes, kernels, ["gemm", "1", str(rows), str(k), str(out), mode])
                print(f"   {label} [{rows}x{k}]x[{k}x{out}] {kernels}: {r.replace('RESULT gemm ', '')}")
        if "vector" not in args.kernels.split(","):
            return
        print("== peak: Vector API FMA loop, 16 independent accumulators")
        for threads in ("1", "2"):
            print(f"   {run_java(java, classes, 'vector', ['peak', '2', threads]).replace('RESULT peak ', '')}")


if __name__ == "__main__":
    main()
