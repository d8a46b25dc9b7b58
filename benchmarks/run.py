"""keras2java benchmark: generated Java (JMH) vs ONNX Runtime Java vs Keras.

    python benchmarks/run.py [--quick] [--no-cnn]

Builds the three reference models with Keras (2-layer LSTM + Dense softmax,
random weights), converts them with keras2java, exports the same Keras models
to ONNX with tf2onnx, and runs JMH over the generated Java in four JVM settings
(see ``SETTINGS``: what JDK 17 and the newest JDK give with no flag, the portable
Java 8 kernels that Android and Java 8 get, and the Vector API kernels) and over
ONNX Runtime Java, all in this one run: batch 1 and batch 64 on one thread
(through the batch path ``predictAllBatch``), with GFLOP/s and the ratio to ONNX
Runtime at the same batch and thread count; batch 64 on all cores.  Then the
CNN-LSTM and CRNN models of cnn_rnn.py in the same settings (unless --no-cnn),
Keras (tf.function and model.predict), cold start, heap, sizes and generation
time.  Writes benchmarks/results/latest.md, latest.json, latest.png and a copy
of the .md and .json named by the date, with the date, JDKs, flags and the load
average before and after each part.  --quick: fewer JMH iterations (one fork).

Benchmark-only tools (tf2onnx, onnx, onnxruntime, matplotlib) are installed
into benchmarks/.venv (which also sees the packages of the Python that runs this script, such as
the project's .venv with TensorFlow) unless the running Python already has tf2onnx, onnx and
onnxruntime (then the chart is drawn only if matplotlib is there too); JMH and ONNX Runtime
Java come from Maven Central.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import jvms  # noqa: E402
import report  # noqa: E402

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
VENV = HERE / ".venv"
RESULTS = HERE / "results"
WORK = HERE / "jmh" / "target"
MODELS = report.MODELS  # name: (timesteps, features, units, classes)
flops = report.flops


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
        if sys.prefix != sys.base_prefix:
            # Run from a virtual environment (such as the project's .venv, where scripts/setup.sh
            # --test puts TensorFlow): the new one sees the base Python's packages only, so a
            # .pth file adds this environment's site-packages behind its own.
            lib = subprocess.run([str(py), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                                 check=True, capture_output=True, text=True).stdout.strip()
            parent = [p for p in sys.path if p.startswith(sys.prefix) and p.endswith("site-packages")]
            Path(lib, "k2j-parent-env.pth").write_text("".join(p + "\n" for p in parent))
        pip = [str(py), "-m", "pip", "install", "-q", "--disable-pip-version-check"]
        # tf2onnx pins an old protobuf; its code works with the installed one, so skip its pins.
        subprocess.run(pip + ["--no-deps", "tf2onnx==1.17.0", "onnx", "onnxruntime"], check=True)
        subprocess.run(pip + ["matplotlib"], check=True)
    os.execv(str(py), [str(py), *sys.argv])


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


def bench_java() -> str:
    """The newest JDK (see jvms.newest): cold start and heap are measured there."""
    return jvms.newest()


def jmh_args(quick: bool) -> list[str]:
    """Quick: one fork (one run); else three forks, each a run of its own in the report.  Warm-up
    of 6-8 s: the vector kernels' first calls take seconds until C2 has compiled them (medium model,
    batch 1: 1.7 s per call at first, 7 ms warm; the third second of warm-up was not always enough)."""
    return (["-f", "1", "-wi", "3", "-i", "3"] if quick else ["-f", "3", "-wi", "4", "-i", "5"]) + \
        ["-w", "2s", "-r", "1s"]


def _jmh(jar: Path, java: str, flags, pattern: str, params: list[str], onnx_dir: Path, quick: bool,
         out_json: Path) -> list:
    # The forks inherit the runner's -D options (JMH's default jvmArgs are the host's).
    args = ["java", f"-Donnx.dir={onnx_dir}", "-jar", str(jar), "-jvm", java, *jmh_args(quick), "-rf", "json",
            "-rff", str(out_json), *params]
    if flags:
        args += ["-jvmArgsAppend", " ".join(flags)]
    subprocess.run([*args, pattern], check=True)
    return json.loads(out_json.read_text())


def _per_sequence(row) -> tuple[float, list[float]]:
    """µs per sequence: the score and each fork's mean."""
    mode = row["benchmark"].split(".")[-1]
    div = 256 if mode.startswith("batch256") else 64 if mode.startswith("batch64") else 1
    forks = [sum(f) / len(f) / div for f in row["primaryMetric"]["rawData"]]
    return row["primaryMetric"]["score"] / div, forks


