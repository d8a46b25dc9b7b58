"""The Sequential driver: find the model's input, then apply each layer to the
previous one's outputs (after a failed layer, keep checking the next ones
against the input shape Keras recorded for them)."""
from __future__ import annotations

from typing import Optional

from ..ir import ModelPort, Shape
from ..ops import ConversionProblem
from ..ops.text import string_input
from ..reader.raw import RawLayer, RawModel
from .layer_check import input_layer_shape, strip_batch

Ports = tuple[tuple[ModelPort, ...], tuple[ModelPort, ...]]


def input_shape(b, raw: RawModel, layers: list) -> Optional[Shape]:
    """A Sequential model's input shape without an InputLayer: the first layer's
    ``batch_shape`` / ``batch_input_shape``, else the model's build shape.  None
    after reporting a bad one, or if there is none."""
    for key in ("batch_shape", "batch_input_shape"):
        if layers and key in layers[0].config:
            try:
                return strip_batch(layers[0].config[key])
            except ConversionProblem as exc:
                b.report(layers[0], str(exc))
                return None
    if raw.input_shape is not None:
        try:
            return strip_batch(raw.input_shape)
        except ConversionProblem as exc:
            b.problems.add(None, None, f"model input: {exc}")
    return None


def recover_input(b, layer: RawLayer) -> Optional[tuple[str, ...]]:
    """A fresh input for ``layer`` from the input shape Keras recorded for it, if any."""
    shape = layer.build_input_shape
    if not shape or not isinstance(shape[0], (type(None), int)):
        return None  # unknown, or several inputs
    try:
        return (b.new_tensor(strip_batch(shape)),)
    except ConversionProblem:
        return None


def sequential(b, raw: RawModel, given: Optional[tuple[str, ...]] = None) -> Ports:
    """Build a Sequential model; with ``given`` (a nested model) its input is that tensor."""
    layers = list(raw.layers)
    in_name = "input"
    shape: Optional[Shape] = None
    if given is not None:
        if layers and layers[0].class_name == "InputLayer":
            layers.pop(0)
        shape = b.shape_of(given[0])
    elif layers and layers[0].class_name == "InputLayer":
        first = layers.pop(0)
        in_name = first.name
        try:
            if string_input(first):
                given = (b.input_tensor(first),)
                shape = b.shape_of(given[0])
            else:
                shape = input_layer_shape(first)
        except ConversionProblem as exc:
            b.report(first, str(exc))
            return (), ()
    else:
        n_problems = len(b.problems.problems)
        shape = input_shape(b, raw, layers)
        if len(b.problems.problems) != n_problems:
            return (), ()
    if shape is None:
        b.problems.add(None, None, "the Sequential model has no input shape (no InputLayer, "
                                   "batch_input_shape or build_input_shape); build the model with "
                                   "keras.Input(shape=...) before saving")
        return (), ()
    current: Optional[tuple[str, ...]] = given if given is not None else (b.new_tensor(shape),)
    model_in = (ModelPort(current[0], in_name),)
    for layer in layers:
        if not b.check_class(layer):
            current = None
            continue
        if layer.class_name == "InputLayer":
            b.report(layer, "InputLayer in the middle of a Sequential model")
            current = None
            continue
        if current is None:
            # An earlier layer failed (already reported); keep checking this
            # one against the input shape Keras recorded for it, if any.
            current = recover_input(b, layer)
            if current is None:
                continue
        current = b.apply(layer, current)
    if current is None:
        return model_in, ()
    last = layers[-1].name if layers else in_name
    return model_in, tuple(ModelPort(t, last) for t in current)
