"""Artifact size and accuracy of ``--weights-storage`` on the benchmark models.

    python benchmarks/weights_storage.py [--samples N] [--models small,medium,large]

Builds the three benchmark models with Keras (the LSTM models of benchmarks/run.py:
2-layer LSTM + Dense softmax, random weights), converts each with every weights
storage (float32, float16, bfloat16, int8; resource weights), compiles and runs
the Java on random inputs in one JVM, and compares with Keras' own predictions.
Prints a Markdown table (and writes benchmarks/results/weights_storage.md):
the weights resource size, the jar size (deflated: model classes, runtime,
weights), the max error |java - keras| / max(1, |keras|) and the tolerance the
generated golden test and ``keras2java verify`` apply for that storage.
"""
from __future__ import annotations

import argparse
import io
import os
import sys
import tempfile
import zipfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(REPO / "codegen"))
sys.path.insert(0, str(REPO / "tests"))
sys.path.insert(0, str(HERE))

STORAGES = ("float32", "float16", "bfloat16", "int8")


def jar_bytes(classes: Path, package_dir: Path, runtime_dir: Path, resource: Path) -> int:
    """Size of a jar holding the model's classes, the runtime classes and the weights."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for d in (package_dir, runtime_dir):
            for p in sorted(d.rglob("*.class")):
                z.write(p, p.relative_to(classes).as_posix())
        z.write(resource, resource.name)
    return len(buf.getvalue())


def measure(names: list[str], samples: int, work: Path) -> list[dict]:
    import numpy as np

    import run as bench
    from keras2java.emit import runtime_package
    from keras2java.emit.weights import storage_tolerance
    from support.harness import JavaBatch, max_error

    models = bench.build_models(work)
    batch = JavaBatch(work / "java")
    rows = []
    for name in names:
        m, path = models[name]
        t, f, _, _ = bench.MODELS[name]
        x = np.random.default_rng(7).uniform(-1, 1, (samples, t, f)).astype("float32")
        expected = m.predict(x, verbose=0)
        sample_list = [[x[i]] for i in range(samples)]
        exp_list = [[expected[i]] for i in range(samples)]
        for storage in STORAGES:
            case = batch.add(f"{name}/{storage}", str(path), sample_list, exp_list, package=f"ws.{name}.{storage}",
                             class_name="Model", weights="resource", weights_storage=storage)
            rows.append({"model": name, "storage": storage, "case": case, "params": m.count_params()})
    batch.run()
    classes = work / "java" / "classes"
    rt_dir = classes / Path(*runtime_package().split("."))
    for r in rows:
        case = r.pop("case")
        assert case.convert_error is None and case.compile_error is None and case.run_error is None, case
        err = max(max_error(got[0], exp[0]) for got, exp in zip(case.outputs, case.expected))
        pkg = Path(*f"ws.{r['model']}.{r['storage']}".split("."))
        resource = work / "java" / "src" / pkg / "Model.weights"
        r.update(weights_bytes=resource.stat().st_size,
                 jar_bytes=jar_bytes(classes, classes / pkg, rt_dir, resource),
                 max_error=err, tolerance=storage_tolerance(r["storage"]))
    return rows


def table(rows: list[dict], samples: int) -> str:
    lines = [f"Max error over {samples} random inputs per model, |java - keras| / max(1, |keras|), against "
             "Keras' own predictions; the jar holds the model classes, the runtime and the weights (deflated).",
             "",
             "| model | parameters | storage | weights file | jar | max error | tolerance |",
             "|---|---:|---|---:|---:|---:|---:|"]
    for r in rows:
        lines.append(f"| {r['model']} | {r['params']:,} | {r['storage']} | {r['weights_bytes'] / 1024:,.0f} KiB "
                     f"| {r['jar_bytes'] / 1024:,.0f} KiB | {r['max_error']:.1e} | {r['tolerance']:.1e} |")
    return "\n".join(lines) + "\n"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--samples", type=int, default=50, help="random inputs per model (default 50)")
    ap.add_argument("--models", default="small,medium,large", help="comma-separated (default small,medium,large)")
    args = ap.parse_args()
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    with tempfile.TemporaryDirectory(prefix="k2j-storage-") as tmp:
        rows = measure(args.models.split(","), args.samples, Path(tmp))
    text = table(rows, args.samples)
    out = HERE / "results" / "weights_storage.md"
    out.parent.mkdir(exist_ok=True)
    out.write_text(text)
    print(text)


if __name__ == "__main__":
    main()
