"""Model specs: a JSON-serialisable description of a random model, and how to
build it with Keras 3 (``keras``) or tf-keras (``tf_keras``).

A spec is a dict::

    {"version": 1, "seed": 7, "sequential": false,
     "inputs": [{"shape": [null, 4], "data": "float" | "padded" | "tokens", "vocab": 12}],
     "nodes": [{"id": "n0", "class": "LSTM", "config": {...}, "in": ["x0"], "out": ["n0"],
                "call": {...}, "share": "n2", "inner": {...}, "cells": [...], "layers": [...]}],
     "outputs": ["n0", ...],
     "lengths": [8, 9, ...]}      # allowed lengths of the (shared) variable timestep axis

``inner`` is the wrapped layer of Bidirectional / TimeDistributed, ``cells`` the cells of
``RNN`` (two or more are a StackedRNNCells), ``layers`` the layers of a nested Sequential,
``share`` reuses the layer object of an earlier node (a shared layer); ``initial_state``
(true) passes ``in[1:]`` as the initial states of a recurrent layer.
"""
from __future__ import annotations

import copy

SPEC_VERSION = 1

#: Layers taking a list of tensors.
LIST_INPUT = {"Concatenate", "Add", "Subtract", "Multiply", "Average", "Maximum", "Minimum", "Dot",
              "Attention", "AdditiveAttention"}

#: Config keys spelled differently by tf-keras.
TF_KERAS_RENAMES = {("LeakyReLU", "negative_slope"): "alpha"}


class NotBuildable(Exception):
    """This Keras flavour cannot build the spec (class or option missing)."""


def _config(k, cls: str, config: dict) -> dict:
    cfg = copy.deepcopy(config)
    if k.__name__.startswith("tf_keras"):
        for (c, key), new in TF_KERAS_RENAMES.items():
            if c == cls and key in cfg:
                cfg[new] = cfg.pop(key)
    return cfg


def build_layer(k, node: dict):
    cls = node["class"]
    if cls == "Sequential":
        return k.Sequential([build_layer(k, sub) for sub in node["layers"]], name=node.get("name"))
    if cls in ("Bidirectional", "TimeDistributed"):
        inner = build_layer(k, node["inner"])
        return getattr(k.layers, cls)(inner, **_config(k, cls, node.get("config", {})))
    if cls == "RNN":
        cells = [getattr(k.layers, c["class"])(**_config(k, c["class"], c["config"])) for c in node["cells"]]
        cell = cells[0] if len(cells) == 1 else k.layers.StackedRNNCells(cells)
        return k.layers.RNN(cell, **node.get("config", {}))
    layer_cls = getattr(k.layers, cls, None)
    if layer_cls is None:
        raise NotBuildable(f"{k.__name__} has no layer {cls}")
    try:
        return layer_cls(**_config(k, cls, node.get("config", {})))
    except (TypeError, ValueError) as exc:
        raise NotBuildable(f"{k.__name__} {cls}: {exc}") from exc


def apply_layer(layer, node: dict, args: list):
    cls = node["class"]
    call = dict(node.get("call", {}))
    if cls in LIST_INPUT:
        result = layer(list(args), **call)
    elif cls in ("MultiHeadAttention", "GroupQueryAttention"):
        result = layer(*args, **call)
    elif node.get("initial_state"):      # recurrent layer: args[1:] are its initial states
        result = layer(args[0], initial_state=list(args[1:]), **call)
    else:
        result = layer(args[0], **call)
    outs = list(result) if isinstance(result, (list, tuple)) else [result]
    if len(outs) != len(node["out"]):
        raise ValueError(f"{node['id']}: {len(outs)} outputs, spec has {len(node['out'])}")
    return outs


def build(spec: dict, k):
    """The spec's model, built with the Keras module ``k`` (keras or tf_keras)."""
    inputs = [k.Input(shape=tuple(inp["shape"]), name=f"x{i}") for i, inp in enumerate(spec["inputs"])]
    if spec.get("sequential"):
        return k.Sequential([inputs[0]] + [build_layer(k, n) for n in spec["nodes"]], name="fuzz")
    tensors = {f"x{i}": t for i, t in enumerate(inputs)}
    layers = {}
    for node in spec["nodes"]:
        layer = layers[node["share"]] if node.get("share") else build_layer(k, node)
        layers[node["id"]] = layer
        outs = apply_layer(layer, node, [tensors[name] for name in node["in"]])
        tensors.update(zip(node["out"], outs))
    return k.Model(inputs, [tensors[o] for o in spec["outputs"]], name="fuzz")


def describe(spec: dict) -> str:
    """One line per node, for logs and reports."""
    lines = [f"inputs: " + ", ".join(f"x{i}{tuple(inp['shape'])}:{inp['data']}" for i, inp in enumerate(spec["inputs"]))]
    for n in spec["nodes"]:
        what = n["class"]
        if n.get("inner"):
            what += f"({n['inner']['class']} {n['inner'].get('config', {})})"
        if n.get("cells"):
            what += "(" + ", ".join(f"{c['class']} {c['config']}" for c in n["cells"]) + ")"
        if n.get("layers"):
            what += "[" + "; ".join(f"{s['class']} {s.get('config', {})}" for s in n["layers"]) + "]"
        share = f" shares {n['share']}" if n.get("share") else ""
        lines.append(f"{','.join(n['out'])} = {what} {n.get('config', {}) if not n.get('inner') else ''}"
                     f"{n.get('call') or ''}{share} <- {','.join(n['in'])}")
    lines.append(f"outputs: {spec['outputs']}{' (Sequential)' if spec.get('sequential') else ''}")
    return "\n".join(lines)
