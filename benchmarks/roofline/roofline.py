"""The roofline of each kernel tier on this machine.

    python benchmarks/roofline/roofline.py [--seconds 0.25] [--rounds 9]
    python benchmarks/roofline/roofline.py --starts 40 --case "large recurrent step b64" [--tier newest:fma]

Compiles the runtime (java-runtime/src/main, --release 8; the optional kernels' root,
--release 17) and Roofline*.java, then runs Roofline on JDK 17 (portable and FMA tiers)
and the newest JDK (portable, FMA, vector).  For each tier: GFLOP/s of the best loop
shapes found for a matrix-vector product (256 x 1024, 1 MiB of weights, in L2) and a GEMM
(64 rows x 256 x 512, 512 KiB of weights), beside the runtime's own Linear at the same
shapes and at the benchmark models' shapes (and, for the portable and FMA tiers, the best shape
found for the small model's latency-bound 15-unit LSTM step, beside a bound without tanh's clamp),
as the median of alternating rounds of the
thread's CPU time (RooflineFma.gemm33 says which shape JDK 17 runs fast only with some
arrays).  Prints a table and writes benchmarks/results/roofline.md with the date and the load
average, and a copy named by the start time (roofline-YYYY-MM-DD-HHMM.md).  About 4 minutes.

``--starts N --case TEXT`` instead starts N fresh JVMs of one tier (``--tier``, default
newest:fma) on the cases whose name holds TEXT, and prints each start's GFLOP/s and their spread
(writes nothing): some effects are fixed for the life of a JVM, so rounds in one JVM do not show them.
"""
from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
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
    ap.add_argument("--starts", type=int, default=0, help="start this many JVMs on --case (prints, writes nothing)")
    ap.add_argument("--case", default=None, help="with --starts: the cases whose name holds this text")
    ap.add_argument("--tier", default="newest:fma", help="with --starts: JDK (17 or newest) and tier, e.g. 17:fma")
    args = ap.parse_args()
    if args.starts:
        starts(args)
        return
    meta = jvms.machine()
    stamp = time.strftime("%Y-%m-%d-%H%M", time.gmtime())   # the start, as in the file's first line
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
            "GEMM 64 rows x 256 x 512 (512 KiB); the shapes' output rows start 1 KiB (mod 4 KiB) apart, as the "
            "runtime's accumulator rows do (no 4K aliasing). `runtime` rows: the runtime's Linear with that tier. "
            "The small LSTM step's shapes (15 units, batch 1, the weights as rows of 64 floats) first give the "
            "runtime's step its own state bits, or the run stops; a `bound` row is no kernel (its tanh has no "
            "clamp, wrong above |x| = 9): it bounds what any cheaper clamp could gain.", "",
            "| JDK | tier | kernels | case | GFLOP/s | load average before |", "|---|---|---|---|---|---|"]
    for jdk, tier, kernels, name, med, lo, hi, before in rows:
        text.append(f"| {jdk} | {tier} | {kernels} | {name} | {med} ({lo}-{hi}) | {before} |")
    text.append(f"\nLoad average at the end: {jvms.load()}.")
    result = "\n".join(text) + "\n"
    (HERE.parent / "results").mkdir(exist_ok=True)
    (HERE.parent / "results" / "roofline.md").write_text(result)
    (HERE.parent / "results" / f"roofline-{stamp}.md").write_text(result)
    print(result)


def starts(args) -> None:
    """Each of ``args.starts`` fresh JVMs times the matching cases; one line per start, then min, median, max."""
    if not args.case:
        sys.exit("roofline.py: --starts needs --case (part of a case's name, e.g. 'large recurrent step b64')")
    jdk, _, tier = args.tier.partition(":")
    if jdk not in ("17", "newest") or tier not in ("portable", "fma", "vector"):
        sys.exit(f"roofline.py: --tier {args.tier!r}: expected 17 or newest, a colon, and portable, fma or vector")
    java = jvms.jdk17() if jdk == "17" else jvms.newest()
    flags = ["--add-modules", "jdk.incubator.vector"] if tier == "vector" else []
    print(f"JDK {jvms.java_major(java)} {tier}, {args.starts} starts, load {jvms.load()}", flush=True)
    per_case: dict = {}
    with tempfile.TemporaryDirectory(prefix="k2j-roofline-") as tmp:
        compile_all(Path(tmp))
        for n in range(args.starts):
            out = subprocess.run([java, *flags, f"-Dkeras2java.kernels={tier}", "-cp", tmp, "Roofline", tier,
                                  args.seconds, args.rounds, args.case], capture_output=True, text=True,
                                 check=True).stdout
            lines = out.strip().splitlines()[1:]
            if not lines:
                sys.exit(f"roofline.py: no case's name holds {args.case!r}")
            cells = []
            for line in lines:
                name, med, _lo, _hi = line.split("\t")
                per_case.setdefault(name, []).append(float(med))
                cells.append(med)
            print(f"start {n + 1}: " + " ".join(cells), flush=True)
    for name, values in per_case.items():
        v = sorted(values)
        print(f"{name}: min {v[0]:.1f}, median {v[len(v) // 2]:.1f}, max {v[-1]:.1f} GFLOP/s; load {jvms.load()}")


if __name__ == "__main__":
    main()
