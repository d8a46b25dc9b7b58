"""keras2java benchmark: generated Java (JMH) vs ONNX Runtime Java vs Keras.

    python benchmarks/run.py [--quick]

Builds the three reference models with Keras (2-layer LSTM + Dense softmax,
random weights), converts them with keras2java, exports the same Keras models
to ONNX with tf2onnx, runs JMH over the generated Java and ONNX Runtime Java
(batch 1; batches of 64 and 256 on one thread, through the batch path
``predictAllBatch``, with GFLOP/s and the ratio to ONNX Runtime at the same batch
and thread count; batch 64 on all cores), times Keras
(tf.function and model.predict), measures cold start, heap, sizes and
generation time, and writes benchmarks/results/latest.md and latest.png.

Benchmark-only tools (tf2onnx, onnx, onnxruntime, matplotlib) are installed
into benchmarks/.venv (which also sees the system's TensorFlow) unless the
running Python already has tf2onnx, onnx and onnxruntime (then the chart is
drawn only if matplotlib is there too); JMH and ONNX Runtime Java come from
Maven Central.
"""
from __future__ import annotations

import argparse
import functools
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
VENV = HERE / ".venv"
RESULTS = HERE / "results"
WORK = HERE / "jmh" / "target"
MODELS = {  # name: (timesteps, features, units, classes)
    "small": (7, 11, 15, 3),
    "medium": (100, 64, 128, 10),
    "large": (100, 256, 512, 10),
}


def ensure_venv() -> None:
    """Re-run inside benchmarks/.venv with the benchmark-only packages."""
    if Path(sys.prefix).resolve() == VENV.resolve():
        return
    try:
        import onnx  # noqa: F401
        import onnxruntime  # noqa: F401
        import tf2onnx  # noqa: F401
        return
    except ImportError:
        pass
    py = VENV / "bin" / "python"
    if not py.exists():
        subprocess.run([sys.executable, "-m", "venv", "--system-site-packages", str(VENV)], check=True)
        pip = [str(py), "-m", "pip", "install", "-q", "--disable-pip-version-check"]
        # tf2onnx pins an old protobuf; its code works with the installed one, so skip its pins.
        subprocess.run(pip + ["--no-deps", "tf2onnx==1.17.0", "onnx", "onnxruntime"], check=True)
        subprocess.run(pip + ["matplotlib"], check=True)
    os.execv(str(py), [str(py), *sys.argv])


def flops(t: int, f: int, u: int, c: int) -> float:
    """Multiply-adds x2 of one sequence: two LSTM layers and the Dense layer."""
    return 2.0 * t * 4 * u * (f + u) + 2.0 * t * 4 * u * (u + u) + 2.0 * u * c


def build_models(work: Path) -> dict:
    import keras
    import numpy as np

    out = {}
    for name, (t, f, u, c) in MODELS.items():
        keras.utils.set_random_seed(1)
        m = keras.Sequential([keras.Input((t, f)), keras.layers.LSTM(u, return_sequences=True),
                              keras.layers.LSTM(u), keras.layers.Dense(c, activation="softmax")])
        rng = np.random.default_rng(1)
        m.set_weights([rng.uniform(-0.1, 0.1, w.shape).astype("float32") for w in m.get_weights()])
        path = work / f"{name}.keras"
        m.save(path)
        out[name] = (m, path)
    return out


def generate(models: dict, gen: Path) -> dict:
    sys.path.insert(0, str(REPO / "codegen"))
    import keras2java

    info = {}
    for name, (_, path) in models.items():
        t0 = time.perf_counter()
        keras2java.convert(str(path), str(gen), package=f"k2jbench.{name}", class_name="Model")
        elapsed = time.perf_counter() - t0
        pkg = gen / "k2jbench" / name
        size = sum(p.stat().st_size for p in pkg.iterdir())
        info[name] = {"gen_s": elapsed, "source_bytes": size}
    rt = gen / "keras2java"
    runtime_bytes = sum(p.stat().st_size for p in rt.rglob("*.java"))
    # The optional Vector API kernels (the benchmark project compiles for Java 17 with the module),
    # and a class that names the versioned runtime package for the benchmarks.
    keras2java.emit.write_atomically(keras2java.emit.vector_runtime_files(), str(gen))
    (gen / "bench").mkdir(exist_ok=True)
    (gen / "bench" / "RuntimeInfo.java").write_text(
        "package bench;\n\nfinal class RuntimeInfo {\n    static String kernels() {\n"
        f"        return {keras2java.emit.runtime_package()}.Kernels.active();\n    }}\n}}\n")
    for name in info:
        info[name]["runtime_source_bytes"] = runtime_bytes
    return info


