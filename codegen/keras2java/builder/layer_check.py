"""Pass 2 of each layer: can keras2java convert this class and dtype at all?
And the shapes of model inputs (``InputLayer`` and the Sequential fallbacks).

What a config's ``dtype`` names is a trait of the layer's converter
(:attr:`LayerSpec.config_dtype`), not a list of class names here.
"""
from __future__ import annotations

from typing import Any, Mapping, Optional

from ..ir import Shape
from ..ops import STRUCTURAL, ConfigDtype, ConversionProblem, layer_spec
from ..reader.raw import RawLayer
from .keras3_graph import is_operation, spec_name

FLOAT_DTYPES = ("float32",)
INT_DTYPES = frozenset({"int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64", "bool"})


def dtype_name(value: Any) -> Optional[str]:
    """The name of a config's ``dtype`` (a string, or a Keras 3 ``DTypePolicy`` dict)."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, Mapping):
        cfg = value.get("config")
        if isinstance(cfg, Mapping) and isinstance(cfg.get("name"), str):
            return cfg["name"]
    return None


def check_dtype(layer: RawLayer, role: ConfigDtype = ConfigDtype.COMPUTE) -> Optional[str]:
    """A problem description if the layer computes in anything but float32;
    ``role``: what the layer's config ``dtype`` names."""
    if role is ConfigDtype.INPUT:
        return None
    name = dtype_name(layer.config.get("dtype"))
    if name is None or name in FLOAT_DTYPES:
        return None
    if name in INT_DTYPES and role is ConfigDtype.INTEGER:
        return None
    if "mixed" in name or name in ("float16", "bfloat16", "half"):
        return (f"dtype policy {name!r} (mixed/reduced precision) is not supported; "
                "keras2java generates float32 code: set the policy to 'float32' and save the model again")
    return f"dtype {name!r} is not supported; only float32 layers can be converted"


def class_problem(layer: RawLayer, keras_major: int) -> Optional[tuple[str, bool]]:
    """Why a layer's class or dtype cannot be converted, and whether the class is
    unknown (no converter: the report then lists the supported classes); None if it can."""
    if layer.submodel is not None:
        dt = check_dtype(layer)
        return (dt, False) if dt else None
    spec = layer_spec(spec_name(layer))
    if spec is not None or layer.class_name in STRUCTURAL:
        # an operation's dtype is its result type (Cast, ZerosLike), not a compute policy
        dt = (check_dtype(layer, spec.config_dtype) if spec is not None and not is_operation(layer) else None)
        return (dt, False) if dt else None
    if is_operation(layer):
        return f"operation {layer.class_name!r} ({layer.module}) is not supported", False
    if layer.class_name == "Lambda":
        return ("Lambda layers hold Python code, which keras2java never runs; "
                "replace the Lambda with built-in layers and save the model again, or state "
                f"what it computes in a plugin: @keras2java.lambda_layer({layer.name!r}) "
                "(see --plugin)"), False
    if layer.class_name in ("Sequential", "Functional", "Model"):
        return "nested model without a readable 'layers' list", False
    if keras_major >= 3 and not layer.module and layer_spec("ops." + layer.class_name) is not None:
        return (f"Keras operation {layer.class_name!r} in a Keras 3 .h5 file: that format does not "
                "record which classes are operations (Keras itself cannot load the file again); "
                "save the model as .keras"), False
    return (f"layer class {layer.class_name!r} is not supported "
            "(custom and unregistered classes need a plugin: see --plugin)"), True


def input_layer_shape(layer: RawLayer) -> Shape:
    cfg = layer.config
    shape = cfg.get("batch_shape", cfg.get("batch_input_shape"))
    if shape is None:
        raise ConversionProblem("InputLayer has neither batch_shape nor batch_input_shape")
    return strip_batch(shape)


def strip_batch(shape: Any) -> Shape:
    if not isinstance(shape, (list, tuple)) or len(shape) < 2:
        raise ConversionProblem(f"input shape {shape!r} must have a batch axis and at least one more axis")
    dims = []
    for d in shape[1:]:
        if d is None:
            dims.append(None)
        elif isinstance(d, int) and not isinstance(d, bool) and d > 0:
            dims.append(d)
        else:
            raise ConversionProblem(f"input shape {list(shape)!r} has an invalid dimension {d!r}")
    return tuple(dims)
