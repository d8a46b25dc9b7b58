"""Parsing of Keras model configs (JSON) into :class:`RawModel`.

Handles the Keras 3 form (``__keras_tensor__`` / ``keras_history``) and the
Keras 2 form (nested lists) of ``inbound_nodes``, Sequential configs as a dict
or as a bare list (Keras < 2.2.3), and ``batch_shape`` / ``batch_input_shape``.
"""
from __future__ import annotations

from typing import Any, Callable, Mapping

from ..errors import ModelFileError
from ..ir import SourceInfo
from .raw import InboundNode, InboundRef, RawLayer, RawModel, RawWeight, freeze

WeightsFor = Callable[[int, str, str], "tuple[RawWeight, ...]"]

FUNCTIONAL_CLASSES = ("Functional", "Model")
#: Layer classes that are whole models (nested Sequential / Functional sub-models).
NESTED_CLASSES = ("Sequential",) + FUNCTIONAL_CLASSES
MAX_NESTING = 16


def no_weights(index: int, name: str, class_name: str) -> "tuple[RawWeight, ...]":
    return ()


def _expect_dict(value: Any, what: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise ModelFileError(f"{what} is not a JSON object")
    return value


def _ref(value: Any, what: str) -> InboundRef:
    if (isinstance(value, (list, tuple)) and len(value) >= 3 and isinstance(value[0], str)
            and isinstance(value[1], int) and isinstance(value[2], int)
            and not isinstance(value[1], bool) and not isinstance(value[2], bool)):
        return InboundRef(value[0], value[1], value[2])
    raise ModelFileError(f"{what} is not a [layer, node, tensor] reference")


def _is_ref(value: Any) -> bool:
    return isinstance(value, (list, tuple)) and len(value) >= 3 and isinstance(value[0], str) \
        and not isinstance(value[1], (list, tuple, Mapping))


def _port_refs(value: Any, what: str, key: Any = None, depth: int = 0) -> list:
    """Keras 3 ports may be a dict or a nested structure of refs: flattened as
    Keras' ``tree.flatten`` does (dicts in sorted key order), each ref with the
    dict key it sits under (None outside dicts)."""
    if depth > MAX_NESTING:
        raise ModelFileError(f"{what} is nested too deeply")
    if isinstance(value, Mapping):
        out = []
        for k in sorted(value, key=str):
            out.extend(_port_refs(value[k], what, str(k), depth + 1))
        return out
    if not isinstance(value, (list, tuple)):
        raise ModelFileError(f"{what} is not a list")
    if _is_ref(value):
        return [(_ref(value, what), key)]
    out = []
    for v in value:
        out.extend(_port_refs(v, what, None, depth + 1))
    return out


def _find_tensors(value: Any, out: list[InboundRef], what: str) -> None:
    """Collect ``__keras_tensor__`` references, in order, from a Keras 3 args tree."""
    if isinstance(value, Mapping):
        if value.get("class_name") == "__keras_tensor__":
            cfg = _expect_dict(value.get("config"), what)
            out.append(_ref(cfg.get("keras_history"), what + " keras_history"))
            return
        for v in value.values():
            _find_tensors(v, out, what)
    elif isinstance(value, (list, tuple)):
        for v in value:
            _find_tensors(v, out, what)


def _flat_entries(node: Any, depth: int = 0) -> list:
    """Keras 2 node entries; tf-keras nests the entries of structured call inputs
    (``[x, [h, c], g]`` for an RNN with nested initial states)."""
    out = []
    for entry in node:
        if isinstance(entry, (list, tuple)) and entry and isinstance(entry[0], (list, tuple)) and depth < MAX_NESTING:
            out.extend(_flat_entries(entry, depth + 1))
        else:
            out.append(entry)
    return out


def _parse_inbound(layer_name: str, nodes: Any) -> tuple[InboundNode, ...]:
    what = f"inbound_nodes of layer {layer_name!r}"
    if nodes is None:
        return ()
    if not isinstance(nodes, (list, tuple)):
        raise ModelFileError(f"{what} is not a list")
    out = []
    for node in nodes:
        if isinstance(node, Mapping):  # Keras 3
            args: list[InboundRef] = []
            _find_tensors(node.get("args", []), args, what)
            kwargs: dict[str, tuple[InboundRef, ...]] = {}
            other: dict[str, Any] = {}
            raw_kwargs = node.get("kwargs", {}) or {}
            if not isinstance(raw_kwargs, Mapping):
                raise ModelFileError(f"{what}: kwargs is not an object")
            for key, val in raw_kwargs.items():
                found: list[InboundRef] = []
                _find_tensors(val, found, what)
                if found:
                    kwargs[str(key)] = tuple(found)
                else:
                    other[str(key)] = val
            out.append(InboundNode(tuple(args), freeze(kwargs), freeze(other), freeze(node.get("args", []))))
        elif isinstance(node, (list, tuple)):  # Keras 1/2: [[name, node, tensor, kwargs], ...]
            args = []
            other = {}
            kwargs = {}
            for entry in _flat_entries(node):
                if not isinstance(entry, (list, tuple)) or len(entry) < 3:
                    raise ModelFileError(f"{what}: entry is not [layer, node, tensor, kwargs]")
                args.append(_ref(entry, what))
                if len(entry) >= 4 and isinstance(entry[3], Mapping):
                    for key, val in entry[3].items():
                        # tensors passed as keywords: recurrent states, MultiHeadAttention's value / key
                        if key in ("initial_state", "constants", "value", "key") and isinstance(val, (list, tuple)):
                            kwargs[str(key)] = tuple(r for r, _ in _port_refs(val, what))   # may be nested
                        else:
                            other[str(key)] = val
            out.append(InboundNode(tuple(args), freeze(kwargs), freeze(other)))
        else:
            raise ModelFileError(f"{what}: node is neither an object nor a list")
    return tuple(out)


def parse_model_config(model_config: Any, weights_for: WeightsFor, source: SourceInfo,
                       what: str = "model config", depth: int = 0) -> RawModel:
    """Parse a model config.  ``weights_for(index, name, class_name)`` returns a
    layer's stored weights; for nested models it may offer
    ``weights_for.nested(index, name)``, the callback for the sub-model's layers."""
    if depth > MAX_NESTING:
        raise ModelFileError(f"{what}: models are nested more than {MAX_NESTING} levels deep")
    cfg = _expect_dict(model_config, what)
    class_name = cfg.get("class_name")
    if not isinstance(class_name, str):
        raise ModelFileError(f"{what} has no class_name")
    inner = cfg.get("config")
    if class_name == "Sequential":
        if isinstance(inner, (list, tuple)):      # Keras < 2.2.3: bare list of layers
            name, layer_dicts, build_shape = "sequential", inner, None
        else:
            inner = _expect_dict(inner, f"{what} 'config'")
            name = inner.get("name", "sequential")
            layer_dicts = inner.get("layers")
            build_shape = inner.get("build_input_shape")
            if build_shape is None:
                bc = cfg.get("build_config")
                if isinstance(bc, Mapping):
                    build_shape = bc.get("input_shape")
    elif class_name in FUNCTIONAL_CLASSES:
        inner = _expect_dict(inner, f"{what} 'config'")
        name = inner.get("name", "model")
        layer_dicts = inner.get("layers")
        build_shape = None
    else:
        raise ModelFileError(
            f"{what}: top-level class {class_name!r} is not a Sequential or Functional model "
            "(subclassed models cannot be converted: rebuild them as Functional models)")
    if not isinstance(layer_dicts, (list, tuple)):
        raise ModelFileError(f"{what} has no 'layers' list")
    if not isinstance(name, str):
        name = "model"

    layers = []
    seen_names: set[str] = set()
    for i, ld in enumerate(layer_dicts):
        ld = _expect_dict(ld, f"{what} layer #{i}")
        lclass = ld.get("class_name")
        lcfg = ld.get("config", {})
        if not isinstance(lclass, str):
            raise ModelFileError(f"{what} layer #{i} has no class_name")
        if lcfg is None:
            lcfg = {}
        lcfg = _expect_dict(lcfg, f"{what} layer #{i} config")
        lname = ld.get("name", lcfg.get("name", f"{lclass.lower()}_{i}"))
        if not isinstance(lname, str):
            raise ModelFileError(f"{what} layer #{i} has a name that is not a string")
        if lname in seen_names:
            raise ModelFileError(f"{what}: two layers are named {lname!r}")
        seen_names.add(lname)
        inbound = _parse_inbound(lname, ld.get("inbound_nodes")) if class_name != "Sequential" else ()
        submodel = None
        if lclass in NESTED_CLASSES and isinstance(lcfg.get("layers"), (list, tuple)):
            nested = getattr(weights_for, "nested", None)
            submodel = parse_model_config(ld, nested(i, lname) if nested else no_weights, source,
                                          what=f"{what} nested model {lname!r}", depth=depth + 1)
            weights: Any = ()
        else:
            weights = weights_for(i, lname, lclass)
        build_shape_l = None
        bc = ld.get("build_config")
        if isinstance(bc, Mapping) and isinstance(bc.get("input_shape"), (list, tuple)):
            build_shape_l = freeze(bc["input_shape"])
        assets_for = getattr(weights_for, "assets", None)
        assets = assets_for(i) if assets_for is not None and submodel is None else None
        module = ld.get("module")
        layers.append(RawLayer(lname, lclass, freeze(dict(lcfg)), tuple(weights), inbound, build_shape_l,
                               submodel, assets or None, module if isinstance(module, str) else ""))

    input_refs: tuple[InboundRef, ...] = ()
    output_refs: tuple[InboundRef, ...] = ()
    input_keys: tuple = ()
    output_keys: tuple = ()
    if class_name in FUNCTIONAL_CLASSES:
        ins = _port_refs(inner.get("input_layers"), f"{what} input_layers")
        outs = _port_refs(inner.get("output_layers"), f"{what} output_layers")
        input_refs, output_refs = tuple(r for r, _ in ins), tuple(r for r, _ in outs)
        input_keys, output_keys = tuple(k for _, k in ins), tuple(k for _, k in outs)
    return RawModel(
        source=source, name=name, class_name=class_name, layers=tuple(layers),
        input_refs=input_refs, output_refs=output_refs,
        input_shape=tuple(build_shape) if isinstance(build_shape, (list, tuple)) else None,
        input_keys=input_keys, output_keys=output_keys,
    )
