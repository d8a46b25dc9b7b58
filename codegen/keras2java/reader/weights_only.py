"""Weights-only HDF5 files combined with an architecture JSON.

Three layouts:

* Keras 2 / tf-keras ``model.save_weights("w.h5")``: the ``model_weights``
  layout at the file root (attribute ``layer_names``, one group per layer with
  ``weight_names``); the architecture is ``model.to_json()``.
* Keras 3 ``model.save_weights("m.weights.h5")``: the ``.keras`` weights layout
  (``layers/<snake_case(class)>/vars/i``); the architecture is Keras 3's
  ``model.to_json()`` (the same JSON as ``config.json`` in a ``.keras`` file).
* Keras 0.x ``model.save_weights``: root attribute ``nb_layers``, groups
  ``layer_k`` with datasets ``param_p``; the architecture is Keras 0.x
  ``to_json`` (``{"name": "Sequential", "layers": [...]}``) or a Keras 1/2 JSON.

Keras 0.x/1.x layouts and configs are translated by :mod:`.legacy_keras`.
"""
from __future__ import annotations

import json
import os
from typing import Any

import h5py
import numpy as np

from ..errors import ModelFileError
from ..ir import SourceInfo
from . import h5util
from .config import parse_model_config
from .keras3 import major_version, parse_keras3_config
from .legacy_h5 import weights_lookup
from .legacy_keras import is_keras0_json, keras0_to_keras1, merge_sequential_config, normalize_model
from .raw import RawModel, RawWeight

MAX_ARCHITECTURE_BYTES = 64 << 20


def load_architecture(architecture: str) -> Any:
    if not os.path.isfile(architecture):
        raise ModelFileError(f"{architecture}: no such architecture file")
    if os.path.getsize(architecture) > MAX_ARCHITECTURE_BYTES:
        raise ModelFileError(f"{architecture}: architecture JSON over {MAX_ARCHITECTURE_BYTES} bytes")
    try:
        with open(architecture, "rb") as fh:
            config = json.loads(fh.read().decode("utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        raise ModelFileError(f"{architecture}: not a valid architecture JSON ({exc})") from None
    if not isinstance(config, dict) or ("class_name" not in config and not is_keras0_json(config)):
        raise ModelFileError(f"{architecture}: not a Keras architecture JSON (expected the output of model.to_json())")
    return config


def read_weights_only(path: str, h5: Any, sha256: str, architecture: str) -> RawModel:
    config = load_architecture(architecture)
    keras0_json = is_keras0_json(config)
    if keras0_json:
        config = keras0_to_keras1(config, architecture)
    json_version = config.get("keras_version") if isinstance(config.get("keras_version"), str) else ""
    file_version = h5util.attr_str(h5, "keras_version", "/") or ""
    version = file_version or json_version
    if "layer_names" in h5.attrs:
        weights_for, _ = weights_lookup(h5, "/")
        major = 1 if keras0_json and not version else major_version(version, default=2)
        source = SourceInfo(path=path, sha256=sha256, format="weights-h5+json", keras_version=version,
                            keras_major=major)
        raw = parse_model_config(merge_sequential_config(config), weights_for, source, what=f"{architecture}")
        return normalize_model(raw, version, "keras1-weights-h5+json" if major <= 1 else None)
    if "nb_layers" in h5.attrs:
        # Keras 0.x save_weights: the architecture JSON decides the config keys;
        # the weights follow Keras 0.x layer.get_weights() order.
        major = major_version(json_version, default=1) if json_version else 1
        source = SourceInfo(path=path, sha256=sha256, format="keras0-weights-h5+json", keras_version=json_version,
                            keras_major=min(major, 2))
        raw = parse_model_config(config, keras0_weights_lookup(h5, config, path), source, what=f"{architecture}")
        return normalize_model(raw, json_version or "1.0", "keras0-weights-h5+json")
    if h5util.has(h5, "layers") or h5util.has(h5, "vars"):
        source = SourceInfo(path=path, sha256=sha256, format="keras-v3-weights-h5+json", keras_version=version,
                            keras_major=major_version(version, default=3))
        return parse_keras3_config(config, h5, source, architecture)
    raise ModelFileError(f"{path}: not a Keras weights file (no layer_names attribute and no 'layers' group)")


def _attr_int(obj: Any, name: str, where: str) -> int:
    try:
        value = obj.attrs[name]
    except Exception as exc:
        raise ModelFileError(f"cannot read attribute {name!r} of {where!r}: {exc}") from None
    arr = np.asarray(value)
    if arr.size != 1 or arr.dtype.kind not in "iu":
        raise ModelFileError(f"attribute {name!r} of {where!r} is not an integer")
    n = int(arr.reshape(()))
    if n < 0 or n > 1_000_000:
        raise ModelFileError(f"attribute {name!r} of {where!r} is {n}, out of range")
    return n


def keras0_weights_lookup(h5: Any, config: Any, path: str):
    """``weights_for`` over a Keras 0.x ``save_weights`` file (Keras 0.3.3
    ``models.py``): root attribute ``nb_layers``; group ``layer_{k}`` per entry
    of ``model.layers`` with attribute ``nb_params`` and datasets ``param_{p}``.
    ``model.layers`` of a Sequential model has no InputLayer."""
    nb_layers = _attr_int(h5, "nb_layers", "/")
    inner = config.get("config") if isinstance(config, dict) else None
    layer_dicts = inner if isinstance(inner, list) else (inner or {}).get("layers", []) if isinstance(inner, dict) else []
    sequential = config.get("class_name") == "Sequential"
    slots: dict[int, int] = {}
    k = 0
    for i, ld in enumerate(layer_dicts if isinstance(layer_dicts, list) else []):
        if sequential and isinstance(ld, dict) and ld.get("class_name") == "InputLayer":
            continue
        slots[i] = k
        k += 1
    if k != nb_layers:
        raise ModelFileError(f"{path}: the weights file holds {nb_layers} layers (nb_layers) but the architecture "
                             f"has {k}; they do not belong together")

    def weights_for(index: int, name: str, class_name: str) -> tuple[RawWeight, ...]:
        if index not in slots:
            return ()
        where = f"layer_{slots[index]}"
        group = h5util.child(h5, where, where)
        if not isinstance(group, h5py.Group):
            raise ModelFileError(f"{path}: {where} is not a group")
        n = _attr_int(group, "nb_params", where) if "nb_params" in group.attrs else len(group.keys())
        out = []
        for p in range(n):
            ds = h5util.child(group, f"param_{p}", f"{where}/param_{p}")
            out.append(RawWeight(f"{where}/param_{p}", h5util.read_dataset(ds, f"{where}/param_{p}")))
        return tuple(out)

    return weights_for
