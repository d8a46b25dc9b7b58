"""Older Keras generations, translated into the Keras 2 form the converters read.

Keras 0.x, 1.x and 2.0-2.2 wrote models that differ from today's in config
keys, weight layouts and defaults.  Rather than teaching every converter each
generation, the readers hand their :class:`RawModel` to :func:`normalize_model`,
which dispatches each layer to the Keras 1/2 upgrade hook its op family
registered beside its converters (:func:`keras2java.ops.base.legacy_upgrade`:
recurrent layers and cuDNN weights in :mod:`keras2java.ops.recurrent_legacy`,
convolutions and Theano kernels in :mod:`keras2java.ops.conv_legacy`, Dense,
Dropout, Embedding and Merge with their converters) and records, for
``keras2java inspect``, how every stored tensor maps to a gate and role
(``SourceInfo.weight_map``).

What stays here is what belongs to no layer:

* Keras 0.x architecture JSON (``{"name": "Sequential", "layers": [...]}``).
* Keras 1 ``input_dim`` / ``input_length`` / ``input_shape`` of the first layer ->
  ``batch_input_shape`` for layers without a hook (:func:`keras2java.ops.legacy.keras1_input_shape`).
* A Sequential model whose first layer is a ``Merge`` of Sequential branches
  (Keras 1.x and 2.0-2.1 ``Sequential([Merge([model_a, model_b], mode=...), ...])``;
  2.0.8 ``keras/models.py`` ``Sequential.get_config`` / ``legacy_from_config``,
  ``keras/legacy/layers.py``): the Merge config holds each branch's config
  under ``layers``; :func:`merge_sequential_config` rewrites it as the
  equivalent Functional config (one input per branch, named ``<first
  layer>_input`` as Keras named them, the branches chained, the Merge fed by
  their outputs, the following layers chained after it).  The weights are
  stored per layer name (``legacy_sequential_layers``: the branches' layers,
  then the layers after the Merge), so they are found as in any model.
* Nested models: their layers are upgraded like the model's.
"""
from __future__ import annotations

import re
from dataclasses import replace
from typing import Any, Mapping, Optional

from .. import ops  # noqa: F401  (registers the op families' upgrade hooks)
from ..errors import ModelFileError
from ..ops.base import upgrade_hook
from ..ops.legacy import UpgradeContext, keras1_input_shape
from .raw import RawLayer, RawModel, freeze

#: Human-readable names of the formats, shown by ``inspect``.
FORMAT_TEXT = {
    "keras1-h5": "Keras 1.x save_model .h5 (model_config with Keras 1 keys)",
    "keras1-weights-h5+json": "Keras 1.x save_weights .h5 + to_json architecture",
    "keras0-weights-h5+json": "Keras 0.x save_weights .h5 (nb_layers / layer_k / param_p) + architecture JSON",
}


def detected_text(source) -> Optional[str]:
    """What ``inspect`` says about the Keras generation that wrote the file."""
    if source.format in FORMAT_TEXT:
        return FORMAT_TEXT[source.format]
    v = parse_version(source.keras_version)
    if v is not None and v[0] == 2 and v < (2, 3) and source.format in ("legacy-h5", "weights-h5+json"):
        return (f"Keras {v[0]}.{v[1]} file: a missing recurrent_activation means hard_sigmoid, "
                "a missing GRU reset_after means False (checked against the bias shape)")
    return None


def parse_version(version: str) -> Optional[tuple[int, int]]:
    m = re.match(r"\s*(\d+)\.(\d+)", version or "")
    return (int(m.group(1)), int(m.group(2))) if m else None


# -- Keras 0.x architecture JSON ---------------------------------------------------
def is_keras0_json(config: Any) -> bool:
    """Keras 0.x ``to_json``: ``{"name": "Sequential", "layers": [{"name": "LSTM", ...}]}``
    (Keras 0.3.3 ``containers.Sequential.get_config``: ``name`` is the class)."""
    return (isinstance(config, Mapping) and "class_name" not in config
            and isinstance(config.get("name"), str) and isinstance(config.get("layers"), list))


def keras0_to_keras1(config: Mapping[str, Any], what: str) -> dict:
    """Rewrite a Keras 0.x Sequential JSON into the Keras 1 ``model_config`` form.
    Layers get Keras 1 style names (``lstm_1``, ``dense_1``, ...)."""
    if config.get("name") != "Sequential":
        raise ModelFileError(f"{what}: Keras 0.x {config.get('name')!r} models are not supported "
                             "(only Sequential; Graph models cannot be converted)")
    counts: dict[str, int] = {}
    layers = []
    for i, layer in enumerate(config["layers"]):
        if not isinstance(layer, Mapping) or not isinstance(layer.get("name"), str):
            raise ModelFileError(f"{what}: layer #{i} is not a Keras 0.x layer config (no class 'name')")
        cls = layer["name"]
        cfg = {k: v for k, v in layer.items() if k != "name"}
        # Keras 1 ``topology._to_snake_case``: LSTM -> lstm, SimpleRNN -> simple_rnn
        snake = re.sub("([a-z0-9])([A-Z])", r"\1_\2", re.sub("(.)([A-Z][a-z]+)", r"\1_\2", cls)).lower()
        counts[snake] = counts.get(snake, 0) + 1
        cfg["name"] = f"{snake}_{counts[snake]}"
        layers.append({"class_name": cls, "config": cfg})
    return {"class_name": "Sequential", "config": layers}


