"""Reader for legacy HDF5 full-model files (``model.save('m.h5')``) written by
Keras 3, tf.keras / tf-keras 2.x and standalone Keras 2.

Layout (tf-keras ``saving/legacy/hdf5_format.py``): root attributes
``keras_version``, ``backend`` and ``model_config`` (JSON); group
``model_weights`` with attribute ``layer_names``; one group per layer with
attribute ``weight_names``, each a dataset path relative to the layer group.
"""
from __future__ import annotations

import json
from typing import Any, Optional

import h5py

from ..errors import ModelFileError
from ..ir import SourceInfo
from . import h5util
from .config import parse_model_config
from .keras3 import major_version
from .legacy_keras import merge_sequential_config, normalize_model
from .raw import RawModel, RawWeight


def read_layer_weights(group: Any, layer_name: str, where: str) -> tuple[RawWeight, ...]:
    """The weights of one layer group, in ``weight_names`` order."""
    names = h5util.attr_str_list(group, "weight_names", where)
    if names is None:
        raise ModelFileError(f"weights group {where!r} has no 'weight_names' attribute")
    out = []
    for wname in names:
        ds = h5util.child(group, wname, f"{where}/{wname}")
        out.append(RawWeight(wname, h5util.read_dataset(ds, f"{where}/{wname}")))
    return tuple(out)


def _prefixed(everything: tuple[RawWeight, ...], prefix: str):
    """``weights_for`` over the weights of a nested model, all stored in the
    nested model's group.  tf-keras names them ``<layer>/...`` after the layer
    that owns them (also for layers of models nested deeper: their names are
    unique); Keras 3 names them by path, ``<nested model>/<layer>/...``."""
    def inner(index: int, name: str, class_name: str) -> tuple[RawWeight, ...]:
        return tuple(w for w in everything if w.name.startswith(f"{prefix}{name}/"))

    def nested(index: int, name: str):
        deeper = f"{prefix}{name}/"
        if any(w.name.startswith(deeper) for w in everything):   # Keras 3: one more path segment
            return _prefixed(everything, deeper)
        # Keras 3, a model nested in a Sequential: the path starts with the Sequential's own
        # name (``<outer>/<nested model>/<layer>/...``)
        for w in everything:
            parts = w.name[len(prefix):].split("/") if w.name.startswith(prefix) else []
            if len(parts) > 2 and parts[1] == name:
                return _prefixed(everything, f"{prefix}{parts[0]}/{name}/")
        return inner

    inner.nested = nested  # type: ignore[attr-defined]
    return inner


def weights_lookup(weights_root: Any, where: str):
    """A ``weights_for`` callback over a ``model_weights``-style group."""
    layer_names = h5util.attr_str_list(weights_root, "layer_names", where)
    if layer_names is None:
        raise ModelFileError(f"{where} has no 'layer_names' attribute")
    stored = set(layer_names)

    def weights_for(index: int, name: str, class_name: str) -> tuple[RawWeight, ...]:
        if name not in stored:
            return ()
        group = h5util.child(weights_root, name, f"{where}/{name}")
        if not isinstance(group, h5py.Group):
            raise ModelFileError(f"{where}/{name} is not a group")
        return read_layer_weights(group, name, f"{where}/{name}")

    def nested(index: int, name: str):
        """A nested model is one group whose weight_names start with its layers' names
        (tf-keras) or with its own name and then its layers' names (Keras 3)."""
        return _prefixed(weights_for(index, name, ""), "").nested(index, name)

    weights_for.nested = nested  # type: ignore[attr-defined]
    return weights_for, layer_names


def read_legacy_h5(path: str, h5: Any, sha256: str) -> RawModel:
    model_config = h5util.attr_str(h5, "model_config", "/")
    version = h5util.attr_str(h5, "keras_version", "/") or ""
    if model_config is None:
        raise ModelFileError(f"{path}: HDF5 file without 'model_config' attribute")
    try:
        config = json.loads(model_config)
    except (json.JSONDecodeError, RecursionError) as exc:
        raise ModelFileError(f"{path}: the model_config attribute is not valid JSON ({exc})") from None
    if not h5util.has(h5, "model_weights"):
        raise ModelFileError(f"{path}: HDF5 model file has no 'model_weights' group")
    root = h5util.child(h5, "model_weights", "model_weights")
    weights_for, _ = weights_lookup(root, "model_weights")
    source = SourceInfo(path=path, sha256=sha256, format="legacy-h5", keras_version=version,
                        keras_major=major_version(version, default=2))
    raw = parse_model_config(merge_sequential_config(config), weights_for, source, what=f"{path}: model_config")
    return normalize_model(raw, version, "keras1-h5" if source.keras_major <= 1 else None, backend_of(h5))


def backend_of(h5: Any) -> Optional[str]:
    """The ``backend`` attribute of a legacy file (root or ``model_weights``), if any."""
    for group in (h5, h5.get("model_weights") if hasattr(h5, "get") else None):
        if group is None:
            continue
        v = group.attrs.get("backend")
        if v is not None:
            return v.decode("utf8") if isinstance(v, bytes) else str(v)
    return None
