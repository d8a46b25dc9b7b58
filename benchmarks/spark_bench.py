"""Spark benchmark: keras2java beside ONNX Runtime Java in the same local[2] Spark job.

    python benchmarks/spark_bench.py [--rows 100000] [--partitions 2]

Builds the medium benchmark model with Keras (benchmarks/run.py: T100 F64, 2 x LSTM 128,
Dense 10 softmax, random weights), generates its Java with keras2java (plus the optional
Vector API kernels), exports it to ONNX with tf2onnx, builds benchmarks/spark (Spark 3.5.8
and ONNX Runtime Java from Maven Central) and scores ROWS sequences in local[PARTITIONS]
with each engine (bench.spark.SparkScoreBench): input generation alone (the floor), the
generated Java with its portable Java 8 kernels and with the Vector API kernels, and ONNX
Runtime Java with batches of 1 and of 64 (one intra-op thread per task).  Prints rows/s
and writes benchmarks/results/spark.md.  tf2onnx and onnx must be importable (pip install
tf2onnx onnx).
"""
from __future__ import annotations

import argparse
import os
import platform
import re
import shutil
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
PROJECT = HERE / "spark"
sys.path.insert(0, str(REPO / "codegen"))
sys.path.insert(0, str(HERE))

#: Spark 3.5 on JDK 17 reaches into JDK internals.
OPENS = [f"--add-opens=java.base/{p}=ALL-UNNAMED" for p in (
    "java.lang", "java.lang.invoke", "java.lang.reflect", "java.io", "java.net", "java.nio", "java.util",
    "java.util.concurrent", "java.util.concurrent.atomic", "sun.nio.ch", "sun.nio.cs", "sun.security.action",
    "sun.util.calendar")]


def prepare(target: Path) -> Path:
    """The medium model's Java sources and weights under target/generated, its ONNX file."""
    import run as bench

    import keras2java
    from keras2java.emit import runtime_package, vector_runtime_files, write_atomically

    work = target / "models"
    work.mkdir(parents=True, exist_ok=True)
    models = {k: v for k, v in bench.build_models(work).items() if k == "medium"}
    gen = target / "generated"
    shutil.rmtree(gen, ignore_errors=True)
    keras2java.convert(str(models["medium"][1]), str(gen / "main"), package="bench.medium",
                       class_name="MediumModel", weights="resource")
    write_atomically(vector_runtime_files(), str(gen / "vector"))
    (gen / "main" / "bench" / "spark").mkdir(parents=True, exist_ok=True)
    (gen / "main" / "bench" / "spark" / "RuntimeInfo.java").write_text(
        "package bench.spark;\n\nfinal class RuntimeInfo {\n    private RuntimeInfo() {\n    }\n\n"
        f"    static String kernels() {{\n        return {runtime_package()}.Kernels.active();\n    }}\n}}\n")
    bench.export_onnx(models, target / "onnx")
    return target / "onnx" / "medium.onnx"


ENGINES = ("gen", "k2j-portable", "k2j-vector", "ort1", "ort64")


def java_version() -> str:
    out = subprocess.run(["java", "-version"], capture_output=True, text=True).stderr
    return out.splitlines()[0] if out else "unknown"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rows", type=int, default=100_000)
    ap.add_argument("--partitions", type=int, default=2)
    ap.add_argument("--reuse", action="store_true", help="reuse the model and build of the previous run")
    ap.add_argument("--engines", default=",".join(ENGINES),
                    help=f"comma-separated, from {', '.join(ENGINES)} (default: all)")
    args = ap.parse_args()
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    target = PROJECT / "target"
    onnx = target / "onnx" / "medium.onnx"
    if not (args.reuse and onnx.exists() and (target / "lib").is_dir()):
        onnx = prepare(target)
        mvn = shutil.which("mvn") or sys.exit("Maven (mvn) is needed")
        subprocess.run([mvn, "-q", "-B", "package"], cwd=PROJECT, check=True)
    cp = os.pathsep.join([str(target / "classes"), str(target / "lib" / "*")])
    base = ["java", "-Xmx3g", *OPENS, "--add-modules", "jdk.incubator.vector", "-cp", cp,
            "bench.spark.SparkScoreBench", str(args.rows), str(args.partitions), str(onnx)]
    results = []
    chosen = args.engines.split(",")
    unknown = set(chosen) - set(ENGINES)
    if unknown:
        sys.exit(f"unknown engines {sorted(unknown)}: choose from {', '.join(ENGINES)}")
    for kernels in ("portable", "vector"):
        engines = [e.split("-")[0] for e in ENGINES if e in chosen and (e == f"k2j-{kernels}" or
                                                                       (kernels == "portable" and "k2j" not in e))]
        if not engines:
            continue
        cmd = base[:1] + [f"-Dkeras2java.kernels={kernels}"] + base[1:] + engines
        proc = subprocess.run(cmd, capture_output=True, text=True)
        if proc.returncode != 0:
            sys.exit(proc.stdout[-3000:] + proc.stderr[-3000:])
        for line in proc.stdout.splitlines():
            if line.startswith("RESULT "):
                print(line, flush=True)
                results.append(dict(re.findall(r"(\w+)=(\S+)", line)))
    names = {"gen": "input generation only (floor)", "k2j": "keras2java generated Java, row by row",
             "ort1": "ONNX Runtime Java, batch 1", "ort64": "ONNX Runtime Java, batch 64"}
    lines = [f"# Spark benchmark: medium model (T100 F64, 2 x LSTM 128, Dense 10), {args.rows:,} sequences, "
             f"local[{args.partitions}]", "",
             f"Machine: {platform.machine()}, {os.cpu_count()} cores, shared with other jobs (numbers are "
             f"indicative); {java_version()}; Spark 3.5.8; reproduce with `python benchmarks/spark_bench.py`.",
             "Inputs are generated inside the job from the row ids (the same for every engine); each engine "
             "runs one instance or session per partition, one thread per task.", "",
             "| engine | kernels | seconds | rows/s | checksum |", "|---|---|---:|---:|---:|"]
    for r in results:
        lines.append(f"| {names[r['engine']]} | {r['kernels'].replace('_', ' ')} | {float(r['seconds']):.1f} | "
                     f"{float(r['rows_per_s']):,.0f} | {float(r['checksum']):.3f} |")
    text = "\n".join(lines) + "\n"
    (HERE / "results").mkdir(exist_ok=True)
    (HERE / "results" / "spark.md").write_text(text)
    print(text)


if __name__ == "__main__":
    main()
