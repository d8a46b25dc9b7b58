"""The roofline of each kernel tier on this machine.

    python benchmarks/roofline/roofline.py [--seconds 0.25] [--rounds 9]

Compiles the runtime (java-runtime/src/main, --release 8; the optional kernels' root,
--release 17) and Roofline*.java, then runs Roofline on JDK 17 (portable and FMA tiers)
and the newest JDK (portable, FMA, vector).  For each tier: GFLOP/s of the best loop
shapes found for a matrix-vector product (256 x 1024, 1 MiB of weights, in L2) and a GEMM
(64 rows x 256 x 512, 512 KiB of weights), beside the runtime's own Linear at the same
shapes and at the benchmark models' shapes, as the median of alternating rounds of the
thread's CPU time.  Prints a table and writes benchmarks/results/roofline.md with the date
and the load average.  About 2 minutes.
"""
from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
import jvms  # noqa: E402

RUNTIME = jvms.REPO / "java-runtime" / "src"
TIERS = (("17", "portable"), ("17", "fma"), ("newest", "portable"), ("newest", "fma"), ("newest", "vector"))


def compile_all(out: Path) -> None:
    main = sorted(str(p) for p in (RUNTIME / "main").rglob("*.java"))
    subprocess.run(["javac", "--release", "8", "-nowarn", "-d", str(out), *main, str(HERE / "Roofline.java")],
                   check=True)
    subprocess.run(["javac", "--release", "11", "-nowarn", "-cp", str(out), "-d", str(out),
                    str(HERE / "RooflineFma.java")], check=True)
    vec = sorted(str(p) for p in (RUNTIME / "vector").rglob("*.java"))
    subprocess.run(["javac", "--release", "17", "--add-modules", "jdk.incubator.vector", "-nowarn", "-cp", str(out),
                    "-d", str(out), *vec, str(HERE / "RooflineVector.java")], check=True, capture_output=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seconds", default="0.25", help="CPU seconds per case per round")
    ap.add_argument("--rounds", default="9")
    args = ap.parse_args()
    meta = jvms.machine()
    rows = []
    with tempfile.TemporaryDirectory(prefix="k2j-roofline-") as tmp:
        compile_all(Path(tmp))
        for jdk, tier in TIERS:
            java = jvms.jdk17() if jdk == "17" else jvms.newest()
            flags = ["--add-modules", "jdk.incubator.vector"] if tier == "vector" else []
            before = jvms.load()
            out = subprocess.run([java, *flags, f"-Dkeras2java.kernels={tier}", "-cp", tmp, "Roofline", tier,
                                  args.seconds, args.rounds], capture_output=True, text=True, check=True).stdout
            lines = out.strip().splitlines()
            kernels = lines[0].split(" ", 1)[1]
            for line in lines[1:]:
                name, med, lo, hi = line.split("\t")
                rows.append((f"JDK {jvms.java_major(java)}", tier, kernels, name, med, lo, hi, before))
            print(f"JDK {jvms.java_major(java)} {tier}: done (load {before})", flush=True)
    text = ["# Roofline per kernel tier", "",
            f"{meta['date']}; {meta['cpu']}, {meta['cores']} cores; commit {meta['commit']}; "
            f"`python benchmarks/roofline/roofline.py`. GFLOP/s on one thread (median of alternating rounds of "
            "the thread's CPU time; min-max in brackets). Shapes: matvec 256 x 1024 (1 MiB of weights, L2), "
            "GEMM 64 rows x 256 x 512 (512 KiB). `runtime` rows: the runtime's Linear with that tier.", "",
            "| JDK | tier | kernels | case | GFLOP/s | load average before |", "|---|---|---|---|---|---|"]
    for jdk, tier, kernels, name, med, lo, hi, before in rows:
        text.append(f"| {jdk} | {tier} | {kernels} | {name} | {med} ({lo}-{hi}) | {before} |")
    text.append(f"\nLoad average at the end: {jvms.load()}.")
    result = "\n".join(text) + "\n"
    (HERE.parent / "results").mkdir(exist_ok=True)
    (HERE.parent / "results" / "roofline.md").write_text(result)
    print(result)


if __name__ == "__main__":
    main()
