"""Differential fuzzing of whole models against Keras (tests/fuzz_models/).

* the generator covers the README's layer table (or says why not), reproducibly;
* the CI profile: a fixed seed, ~36 random models (Keras 3 ``.keras`` / ``.h5`` and tf-keras
  ``.h5``), converted, compiled with one javac, run in one JVM and compared with Keras at 1e-5:
  no mismatch (after the float64 noise rule) and no crash;
* every shrunk regression case under tests/fuzz_models/regressions/ is replayed against Keras.

Long campaigns: ``python tests/fuzz_models --models 2000 --seed random`` (README, Testing).
"""
from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest

from fuzz_models import generator
from fuzz_models.runner import FORMATS, is_noise, run_batch, summarize
from fuzz_models.shrink import candidates, dead_code
from fuzz_models.spec import describe
from support.harness import KERNEL_OPTIONS

README = Path(__file__).resolve().parents[2] / "README.md"
REGRESSIONS = Path(__file__).resolve().parents[1] / "fuzz_models" / "regressions"
CI_SEED = 26_000
CI_MODELS = 36


def readme_layer_names() -> set:
    """Class names in the first column of the README's "Supported layers" table."""
    text = README.read_text("utf-8")
    section = text.split("## Supported layers", 1)[1].split("\n## ", 1)[0]
    names = set()
    for line in section.splitlines():
        if not line.startswith("| ") or line.startswith("| Layer |") or line.startswith("|---"):
            continue
        first = line.split("|")[1]
        names.update(re.findall(r"\b[A-Z][A-Za-z0-9]*[A-Z0-9a-z]\b", first))
    return names


def test_readme_layers_are_generated_or_excluded():
    names = readme_layer_names()
    assert {"LSTM", "Bidirectional", "Conv1D", "MultiHeadAttention"} <= names   # the parser finds the table
    missing = sorted(names - set(generator.GENERATED) - set(generator.EXCLUDED))
    assert not missing, f"README layers neither generated nor excluded (with a reason) by the fuzzer: {missing}"
    assert all(len(reason) > 20 for reason in generator.EXCLUDED.values())
    assert not set(generator.GENERATED) & set(generator.EXCLUDED)
    stale = sorted(set(generator.EXCLUDED) - names)
    assert not stale, f"exclusions for layers the README does not list: {stale}"


@pytest.mark.keras
@pytest.mark.slow
def test_generator_is_reproducible_and_covers_its_layers():
    specs = [generator.generate(seed) for seed in range(400, 600)]
    assert generator.generate(400) == specs[0]
    assert json.loads(json.dumps(specs[3])) == specs[3]
    seen = set()

    def walk(node):
        seen.add(node["class"])
        if node.get("inner"):
            walk(node["inner"])
        for c in node.get("cells", []):
            seen.add(c["class"])
        if len(node.get("cells", [])) > 1:
            seen.add("StackedRNNCells")
        for sub in node.get("layers", []):
            walk(sub)

    for s in specs:
        for n in s["nodes"]:
            walk(n)
    missing = set(generator.GENERATED) - seen - {"InputLayer"}
    assert not missing, f"never generated in 200 specs: {sorted(missing)}"
    assert any(s["sequential"] for s in specs)
    assert any(len(s["inputs"]) > 1 for s in specs) and any(len(s["outputs"]) > 1 for s in specs)
    assert any(n.get("share") for s in specs for n in s["nodes"])
    assert any(n.get("initial_state") for s in specs for n in s["nodes"])
    assert any(s["lengths"] for s in specs) and any(not s["lengths"] for s in specs)
    assert any(n["class"] == "Embedding" and n["config"]["mask_zero"] for s in specs for n in s["nodes"])
    # Reshape((-1, ...)) of a variable number of timesteps, also where only some lengths divide
    var_reshapes = [s for s in specs if s["lengths"] and any(
        n["class"] == "Reshape" and n["config"]["target_shape"][0] == -1 for n in s["nodes"])]
    assert var_reshapes and any(len(s["lengths"]) < len(generator.L_RANGE) for s in var_reshapes)


