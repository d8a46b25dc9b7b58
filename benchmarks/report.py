"""benchmarks/run.py's report: markdown tables and the chart, from the measured figures."""
from __future__ import annotations

from pathlib import Path

import jvms

MODELS = {  # name: (timesteps, features, units, classes); as run.MODELS
    "small": (7, 11, 15, 3),
    "medium": (100, 64, 128, 10),
    "large": (100, 256, 512, 10),
}
B1, B64, B64_ORT = "batch1", "batch64OneThread_batched", "batch64OneThread"


def flops(t: int, f: int, u: int, c: int) -> float:
    """Multiply-adds x2 of one sequence: two LSTM layers and the Dense layer."""
    return 2.0 * t * 4 * u * (f + u) + 2.0 * t * 4 * u * (u + u) + 2.0 * u * c


def _ratio(j: dict, key: str, ort_key: str) -> str:
    """Java / ORT of the scores, and the range over Java's forks (each divided by ORT's score)."""
    if key not in j or ort_key not in j:
        return "—"
    r = j[key] / j[ort_key]
    forks = [f / j[ort_key] for f in j.get(key + ".forks", [])]
    return f"{r:.2f}" + (f" ({min(forks):.2f}–{max(forks):.2f})" if len(forks) > 1 else "")


def _labels(meta) -> dict:
    return {k: v["label"] for k, v in meta["runs"].items() if "label" in v}


