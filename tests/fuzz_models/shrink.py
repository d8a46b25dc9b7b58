"""Greedy shrinking of a failing spec to a minimal regression case.

Each round builds every one-step reduction of the current spec (drop an output, bypass
or drop a layer, unwrap a nested model, drop an unused input, reduce units / filters /
feature sizes / timesteps, make an activation linear), runs them all as one batch (one
javac, one JVM) and keeps the first one that still fails the same way.  It stops when no
reduction fails any more (or after ``max_rounds``).
"""
from __future__ import annotations

import copy
import json
from pathlib import Path

from .runner import run_batch

SIZE_KEYS = ("units", "filters", "output_dim", "num_heads", "key_dim", "value_dim", "depth_multiplier", "n")


def _refs(spec: dict) -> set:
    used = set(spec["outputs"])
    for n in spec["nodes"]:
        used.update(n["in"])
    return used


def dead_code(spec: dict) -> dict:
    """Drop nodes no output depends on, and unused inputs (renumbering them)."""
    spec = copy.deepcopy(spec)
    if spec.get("sequential"):
        return spec
    needed = set(spec["outputs"])
    keep = []
    for n in reversed(spec["nodes"]):
        if any(o in needed for o in n["out"]):
            keep.append(n)
            needed.update(n["in"])
    keep.reverse()
    kept_ids = {n["id"] for n in keep}
    for n in keep:   # a sharer whose owner is gone owns its layer now
        if n.get("share") and n["share"] not in kept_ids:
            del n["share"]
    spec["nodes"] = keep
    used_inputs = [i for i in range(len(spec["inputs"])) if f"x{i}" in needed]
    rename = {f"x{old}": f"x{new}" for new, old in enumerate(used_inputs)}
    spec["inputs"] = [spec["inputs"][i] for i in used_inputs]
    for n in spec["nodes"]:
        n["in"] = [rename.get(t, t) for t in n["in"]]
    spec["outputs"] = [rename.get(t, t) for t in spec["outputs"]]
    if not any(inp["shape"] and inp["shape"][0] is None for inp in spec["inputs"]):
        spec["lengths"] = []
    return spec


def _replace(spec: dict, old: str, new: str) -> None:
    for n in spec["nodes"]:
        n["in"] = [new if t == old else t for t in n["in"]]
    spec["outputs"] = [new if t == old else t for t in spec["outputs"]]


def _sizes(cfg: dict):
    for key in SIZE_KEYS:
        v = cfg.get(key)
        if isinstance(v, int) and not isinstance(v, bool) and v > 1:
            yield key, v


def _config_paths(node: dict, prefix: tuple = ()):
    """Paths to every config dict of a node: its own, a wrapped layer's, cells', nested layers'."""
    if "config" in node:
        yield prefix + ("config",)
    if node.get("inner"):
        yield from _config_paths(node["inner"], prefix + ("inner",))
    for j, cell in enumerate(node.get("cells", [])):
        yield prefix + ("cells", j, "config")
    for j, sub in enumerate(node.get("layers", [])):
        yield from _config_paths(sub, prefix + ("layers", j))


def candidates(spec: dict) -> list:
    out = []

    def add(s):
        s = dead_code(s)
        if s["nodes"] and s["outputs"] and all(not o.startswith("x") for o in s["outputs"]) and s != spec:
            out.append(s)

    if len(spec["outputs"]) > 1:
        for i in range(len(spec["outputs"])):
            s = copy.deepcopy(spec)
            del s["outputs"][i]
            add(s)
    for idx, node in enumerate(spec["nodes"]):
        for src in dict.fromkeys(node["in"]):
            s = copy.deepcopy(spec)
            for o in node["out"]:
                _replace(s, o, src)
            del s["nodes"][idx]
            for n in s["nodes"]:
                if n.get("share") == node["id"]:
                    del n["share"]
            add(s)
        if node["class"] == "Sequential":
            for j in range(len(node["layers"])):
                s = copy.deepcopy(spec)
                if len(node["layers"]) == 1:
                    sub = s["nodes"][idx]["layers"][0]
                    s["nodes"][idx] = dict(sub, id=node["id"], **{"in": node["in"], "out": node["out"]})
                else:
                    del s["nodes"][idx]["layers"][j]
                add(s)
        if node["class"] == "RNN" and len(node["cells"]) > 1:
            for j in range(len(node["cells"])):
                s = copy.deepcopy(spec)
                del s["nodes"][idx]["cells"][j]
                add(s)
    for idx, node in enumerate(spec["nodes"]):
        for path in _config_paths(node):
            cfg = node
            for p in path:
                cfg = cfg[p]
            for key, v in _sizes(cfg):
                for smaller in dict.fromkeys((1 if v <= 2 else v // 2, v - 1)):
                    s = copy.deepcopy(spec)
                    c = s["nodes"][idx]
                    for p in path:
                        c = c[p]
                    c[key] = smaller
                    add(s)
            for key in ("activation", "recurrent_activation"):
                if cfg.get(key) not in (None, "linear"):
                    s = copy.deepcopy(spec)
                    c = s["nodes"][idx]
                    for p in path:
                        c = c[p]
                    c[key] = "linear"
                    add(s)
    for i, inp in enumerate(spec["inputs"]):
        for d, size in enumerate(inp["shape"]):
            if size is not None and size > 1:
                for smaller in dict.fromkeys((size // 2, size - 1)):
                    s = copy.deepcopy(spec)
                    s["inputs"][i]["shape"][d] = smaller
                    add(s)
    if len(spec.get("lengths", [])) > 1:
        s = copy.deepcopy(spec)
        s["lengths"] = s["lengths"][:1]
        add(s)
    return out


def same_failure(a, cls: str, kind: str) -> bool:
    return a.cls == cls and (cls != "crash" or a.reason.split(":")[0] == kind)


def shrink(res, workdir: Path, max_rounds: int = 25, per_round: int = 24, kernels: str = "auto"):
    """The smallest spec found that still fails like ``res`` (and its result)."""
    kind = res.reason.split(":")[0]
    best, best_res = res.spec, res
    for rnd in range(max_rounds):
        cands = candidates(best)[:per_round]
        if not cands:
            break
        for n, c in enumerate(cands):
            c["seed"] = best["seed"]
        results = run_batch(cands, Path(workdir) / f"round{rnd}", lambda i: (res.fmt,), n_samples=len(res.samples),
                            kernels=kernels)
        hit = next((r for r in results if same_failure(r, res.cls, kind)), None)
        if hit is None:
            break
        best, best_res = hit.spec, hit
    return best, best_res


def shrink_and_save(res, workdir: Path, regressions: Path, kernels: str = "auto") -> Path:
    spec, final = shrink(res, workdir, kernels=kernels)
    regressions.mkdir(parents=True, exist_ok=True)
    name = f"{final.cls}_{final.fmt}_{spec['seed']}.json"
    record = {"format": final.fmt, "class": final.cls, "reason": final.reason[:1500], "error": final.error,
              "samples": len(res.samples), "expect": "ok", "status": "open", "spec": spec}
    if kernels != "auto":
        record["kernels"] = kernels
    path = regressions / name
    path.write_text(json.dumps(record, indent=1) + "\n")
    return path