def _layer_list(cfg: Any) -> Optional[list]:
    """A Sequential config's layer list: a bare list (Keras < 2.2.3) or ``{"layers": [...]}``."""
    if isinstance(cfg, list):
        return cfg
    if isinstance(cfg, Mapping) and isinstance(cfg.get("layers"), list):
        return cfg["layers"]
    return None


def merge_sequential_config(config: Any) -> Any:
    """A Keras 1 / 2.0 Sequential config starting with a ``Merge`` of branches, as the
    equivalent Functional config; any other config unchanged."""
    if not isinstance(config, Mapping) or config.get("class_name") != "Sequential":
        return config
    layers = _layer_list(config.get("config"))
    if not layers or not isinstance(layers[0], Mapping) or layers[0].get("class_name") != "Merge":
        return config
    merge_cfg = dict(layers[0].get("config") or {})
    branches = merge_cfg.pop("layers", None)
    if not isinstance(branches, list) or not branches:
        raise ModelFileError("the Sequential model's first layer is a Merge without its branch models ('layers')")
    inputs, body, ends = [], [], []

    def name_of(ld: Any, what: str) -> str:
        c = ld.get("config") if isinstance(ld, Mapping) else None
        if not isinstance(c, Mapping) or not isinstance(c.get("name"), str):
            raise ModelFileError(f"{what} has no layer name")
        return c["name"]

    def chain(lds: list, prev: str, what: str) -> str:
        for i, ld in enumerate(lds):
            name = name_of(ld, f"{what} layer #{i}")
            body.append({"class_name": ld.get("class_name"), "config": dict(ld["config"]), "name": name,
                         "inbound_nodes": [[[prev, 0, 0, {}]]]})
            prev = name
        return prev

    for b, branch in enumerate(branches):
        what = f"Merge branch #{b}"
        if not isinstance(branch, Mapping):
            raise ModelFileError(f"{what} is not a JSON object")
        if branch.get("class_name") == "Sequential":
            blayers = _layer_list(branch.get("config"))
        else:   # a single layer as a branch
            blayers = [branch]
        if not blayers:
            raise ModelFileError(f"{what} has no layers")
        first = blayers[0]
        if isinstance(first, Mapping) and first.get("class_name") == "InputLayer":
            in_name, in_cfg, blayers = name_of(first, what), dict(first["config"]), blayers[1:]
        else:
            fcfg = first.get("config") if isinstance(first, Mapping) else None
            shape = fcfg.get("batch_input_shape") if isinstance(fcfg, Mapping) else None
            if shape is None:
                raise ModelFileError(f"{what}: its first layer has no batch_input_shape")
            in_name = name_of(first, what) + "_input"
            in_cfg = {"batch_input_shape": shape, "dtype": "float32", "name": in_name}
        inputs.append({"class_name": "InputLayer", "config": in_cfg, "name": in_name, "inbound_nodes": []})
        ends.append(chain(blayers, in_name, what))
    merge_name = merge_cfg.get("name") if isinstance(merge_cfg.get("name"), str) else "merge"
    body.append({"class_name": "Merge", "config": merge_cfg, "name": merge_name,
                 "inbound_nodes": [[[e, 0, 0, {}] for e in ends]]})
    last = chain(layers[1:], merge_name, "Sequential")
    inner = config.get("config")
    name = inner.get("name", "sequential") if isinstance(inner, Mapping) else "sequential"
    return {"class_name": "Model", "config": {
        "name": name, "layers": inputs + body,
        "input_layers": [[i["name"], 0, 0] for i in inputs], "output_layers": [[last, 0, 0]]}}


def _normalize_layer(layer: RawLayer, ctx: UpgradeContext) -> RawLayer:
    """One layer in the Keras 2 form: its op family's upgrade hook, if it has one."""
    hook = upgrade_hook(layer.class_name)
    if hook is not None:
        return hook(layer, ctx)
    cfg = dict(layer.config)
    if ctx.major <= 1:
        keras1_input_shape(cfg)
    return replace(layer, config=freeze(cfg))


def _normalize_layers(layers, ctx: UpgradeContext) -> tuple[RawLayer, ...]:
    out = []
    for layer in layers:
        if layer.submodel is not None:  # a nested Sequential / Functional model
            sub = layer.submodel
            out.append(replace(layer, submodel=replace(sub, layers=_normalize_layers(sub.layers, ctx))))
        else:
            out.append(_normalize_layer(layer, ctx))
    return tuple(out)


def normalize_model(raw: RawModel, version: str, legacy_format: Optional[str] = None,
                    backend: Optional[str] = None) -> RawModel:
    """Translate legacy layers of ``raw`` (written by Keras ``version``) into
    Keras 2 layers.  ``legacy_format`` replaces ``source.format`` when given;
    ``backend`` is the file's ``backend`` attribute (Theano kernels are flipped)."""
    parsed = parse_version(version)
    major, minor = parsed if parsed else (raw.source.keras_major, 0)
    if major >= 3:
        return raw
    ctx = UpgradeContext(major, minor, backend == "theano")
    # a wrapped layer (Bidirectional) is upgraded as a plain layer of a file not trained with Theano
    inner = UpgradeContext(major, minor, False, ctx.lines)
    inner.upgrade_inner = ctx.upgrade_inner = lambda layer: _normalize_layer(layer, inner)
    layers = _normalize_layers(raw.layers, ctx)
    source = raw.source
    changes: dict[str, Any] = {}
    if ctx.lines:
        changes["weight_map"] = tuple(ctx.lines)
    if legacy_format:
        changes["format"] = legacy_format
    if changes:
        source = replace(source, **changes)
    return replace(raw, source=source, layers=layers)
