"""Converts a ~50-million-parameter Keras model in resource mode and prints the
conversion time and the converter's peak memory (RSS).

    python benchmarks/large_model.py [--units 3000] [--features 1165]

The model (Input(5, 1165) -> LSTM(3000) -> Dense(10): 50,034,010 parameters,
200 MB of float32) is built and saved by Keras; the conversion runs as a
separate `python -m keras2java convert` process so its peak RSS is measured
alone.  The generated Java is compiled and its prediction compared with Keras.
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent


def main() -> None:
    ap = argparse.ArgumentParser(description="Convert a ~50M-parameter model; print time and peak memory.")
    ap.add_argument("--units", type=int, default=3000)
    ap.add_argument("--features", type=int, default=1165)
    args = ap.parse_args()
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    import keras

    work = Path(tempfile.mkdtemp(prefix="k2j-large-"))
    model = keras.Sequential([keras.Input((5, args.features)), keras.layers.LSTM(args.units), keras.layers.Dense(10)])
    path = work / "large.keras"
    model.save(path)
    n = model.count_params()
    print(f"model: {n:,} parameters, file {path.stat().st_size / 2**20:.0f} MiB")
    env = dict(os.environ, PYTHONPATH=str(REPO / "codegen"))
    t0 = time.perf_counter()
    # The converter's own peak RSS (VmHWM of its address space; ru_maxrss would
    # include this big parent process, which Linux carries across fork/exec).
    wrapper = ("import sys; from keras2java.cli import main; rc = main(sys.argv[1:]); "
               "hwm = [l for l in open('/proc/self/status') if l.startswith('VmHWM')][0].split()[1]; "
               "print('PEAK_RSS_KB', hwm); sys.exit(rc)")
    proc = subprocess.run([sys.executable, "-c", wrapper, "convert", str(path), "--out", str(work / "src"),
                           "--package", "big", "--class", "Large", "--weights", "resource"], env=env,
                          stdout=subprocess.PIPE, text=True)
    elapsed = time.perf_counter() - t0
    print("\n".join(line for line in proc.stdout.splitlines() if not line.startswith("PEAK_RSS_KB")))
    peak = int(proc.stdout.split("PEAK_RSS_KB")[1].split()[0]) / 1024 if "PEAK_RSS_KB" in proc.stdout else float("nan")
    if proc.returncode != 0:
        sys.exit("conversion failed")
    print(f"convert: {elapsed:.1f} s, peak RSS of the converter {peak:.0f} MiB "
          f"(weights alone: {n * 4 / 2**20:.0f} MiB)")
    x = np.random.default_rng(0).uniform(-1, 1, (1, 5, args.features)).astype("float32")
    expected = model.predict(x, verbose=0)[0]
    (work / "x.csv").write_text(",".join(repr(float(v)) for v in x.ravel()))
    (work / "Run.java").write_text(
        "public class Run { public static void main(String[] a) throws Exception {"
        " String[] p = new String(java.nio.file.Files.readAllBytes(java.nio.file.Paths.get(a[0]))).split(\",\");"
        " float[] x = new float[p.length]; for (int i = 0; i < p.length; i++) x[i] = Float.parseFloat(p[i]);"
        " long t = System.nanoTime(); big.Large m = new big.Large();"
        " System.err.println(\"weights loaded in \" + (System.nanoTime() - t) / 1000000 + \" ms\");"
        " for (float v : m.predict(x)) System.out.println(v); } }")
    srcs = [str(p) for p in (work / "src").rglob("*.java")] + [str(work / "Run.java")]
    subprocess.run(["javac", "--release", "8", "-nowarn", "-d", str(work / "classes"), *srcs], check=True)
    out = subprocess.run(["java", "-Xmx2g", "-cp", f"{work / 'classes'}:{work / 'src'}", "Run", str(work / "x.csv")],
                         capture_output=True, text=True, check=True)
    got = np.array([float(v) for v in out.stdout.split()], dtype=np.float32)
    print(f"java: {out.stderr.strip()}; max |java - keras| = {np.abs(got - expected).max():.2e}")


if __name__ == "__main__":
    main()