def export_onnx(models: dict, onnx_dir: Path) -> None:
    import tensorflow as tf
    import tf2onnx

    onnx_dir.mkdir(parents=True, exist_ok=True)
    for name, (m, _) in models.items():
        t, f, _, _ = MODELS[name]
        spec = (tf.TensorSpec((None, t, f), tf.float32, name="x"),)

        @tf.autograph.experimental.do_not_convert
        def fn(x, _m=m):
            return _m(x)

        tf2onnx.convert.from_function(tf.function(fn, input_signature=spec), input_signature=spec, opset=17,
                                      output_path=str(onnx_dir / f"{name}.onnx"))


def time_keras(models: dict, quick: bool) -> dict:
    import numpy as np
    import tensorflow as tf

    out = {}
    for name, (m, _) in models.items():
        t, f, _, _ = MODELS[name]
        fn = tf.function(lambda x, _m=m: _m(x, training=False))
        res = {}
        for batch in (1, 64):
            x = np.random.default_rng(2).uniform(-1, 1, (batch, t, f)).astype("float32")
            xt = tf.constant(x)
            for kind, call in (("tf_function", lambda: fn(xt).numpy()), ("predict", lambda: m.predict(x, verbose=0))):
                call()
                reps = 3 if quick else (20 if name != "large" else 5)
                t0 = time.perf_counter()
                for _ in range(reps):
                    call()
                res[f"{kind}_b{batch}"] = (time.perf_counter() - t0) / reps / batch * 1e6  # µs per sequence
        out[name] = res
    return out


@functools.lru_cache(maxsize=None)
def bench_java() -> str:
    """The JVM the benchmarks run on: $K2J_BENCH_JAVA, else the newest JDK 25+ under
    /usr/lib/jvm (where the vector kernels are the default), else java on PATH."""
    if os.environ.get("K2J_BENCH_JAVA"):
        return os.environ["K2J_BENCH_JAVA"]
    best = (0, "java")
    for home in sorted(Path("/usr/lib/jvm").glob("*/")):
        java = home / "bin" / "java"
        if not java.is_file():
            continue
        ver = subprocess.run([str(java), "-version"], capture_output=True, text=True).stderr
        try:
            major = int(ver.split('"')[1].split(".")[0])
        except (IndexError, ValueError):
            continue
        if major >= 25 and major > best[0]:
            best = (major, str(java))
    return best[1]


def run_jmh(onnx_dir: Path, quick: bool) -> dict:
    jar = WORK / "benchmarks.jar"
    subprocess.run(["mvn", "-q", "-f", str(HERE / "jmh" / "pom.xml"), "package", "-DskipTests"], check=True)
    out_json = WORK / "jmh.json"
    java = bench_java()
    args = [java, f"-Donnx.dir={onnx_dir}", "-jar", str(jar), "-jvm", java, "-f", "1", "-wi", "2" if quick else "3",
            "-i", "2" if quick else "5", "-w", "1s", "-r", "1s", "-rf", "json", "-rff", str(out_json)]
    subprocess.run(args, check=True)
    res: dict = {}
    for row in json.loads(out_json.read_text()):
        bench = row["benchmark"].split(".")
        engine, mode = bench[-2], bench[-1]
        model = row["params"]["model"]
        score = row["primaryMetric"]["score"]          # µs per call
        per_seq = score / 256 if mode.startswith("batch256") else score / 64 if mode.startswith("batch64") else score
        key = f"{engine}.{mode}" + (f".{row['params']['kernels']}" if "kernels" in row["params"] else "")
        res.setdefault(model, {})[key] = per_seq
    return res


