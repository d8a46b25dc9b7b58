"""A fuzzing campaign: many batches of random models, counts per class, shrunk failures."""
from __future__ import annotations

import argparse
import json
import random
import shutil
import time
import traceback
from pathlib import Path

from support.harness import KERNEL_OPTIONS

from .generator import generate
from .runner import FORMATS, refusal_key, refusal_keys, run_batch, summarize, write_result_line
from .spec import describe

REGRESSIONS = Path(__file__).resolve().parent / "regressions"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="fuzz_models", description=__doc__)
    ap.add_argument("--models", type=int, default=200)
    ap.add_argument("--seed", default="random", help="an integer, or 'random'")
    ap.add_argument("--batch", type=int, default=40, help="models per javac/JVM batch")
    ap.add_argument("--formats", default="all", help="'all' (3 files per model), 'rotate' (one format per "
                                                     "model, in turn) or a comma list of keras,h5,tf_h5")
    ap.add_argument("--samples", type=int, default=3)
    ap.add_argument("--kernels", default="auto", choices=sorted(KERNEL_OPTIONS),
                    help="the JVM's kernel choice (auto: what the JVM picks without flags from the main "
                         "sources alone, the portable kernels; fma, vector and their variants: those kernels, "
                         "compiled in from the optional source root)")
    ap.add_argument("--out", default="/tmp/k2j-fuzz")
    ap.add_argument("--shrink", type=int, default=5, help="shrink at most this many failures")
    ap.add_argument("--regressions", default=str(REGRESSIONS))
    ap.add_argument("--summarize", metavar="RESULTS_JSONL", nargs="+",
                    help="only print the summary of results.jsonl files (campaigns may still be running)")
    args = ap.parse_args(argv)
    if args.summarize:
        print(json.dumps(summarize_file(args.summarize), indent=1))
        return 0
    seed = random.SystemRandom().randrange(1, 2**31) if args.seed == "random" else int(args.seed)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    if args.formats == "all":
        formats_for = lambda i: FORMATS  # noqa: E731
    elif args.formats == "rotate":
        formats_for = lambda i: (FORMATS[i % 3],)  # noqa: E731
    else:
        chosen = tuple(args.formats.split(","))
        formats_for = lambda i: chosen  # noqa: E731
    print(f"campaign seed {seed}: {args.models} models, formats {args.formats}, kernels {args.kernels}, out {out}",
          flush=True)
    all_results = []
    failures = []
    generator_errors = batch_errors = 0
    t0 = time.time()
    with open(out / "results.jsonl", "a", encoding="utf-8") as fh:
        for start in range(0, args.models, args.batch):
            n = min(args.batch, args.models - start)
            specs = []
            for i in range(start, start + n):
                try:
                    specs.append(generate(seed + i))
                except Exception:   # a generator bug must not end a long campaign
                    print(f"!! generator failed for seed {seed + i}:\n{traceback.format_exc()}", flush=True)
                    generator_errors += 1
            work = out / f"batch{start}"
            try:
                results = run_batch(specs, work, formats_for, args.samples, start_index=start, kernels=args.kernels)
            except Exception:
                print(f"!! batch {start} failed:\n{traceback.format_exc()}", flush=True)
                batch_errors += 1
                continue
            for r in results:
                write_result_line(fh, r)
                if r.cls in ("mismatch", "crash"):
                    failures.append(r)
                    print(f"== {r.cls} model {r.index} (seed {r.spec['seed']}) {r.fmt}: {r.reason[:600]}\n"
                          f"{describe(r.spec)}", flush=True)
            all_results.extend(results)
            if not any(r.cls in ("mismatch", "crash") for r in results):
                shutil.rmtree(work, ignore_errors=True)
            print(f"[{time.time() - t0:7.0f}s] models {start + n}/{args.models}: "
                  f"{summarize(all_results)}", flush=True)
    report = report_of(all_results, seed, args)
    report["generator_errors"], report["batch_errors"] = generator_errors, batch_errors
    report["kernels"] = args.kernels
    (out / "summary.json").write_text(json.dumps(report, indent=1))
    print(json.dumps(report, indent=1), flush=True)
    if failures and args.shrink:
        from .shrink import shrink_and_save
        seen = set()
        for r in failures:
            key = (r.cls, refusal_key(r.reason)[:60])
            if key in seen or len(seen) >= args.shrink:
                continue
            seen.add(key)
            path = shrink_and_save(r, out / f"shrink{r.index}_{r.fmt}", Path(args.regressions), args.kernels)
            print(f"shrunk model {r.index} {r.fmt} -> {path}", flush=True)
    return 0


def report_of(results: list, seed: int, args) -> dict:
    refusals: dict = {}
    skipped: dict = {}
    return summary_of([dict(r.to_json(), spec=r.spec) for r in results], seed)


def summary_of(rows: list, seed=None) -> dict:
    """Counts per class, refusal problems (a file may have several), skips, failures, noise."""
    refusals: dict = {}
    skipped: dict = {}
    counts: dict = {}
    for r in rows:
        counts[r["class"]] = counts.get(r["class"], 0) + 1
        if r["class"] == "refused":
            for key in set(refusal_keys(r["reason"])):
                refusals[key] = refusals.get(key, 0) + 1
        elif r["class"] == "skipped":
            key = refusal_key(r["reason"])
            skipped[key] = skipped.get(key, 0) + 1
    return {"seed": seed, "models": len({r["index"] for r in rows}), "files": len(rows), "counts": counts,
            "worst_ok_error": max([r["error"] for r in rows if r["class"] == "ok"] or [0.0]),
            "worst_noise_error": max([r["error"] for r in rows if r["class"] == "noise"] or [0.0]),
            "refusal_problems": dict(sorted(refusals.items(), key=lambda kv: -kv[1])),
            "skipped": dict(sorted(skipped.items(), key=lambda kv: -kv[1])),
            "failures": [r for r in rows if r["class"] in ("mismatch", "crash")],
            "noise": [{k: v for k, v in r.items() if k != "spec"} for r in rows if r["class"] == "noise"]}


def summarize_file(paths) -> dict:
    """The summary of results.jsonl files (also of campaigns still running); models are
    counted per file and campaign."""
    rows = []
    for n, path in enumerate([paths] if isinstance(paths, str) else paths):
        for line in open(path, encoding="utf-8"):
            if line.strip():
                row = json.loads(line)
                row["index"] = (n, row["index"])
                rows.append(row)
    return summary_of(rows)
