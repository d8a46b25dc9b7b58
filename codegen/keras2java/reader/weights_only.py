"""Weights-only HDF5 files combined with an architecture JSON.

Two layouts:

* Keras 2 / tf-keras ``model.save_weights("w.h5")``: the ``model_weights``
  layout at the file root (attribute ``layer_names``, one group per layer with
  ``weight_names``); the architecture is ``model.to_json()``.
* Keras 3 ``model.save_weights("m.weights.h5")``: the ``.keras`` weights layout
  (``layers/<snake_case(class)>/vars/i``); the architecture is Keras 3's
  ``model.to_json()`` (the same JSON as ``config.json`` in a ``.keras`` file).
"""
from __future__ import annotations

import json
import os
from typing import Any

from ..errors import ModelFileError
from ..ir import SourceInfo
from . import h5util
from .config import parse_model_config
from .keras3 import major_version, parse_keras3_config
from .legacy_h5 import weights_lookup
from .raw import RawModel

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
    if not isinstance(config, dict) or "class_name" not in config:
        raise ModelFileError(f"{architecture}: not a Keras architecture JSON (expected the output of model.to_json())")
    return config


def read_weights_only(path: str, h5: Any, sha256: str, architecture: str) -> RawModel:
    config = load_architecture(architecture)
    json_version = config.get("keras_version") if isinstance(config.get("keras_version"), str) else ""
    file_version = h5util.attr_str(h5, "keras_version", "/") or ""
    version = file_version or json_version
    if "layer_names" in h5.attrs:
        weights_for, _ = weights_lookup(h5, "/")
        source = SourceInfo(path=path, sha256=sha256, format="weights-h5+json", keras_version=version,
                            keras_major=major_version(version, default=2))
        return parse_model_config(config, weights_for, source, what=f"{architecture}")
    if h5util.has(h5, "layers") or h5util.has(h5, "vars"):
        source = SourceInfo(path=path, sha256=sha256, format="keras-v3-weights-h5+json", keras_version=version,
                            keras_major=major_version(version, default=3))
        return parse_keras3_config(config, h5, source, architecture)
    raise ModelFileError(f"{path}: not a Keras weights file (no layer_names attribute and no 'layers' group)")