def cold_and_heap(gen: Path) -> dict:
    jar = WORK / "benchmarks.jar"
    out = {}
    for name in MODELS:
        p = subprocess.run([bench_java(), "-cp", str(jar), "bench.ColdStart", name], capture_output=True, text=True,
                           check=True)
        cold, weights_heap, per_instance, _ = p.stdout.split()
        v = subprocess.run([bench_java(), "--add-modules", "jdk.incubator.vector", "-Dkeras2java.kernels=vector", "-cp",
                            str(jar), "bench.ColdStart", name],
                           capture_output=True, text=True, check=True)
        classes = WORK / "classes" / "k2jbench" / name
        jar_path = WORK / f"{name}-model.jar"
        subprocess.run(["jar", "cf", str(jar_path), "-C", str(WORK / "classes"), f"k2jbench/{name}"], check=True)
        out[name] = {"cold_ms": int(cold), "cold_vector_ms": int(v.stdout.split()[0]), "heap_after_first_bytes": int(weights_heap),
                     "heap_per_instance_bytes": int(per_instance), "model_jar_bytes": jar_path.stat().st_size,
                     "classes_exist": classes.exists()}
    return out


def write_report(gen_info, keras_t, jmh, extra) -> str:
    lines = [
        "# keras2java benchmark",
        "",
        f"Machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores; "
        f"{subprocess.run([bench_java(), '-version'], capture_output=True, text=True).stderr.splitlines()[0]}; "
        f"reproduce with `python benchmarks/run.py`.",
        "",
        "Time per sequence in µs (lower is better). Java and ONNX Runtime: JMH average time; batch 64 divided by 64. "
        "1T = one thread, all = all cores. Java *vector*: the Vector API kernels (JDK 17+, "
        "`--add-modules jdk.incubator.vector`, FMA); *portable*: the Java 8 kernels. Both match Keras within 1e-5 "
        "(they differ in the low bits). Java b64 1T here: 64 calls of predict, one after another.",
        "",
        "| model | Java vector b1 | Java portable b1 | ORT b1 | vector/ORT b1 | portable/ORT b1 | vector GFLOP/s b1 "
        "| Java vector b64 1T | ORT b64 1T | Java vector b64 all | ORT b64 all | Java all/1T speed-up "
        "| Keras tf.function b1 | Keras predict b1 | Keras tf.function b64 |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for name, (t, f, u, c) in MODELS.items():
        j, k = jmh[name], keras_t[name]
        vb1, pb1, ob1 = j["JavaBench.batch1.vector"], j["JavaBench.batch1.portable"], j["OrtBench.batch1"]
        v1t, vall = j["JavaBench.batch64OneThread.vector"], j["JavaBench.batch64AllCores.vector"]
        lines.append(
            f"| {name} (T{t} F{f} U{u}) | {vb1:.1f} | {pb1:.1f} | {ob1:.1f} | {vb1 / ob1:.2f} | {pb1 / ob1:.2f} "
            f"| {flops(t, f, u, c) / vb1 / 1e3:.1f} | {v1t:.1f} | {j['OrtBench.batch64OneThread']:.1f} "
            f"| {vall:.1f} | {j['OrtBench.batch64AllCores']:.1f} | {v1t / vall:.2f}x "
            f"| {k['tf_function_b1']:.0f} | {k['predict_b1']:.0f} | {k['tf_function_b64']:.0f} |")
    lines += ["", "Batches on one thread through the batch path (`predictAllBatch(samples, 1)`: each layer over the "
              "whole batch, each recurrent step one matrix product), and batch 64 on all cores; ONNX Runtime with "
              "the same batch and thread count. µs per sequence; GFLOP/s of the multiply-adds of the model.", "",
              "| model | batch | threads | Java portable | Java vector | ORT | Java vector GFLOP/s | ORT GFLOP/s "
              "| vector/ORT | portable/ORT |",
              "|---|---|---|---|---|---|---|---|---|---|"]
    for name, (t, f, u, c) in MODELS.items():
        j = jmh[name]
        fl = flops(t, f, u, c)
        for batch, threads, jkey, okey in ((64, "1", "batch64OneThread_batched", "batch64OneThread"),
                                           (256, "1", "batch256OneThread_batched", "batch256OneThread"),
                                           (64, "all", "batch64AllCores", "batch64AllCores")):
            jp, jv, o = j[f"JavaBench.{jkey}.portable"], j[f"JavaBench.{jkey}.vector"], j[f"OrtBench.{okey}"]
            lines.append(f"| {name} | {batch} | {threads} | {jp:.1f} | {jv:.1f} | {o:.1f} | {fl / jv / 1e3:.1f} "
                         f"| {fl / o / 1e3:.1f} | {jv / o:.2f} | {jp / o:.2f} |")
    lines += ["", "| model | generation time | generated model sources | model jar | runtime sources (shared) "
              "| cold start (JVM start to first prediction) | cold start, vector kernels | heap after first instance "
              "| heap per extra instance |",
              "|---|---|---|---|---|---|---|---|---|"]
    for name in MODELS:
        g, e = gen_info[name], extra[name]
        lines.append(f"| {name} | {g['gen_s'] * 1000:.0f} ms | {g['source_bytes'] / 1024:.0f} KiB "
                     f"| {e['model_jar_bytes'] / 1024:.0f} KiB | {g['runtime_source_bytes'] / 1024:.0f} KiB "
                     f"| {e['cold_ms']} ms | {e['cold_vector_ms']} ms | {e['heap_after_first_bytes'] / 2**20:.1f} MiB "
                     f"| {e['heap_per_instance_bytes'] / 1024:.0f} KiB |")
    return "\n".join(lines) + "\n"


def chart(jmh, keras_t, path: Path) -> None:
    try:
        import matplotlib
    except ImportError:
        print("matplotlib is not installed: no chart")
        return
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    names = list(MODELS)
    series = [("keras2java, vector kernels", [jmh[n]["JavaBench.batch1.vector"] for n in names]),
              ("keras2java, portable kernels", [jmh[n]["JavaBench.batch1.portable"] for n in names]),
              ("ONNX Runtime Java", [jmh[n]["OrtBench.batch1"] for n in names]),
              ("Keras tf.function", [keras_t[n]["tf_function_b1"] for n in names])]
    x = np.arange(len(names))
    fig, ax = plt.subplots(figsize=(8, 4.5))
    width = 0.8 / len(series)
    for i, (label, vals) in enumerate(series):
        ax.bar(x + (i - (len(series) - 1) / 2) * width, vals, width, label=label)
    ax.set_yscale("log")
    ax.set_xticks(x, [f"{n}\nT{MODELS[n][0]} F{MODELS[n][1]} U{MODELS[n][2]}" for n in names])
    ax.set_ylabel("µs per sequence, batch 1, one thread (log)")
    ax.set_title("2-layer LSTM + Dense softmax: time per prediction")
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def main() -> None:
    ap = argparse.ArgumentParser(description="Benchmark generated Java vs ONNX Runtime Java vs Keras.")
    ap.add_argument("--quick", action="store_true", help="fewer JMH iterations and Keras repetitions")
    args = ap.parse_args()
    ensure_venv()
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    WORK.mkdir(parents=True, exist_ok=True)
    gen = WORK / "generated-models"
    onnx_dir = WORK / "onnx"
    models = build_models(WORK)
    gen_info = generate(models, gen)
    export_onnx(models, onnx_dir)
    keras_t = time_keras(models, args.quick)
    jmh = run_jmh(onnx_dir, args.quick)
    extra = cold_and_heap(gen)
    RESULTS.mkdir(exist_ok=True)
    report = write_report(gen_info, keras_t, jmh, extra)
    (RESULTS / "latest.md").write_text(report)
    (RESULTS / "latest.json").write_text(json.dumps({"generation": gen_info, "keras": keras_t, "jmh": jmh,
                                                     "extra": extra}, indent=1))
    chart(jmh, keras_t, RESULTS / "latest.png")
    print(report)


if __name__ == "__main__":
    main()