def run_jmh(onnx_dir: Path, quick: bool) -> tuple[dict, dict]:
    """{model: {"<setting>.<benchmark>" or "ort.<benchmark>": µs per sequence}} and what each setting ran
    (kernels, flags, JDK, load before and after)."""
    jar = WORK / "benchmarks.jar"
    subprocess.run(["mvn", "-q", "-f", str(HERE / "jmh" / "pom.xml"), "package", "-DskipTests"], check=True)
    res: dict = {}
    runs: dict = {}
    models = ["-p", "model=" + ",".join(MODELS)]
    for st in jvms.SETTINGS:
        active = subprocess.run([st.java, *st.jvm_options(), "-cp", str(jar), "bench.ActiveKernels"],
                                capture_output=True, text=True, check=True).stdout.strip()
        benches = "batch1" if st.key in ("intraop", "vectorintraop") else \
            "batch1|batch64OneThread_batched" + ("|batch64AllCores" if st.key == "vector" else "")
        before, t0 = jvms.load(), time.time()
        rows = _jmh(jar, st.java, st.flags, f"bench.JavaBench.({benches})$", [*models, "-p", f"kernels={st.kernels}"],
                    onnx_dir, quick, WORK / f"jmh-{st.key}.json")
        runs[st.key] = {"label": st.label, "java": jvms.java_version(st.java), "flags": " ".join(st.jvm_options()),
                        "kernels": active, "load_before": before, "load_after": jvms.load(),
                        "minutes": round((time.time() - t0) / 60, 1)}
        for row in rows:
            score, forks = _per_sequence(row)
            key = f"{st.key}.{row['benchmark'].split('.')[-1]}"
            res.setdefault(row["params"]["model"], {})[key] = score
            res[row["params"]["model"]][key + ".forks"] = forks
    before, t0 = jvms.load(), time.time()
    rows = _jmh(jar, jvms.newest(), (), "bench.OrtBench.(batch1|batch64OneThread|batch64AllCores)$", models,
                onnx_dir, quick, WORK / "jmh-ort.json")
    runs["ort"] = {"label": "ONNX Runtime Java", "java": jvms.java_version(jvms.newest()), "flags": "",
                   "kernels": "onnxruntime (intra-op threads 1, or all cores)", "load_before": before,
                   "load_after": jvms.load(), "minutes": round((time.time() - t0) / 60, 1)}
    for row in rows:
        score, forks = _per_sequence(row)
        key = f"ort.{row['benchmark'].split('.')[-1]}"
        res.setdefault(row["params"]["model"], {})[key] = score
        res[row["params"]["model"]][key + ".forks"] = forks
    return res, runs


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


def main() -> None:
    ap = argparse.ArgumentParser(description="Benchmark generated Java vs ONNX Runtime Java vs Keras.")
    ap.add_argument("--quick", action="store_true", help="one JMH fork, fewer iterations and Keras repetitions")
    ap.add_argument("--no-cnn", action="store_true", help="skip the CNN-LSTM and CRNN models")
    args = ap.parse_args()
    ensure_venv()
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    meta = jvms.machine()
    meta["command"] = "python benchmarks/run.py" + (" --quick" if args.quick else "") + \
        (" --no-cnn" if args.no_cnn else "")
    t0 = time.time()
    WORK.mkdir(parents=True, exist_ok=True)
    gen = WORK / "generated-models"
    onnx_dir = WORK / "onnx"
    models = build_models(WORK)
    gen_info = generate(models, gen)
    export_onnx(models, onnx_dir)
    jmh, runs = run_jmh(onnx_dir, args.quick)
    cnn = {}
    if not args.no_cnn:
        import cnn_rnn
        before, t1 = jvms.load(), time.time()
        cnn = cnn_rnn.run(args.quick)
        runs["cnn_rnn"] = {"load_before": before, "load_after": jvms.load(), "minutes": round((time.time() - t1) / 60, 1)}
    keras_t = time_keras(models, args.quick)
    extra = cold_and_heap(gen)
    meta["load_end"] = jvms.load()
    meta["minutes"] = round((time.time() - t0) / 60, 1)
    meta["runs"] = runs
    RESULTS.mkdir(exist_ok=True)
    text = report.markdown(meta, gen_info, keras_t, jmh, extra, cnn)
    data = json.dumps({"meta": meta, "generation": gen_info, "keras": keras_t, "jmh": jmh, "extra": extra,
                       "cnn_rnn": cnn}, indent=1)
    stamp = time.strftime("%Y-%m-%d-%H%M", time.gmtime())
    for name in ("latest", stamp):
        (RESULTS / f"{name}.md").write_text(text)
        (RESULTS / f"{name}.json").write_text(data)
    report.chart(jmh, RESULTS / "latest.png")
    print(text)


if __name__ == "__main__":
    main()