def test_noise_rule():
    k64 = [[np.array([1.0, 2.0, 3.0])]]
    k32 = [[np.array([1.0, 2.0, 3.0 + 3e-4])]]            # Keras float32 itself is 1e-4 (relative) off
    close = [[np.array([1.0, 2.0, 3.0 - 3e-4])]]          # Java as far off, the other way: noise
    far = [[np.array([1.0, 2.0 + 1e-3, 3.0])]]            # Java off where Keras is exact: a real mismatch
    assert is_noise(close, k32, k64)[0]
    assert not is_noise(far, k32, k64)[0]
    exact32 = [[np.array([1.0, 2.0, 3.0])]]
    assert not is_noise([[np.array([1.0, 2.0, 3.0 + 1e-4])]], exact32, k64)[0]


def _spec():
    return {"version": 1, "seed": 1, "sequential": False, "lengths": [6, 7],
            "inputs": [{"shape": [None, 3], "data": "float", "vocab": 0}, {"shape": [4], "data": "float", "vocab": 0}],
            "nodes": [{"id": "n0", "class": "LSTM", "config": {"units": 4, "return_sequences": True}, "in": ["x0"],
                       "out": ["n0"]},
                      {"id": "n1", "class": "Dense", "config": {"units": 3, "activation": "tanh"}, "in": ["n0"],
                       "out": ["n1"]},
                      {"id": "n2", "class": "Dense", "config": {"units": 2}, "in": ["x1"], "out": ["n2"]}],
            "outputs": ["n1", "n2"]}


def test_shrink_candidates():
    spec = _spec()
    pruned = dead_code(dict(spec, outputs=["n1"]))
    assert [n["id"] for n in pruned["nodes"]] == ["n0", "n1"] and len(pruned["inputs"]) == 1
    cands = candidates(spec)
    assert all(c != spec for c in cands)
    # dropping the second output removes its Dense and input x1
    assert any(len(c["inputs"]) == 1 and c["outputs"] == ["n1"] for c in cands)
    # bypassing the LSTM feeds the Dense from the input directly
    assert any([n["class"] for n in c["nodes"]] == ["Dense", "Dense"] for c in cands)
    assert any(c["nodes"][0]["config"]["units"] == 2 for c in cands)
    assert any(c["lengths"] == [6] for c in cands)
    assert "LSTM" in describe(spec)
    nested = _spec()
    nested["nodes"][1] = {"id": "n1", "class": "Sequential", "name": "sub", "in": ["n0"], "out": ["n1"],
                          "layers": [{"class": "Dense", "config": {"units": 4}},
                                     {"class": "RNN", "config": {}, "cells": [{"class": "GRUCell", "config": {"units": 3}}]}]}
    subs = [c["nodes"][1] for c in candidates(nested) if len(c["nodes"]) > 1 and c["nodes"][1]["id"] == "n1"]
    assert any(n["class"] == "Sequential" and len(n["layers"]) == 1 for n in subs)
    one = next(c for c in candidates(nested) if len(c["nodes"]) > 1 and c["nodes"][1].get("layers") == [
        {"class": "RNN", "config": {}, "cells": [{"class": "GRUCell", "config": {"units": 3}}]}])
    assert any(n["id"] == "n1" and n["class"] == "RNN" for c in candidates(one) for n in c["nodes"])  # unwrapped
    assert any(n["layers"][1]["cells"][0]["config"]["units"] == 1 for n in subs
               if n["class"] == "Sequential" and len(n["layers"]) == 2)


def _formats(i: int):
    return FORMATS if i % 4 == 0 else (FORMATS[i % 3],)


def _report(results) -> str:
    lines = [f"counts: {summarize(results)}"]
    for r in results:
        if r.cls in ("mismatch", "crash"):
            lines.append(f"{r.cls} model {r.index} {r.fmt}: {r.reason[:800]}\n{describe(r.spec)}")
    return "\n".join(lines)