def markdown(meta, gen_info, keras_t, jmh, extra, cnn) -> str:
    labels = _labels(meta)
    keys = [s.key for s in jvms.SETTINGS]
    # the "best Java" columns: settings on one thread (intra-op threads have their own columns)
    one = [s.key for s in jvms.SETTINGS if not any("intraOpThreads" in f for f in s.flags)]
    lines = [
        "# keras2java benchmark",
        "",
        f"{meta['date']}; {meta['cpu']}, {meta['cores']} cores; commit {meta['commit']}; "
        f"`{meta['command']}` ({meta['minutes']} min). Load average (1, 5, 15 min): {meta['load_start']} at the "
        f"start, {meta['load_end']} at the end, and before/after each part below. Every figure is one thread "
        "unless it says all cores.",
        "",
        "## Ratio to ONNX Runtime in the same run (Java time / ORT time per sequence; lower is better)",
        "",
        "b1: batch 1. b64: the batch path (`predictAllBatch(samples, 1)`) against ORT's batch of 64, both on one "
        "thread. With several JMH forks, the range over Java's forks is in brackets. cnn_lstm and crnn: "
        "benchmarks/cnn_rnn.py's timer beside ONNX Runtime's Python API; in their b64 columns, the batch path "
        "on a batch of cnn_rnn.BATCH (16) against ORT's batch of 16.",
        "",
        "| model | " + " | ".join(f"{labels[k]} b1" for k in keys) + " | "
        + " | ".join(f"{labels[k]} b64" for k in keys) + " | best Java b64, one thread |",
        "|---|" + "---|" * (2 * len(keys) + 1),
    ]
    for name in MODELS:
        j = jmh[name]
        b64 = [j[f"{k}.{B64}"] for k in one if f"{k}.{B64}" in j]
        best = f"{min(b64) / j['ort.' + B64_ORT]:.2f}" if b64 else "—"
        lines.append(f"| {name} | " + " | ".join(_ratio(j, f"{k}.{B1}", f"ort.{B1}") for k in keys) + " | "
                     + " | ".join(_ratio(j, f"{k}.{B64}", f"ort.{B64_ORT}") for k in keys) + f" | {best} |")
    for name, r in cnn.items():
        ratios = {sfx: [r[k + sfx + "_us"] / r["ort" + sfx + "_us"] if k + sfx + "_us" in r else None for k in keys]
                  for sfx in ("", "_batch")}
        best = min((v for k, v in zip(keys, ratios["_batch"]) if v is not None and k in one), default=None)
        lines.append(f"| {name} | " + " | ".join(f"{v:.2f}" if v is not None else "—"
                                                 for v in ratios[""] + ratios["_batch"])
                     + (f" | {best:.2f} |" if best is not None else " | — |"))
    lines += ["", "## Time per sequence (µs) and GFLOP/s", "",
              "| model | batch | " + " | ".join(labels[k] for k in keys)
              + " | ORT | best Java GFLOP/s, one thread | ORT GFLOP/s |",
              "|---|---|" + "---|" * (len(keys) + 3)]
    for name, (t, f, u, c) in MODELS.items():
        j = jmh[name]
        fl = flops(t, f, u, c)
        for batch, jk, ok in (("1", B1, B1), ("64", B64, B64_ORT)):
            vals = [j.get(f"{k}.{jk}") for k in keys]
            best = min(v for k, v in zip(keys, vals) if v and k in one)
            lines.append(f"| {name} | {batch} | " + " | ".join(f"{v:.1f}" if v else "—" for v in vals)
                         + f" | {j['ort.' + ok]:.1f} | {fl / best / 1e3:.1f} | {fl / j['ort.' + ok] / 1e3:.1f} |")
        if "vector.batch64AllCores" in j:
            lines.append(f"| {name} | 64, all cores | — | — | — | {j['vector.batch64AllCores']:.1f} "
                         f"| {j['ort.batch64AllCores']:.1f} | — | — |")
    for name, r in cnn.items():
        for batch, sfx in ((1, ""), (r.get("batch"), "_batch")):
            if "ort" + sfx + "_us" in r:
                java = [r[k + sfx + "_us"] for k in one if k + sfx + "_us" in r]
                fl = r.get("flops")   # cnn_rnn.model_flops: one sample's
                rates = (f" | {fl / min(java) / 1e3:.1f} | {fl / r['ort' + sfx + '_us'] / 1e3:.1f} |"
                         if fl and java else " | — | — |")
                lines.append(f"| {name} | {batch} | " + " | ".join(f"{r[k + sfx + '_us']:.0f}" if k + sfx + "_us" in r
                                                                 else "—" for k in keys)
                             + f" | {r['ort' + sfx + '_us']:.0f}" + rates)
    lines += ["", "## Settings", "", "| setting | JVM | flags | kernels it ran | load before | load after | minutes |",
              "|---|---|---|---|---|---|---|"]
    for k, v in meta["runs"].items():
        if "label" in v:
            lines.append(f"| {v['label']} | {v['java']} | `{v['flags'] or '(none)'}` | {v['kernels']} "
                         f"| {v['load_before']} | {v['load_after']} | {v.get('minutes', '')} |")
    if "cnn_rnn" in meta["runs"]:
        v = meta["runs"]["cnn_rnn"]
        lines.append(f"| cnn_rnn.py (same settings) | | | | {v['load_before']} | {v['load_after']} "
                     f"| {v.get('minutes', '')} |")
    lines += ["", "## Other figures", "",
              "| model | generation time | generated model sources | model jar | runtime sources (shared) "
              "| cold start, default kernels | cold start, vector kernels | heap after first instance "
              "| heap per extra instance | Keras tf.function b1 (µs) | Keras predict b1 (µs) | Keras tf.function b64 (µs) |",
              "|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for name in MODELS:
        g, e, k = gen_info[name], extra[name], keras_t[name]
        lines.append(f"| {name} | {g['gen_s'] * 1000:.0f} ms | {g['source_bytes'] / 1024:.0f} KiB "
                     f"| {e['model_jar_bytes'] / 1024:.0f} KiB | {g['runtime_source_bytes'] / 1024:.0f} KiB "
                     f"| {e['cold_ms']} ms | {e['cold_vector_ms']} ms | {e['heap_after_first_bytes'] / 2**20:.1f} MiB "
                     f"| {e['heap_per_instance_bytes'] / 1024:.0f} KiB | {k['tf_function_b1']:.0f} "
                     f"| {k['predict_b1']:.0f} | {k['tf_function_b64']:.0f} |")
    return "\n".join(lines) + "\n"


def chart(jmh, path: Path) -> None:
    """Batch-1 time per sequence of each setting beside ONNX Runtime (log scale)."""
    try:
        import matplotlib
    except ImportError:
        print("matplotlib is not installed: no chart")
        return
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    names = list(MODELS)
    series = [(s.label, [jmh[n].get(f"{s.key}.{B1}", np.nan) for n in names]) for s in jvms.SETTINGS]
    series.append(("ONNX Runtime Java", [jmh[n][f"ort.{B1}"] for n in names]))
    x = np.arange(len(names))
    fig, ax = plt.subplots(figsize=(9, 4.5))
    width = 0.8 / len(series)
    for i, (label, vals) in enumerate(series):
        ax.bar(x + (i - (len(series) - 1) / 2) * width, vals, width, label=label)
    ax.set_yscale("log")
    ax.set_xticks(x, [f"{n}\nT{MODELS[n][0]} F{MODELS[n][1]} U{MODELS[n][2]}" for n in names])
    ax.set_ylabel("µs per sequence, batch 1, one thread (log)")
    ax.set_title("2-layer LSTM + Dense softmax: what each JVM gets by default")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