@pytest.mark.keras
@pytest.mark.java
@pytest.mark.slow
def test_ci_profile(tmp_path):
    specs = [generator.generate(CI_SEED + i) for i in range(CI_MODELS)]
    results = run_batch(specs, tmp_path, _formats, n_samples=3)
    counts = summarize(results)
    print(_report(results))
    bad = [r for r in results if r.cls in ("mismatch", "crash")]
    assert not bad, _report(results)
    assert counts.get("ok", 0) >= len(results) // 2, _report(results)


@pytest.mark.keras
@pytest.mark.java
@pytest.mark.parametrize("kernels", sorted(set(KERNEL_OPTIONS) - {"auto"}))
def test_a_campaign_runs_its_models_with_the_kernels_it_names(tmp_path, kernels):
    """``--kernels K``: the campaign compiles the optional kernels (FMA, Vector API) in where K asks
    for them, and its JVM must use them (-Dkeras2java.kernels=... fails where they cannot run), so
    files that pass ran on them; the summary names the kernels."""
    from fuzz_models.campaign import main

    out = tmp_path / "campaign"
    assert main(["--models", "3", "--seed", str(CI_SEED), "--formats", "keras", "--kernels", kernels,
                 "--out", str(out), "--regressions", str(tmp_path / "reg")]) == 0
    summary = json.loads((out / "summary.json").read_text("utf-8"))
    assert summary["kernels"] == kernels
    assert summary["counts"].get("ok", 0) >= 2, summary
    assert not summary["counts"].get("mismatch") and not summary["counts"].get("crash"), summary


REGRESSION_FILES = sorted(REGRESSIONS.glob("*.json"))


@pytest.mark.keras
@pytest.mark.java
@pytest.mark.parametrize("path", REGRESSION_FILES, ids=lambda p: p.stem)
def test_regression(path, tmp_path, request):
    """A shrunk fuzzer failure; ``"status": "open"`` ones are known bugs (strict xfail: fixing
    one makes this fail until its status is changed to ``"fixed"``)."""
    record = json.loads(path.read_text("utf-8"))
    if record["status"] == "open":
        request.node.add_marker(pytest.mark.xfail(strict=True, reason=record["reason"][:200]))
    (res,) = run_batch([record["spec"]], tmp_path, lambda i: (record["format"],), n_samples=record["samples"],
                       kernels=record.get("kernels", "auto"))
    assert res.cls == record["expect"], f"{res.cls}: {res.reason[:1500]}\n{describe(record['spec'])}"


def test_shrink_reaches_a_minimal_failing_spec(monkeypatch, tmp_path):
    """Greedy shrinking against a fake oracle: 'fails' while a GRU with more than 1 unit is present."""
    from types import SimpleNamespace

    from fuzz_models import shrink as shrink_mod

    def fake_run_batch(specs, workdir, formats_for, n_samples=3, kernels="auto"):
        out = []
        for s in specs:
            bad = any(n["class"] == "GRU" and n["config"]["units"] > 1 for n in s["nodes"])
            out.append(SimpleNamespace(spec=s, cls="mismatch" if bad else "ok", reason="max error 1", fmt="keras"))
        return out

    monkeypatch.setattr(shrink_mod, "run_batch", fake_run_batch)
    spec = _spec()
    spec["nodes"].insert(1, {"id": "n5", "class": "GRU", "config": {"units": 6, "return_sequences": True,
                                                                    "activation": "relu"},
                             "in": ["n0"], "out": ["n5"]})
    spec["nodes"][2]["in"] = ["n5"]
    start = SimpleNamespace(spec=spec, cls="mismatch", reason="max error 1", fmt="keras", samples=[1, 2])
    best, _ = shrink_mod.shrink(start, tmp_path)
    assert [n["class"] for n in best["nodes"]] == ["GRU"]
    assert best["nodes"][0]["config"]["units"] == 2 and best["nodes"][0]["config"]["activation"] == "linear"
    assert best["inputs"] == [{"shape": [None, 1], "data": "float", "vocab": 0}] and best["lengths"] == [6]
    assert best["outputs"] == ["n5"]
