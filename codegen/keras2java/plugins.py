"""Custom layers: how a plugin teaches keras2java a Keras class it does not know.

A plugin is a Python module whose converters are decorated with
:func:`layer` (exported as ``keras2java.layer``).  A converter receives a
:class:`PluginContext` (a :class:`~keras2java.ops.context.LayerContext` with
composition helpers) and returns what the layer computes as built-in ops::

    import keras2java

    @keras2java.layer("ReversedLSTM")
    def reversed_lstm(ctx):
        lstm = ctx.builtin("LSTM", config={**ctx.config, "go_backwards": True, "return_sequences": True})
        g = ctx.graph()
        h = g.add(lstm, [g.input(0)])
        return g.output(g.reverse_time(h))

Plugins never add Java code: they compose the ops keras2java already
compiles (every built-in layer through :meth:`PluginContext.builtin`, and the
primitives of :mod:`keras2java.ops.primitive` through :class:`Graph`), so the
generated package stays standalone and every op has its numpy reference.

Shapes never include the batch axis, and so axes count from the first axis
after it: axis 0 is the timestep axis of a sequence (Keras' ``axis=1``);
negative axes are the same as in Keras.  Axis 0 may be ``None`` (a variable
number of timesteps).

Load plugins with ``keras2java convert --plugin PATH_OR_MODULE``,
``keras2java.convert(..., plugins=[...])`` or the ``keras2java.layers``
entry point group (:mod:`keras2java.plugin_loader`).
"""
from __future__ import annotations

import functools
from dataclasses import dataclass, field, fields
from typing import Any, Callable, Mapping, NoReturn, Optional, Sequence, Union

from .errors import PluginError
from .ir import LINEAR, Shape, WeightTensor, format_shape
from .ops import primitive
from .ops.base import (ConversionProblem, LayerSpec, MaskRule, Op, converter, is_registered, lambda_key, layer_spec,
                       layer_specs)
from .ops.context import Composite, Converted, LayerContext, Step
from .ops.core import DenseOp
from .reader.raw import RawLayer, RawWeight, freeze

#: ``mask=`` of :func:`layer`: what the layer does with a Keras mask reaching it.
MASK_RULES = {"refuse": MaskRule.REFUSE, "pass": MaskRule.PASS}

#: Config keys of every Keras layer (``Layer.get_config`` and input-shape arguments).
#: Every key of the base ``Layer`` config, in every Keras version: Keras 3 records ``name``,
#: ``trainable``, ``dtype``, ``autocast`` and ``activity_regularizer`` (``None`` or the
#: regularizer: a training loss, nothing at inference) for a layer without a ``get_config``
#: override; tf-keras and Keras 2 ``name``, ``trainable``, ``dtype``, ``dynamic``,
#: ``activity_regularizer`` and the input-shape keys; Keras 1 ``input_dtype``.
BASE_OPTIONS = frozenset({"name", "trainable", "dtype", "autocast", "activity_regularizer", "dynamic",
                          "batch_input_shape", "batch_shape", "batch_size", "input_shape", "input_dim",
                          "input_dtype"})


# -- the graph a plugin composes ---------------------------------------------------------------


@dataclass(frozen=True)
class Value:
    """A tensor of a plugin's :class:`Graph`: a layer input or an op's output."""

    #: its shape without the batch axis; axis 0 may be None (variable timesteps)
    shape: Shape
    index: int
    graph: "Graph" = field(compare=False, repr=False)


class Graph:
    """Composes built-in ops into what one layer computes.

    Values are the layer's inputs (:meth:`input`) and the outputs of the ops
    added so far; :meth:`output` finishes the graph.  The primitive methods
    (:meth:`reverse_time`, :meth:`softmax`, :meth:`sum`, :meth:`mean`,
    :meth:`max`, :meth:`multiply`, :meth:`plus`, :meth:`matmul`) infer the
    output shape and refuse, with the reason, what keras2java cannot run.
    """

    def __init__(self, input_shapes: Sequence[Shape]) -> None:
        self._inputs = tuple(tuple(s) for s in input_shapes)
        self._shapes: list[Shape] = list(self._inputs)
        self._steps: list[Step] = []

    # -- structure ---------------------------------------------------------------------
    def input(self, index: int = 0) -> Value:
        """The layer's input ``index`` (in the order Keras passes them)."""
        if isinstance(index, bool) or not isinstance(index, int) or not 0 <= index < len(self._inputs):
            raise ConversionProblem(f"the layer has {len(self._inputs)} input(s); there is no input {index!r}")
        return Value(self._inputs[index], index, self)

    def add(self, op: Union[Op, Converted], inputs: Sequence[Value],
            shapes: Optional[Sequence[Shape]] = None) -> Value:
        """Adds an op with one output and returns it.  ``op`` is an op with its
        output ``shapes``, or a :class:`Converted` (e.g. from
        :meth:`PluginContext.builtin`), which carries them."""
        outs = self.add_all(op, inputs, shapes)
        if len(outs) != 1:
            raise ValueError(f"{_op_name(op)} has {len(outs)} outputs; use Graph.add_all")
        return outs[0]

    def add_all(self, op: Union[Op, Converted], inputs: Sequence[Value],
                shapes: Optional[Sequence[Shape]] = None) -> tuple[Value, ...]:
        """Adds an op and returns all its outputs (LSTM with return_state, ...)."""
        if isinstance(op, Converted):
            op, shapes = op.op, (op.output_shapes if shapes is None else shapes)
        if not isinstance(op, Op) or not is_registered(op):
            raise TypeError(f"{op!r} is not a keras2java op")
        if shapes is None:
            raise TypeError(f"Graph.add({type(op).__name__}): give the output shapes")
        shapes = tuple(_shape(s) for s in shapes)
        if not shapes:
            raise ValueError(f"{type(op).__name__} has no outputs")
        refs = tuple(self._ref(v) for v in inputs)
        first = len(self._shapes)
        self._steps.append(Step(op, refs, shapes))
        self._shapes.extend(shapes)
        return tuple(Value(s, first + i, self) for i, s in enumerate(shapes))

    def output(self, *values: Value) -> Composite:
        """The finished graph: the layer's outputs are ``values``, in order."""
        if not values:
            raise ValueError("Graph.output needs at least one value")
        return Composite(tuple(self._steps), tuple(self._ref(v) for v in values))

    def _ref(self, v: Value) -> int:
        if not isinstance(v, Value):
            raise TypeError(f"{v!r} is not a value of this graph (use g.input(i) or what g.add returned)")
        if v.graph is not self:
            raise ValueError("a value of another graph was used")
        return v.index

    # -- primitives --------------------------------------------------------------------
    def _primitive(self, converted: Converted, *inputs: Value) -> Value:
        return self.add(converted, list(inputs))

    def reverse_time(self, x: Value) -> Value:
        """``x`` with axis 0 (the timesteps) in reverse order (``ops.flip(x, axis=1)`` in Keras)."""
        return self._primitive(primitive.reverse_time(self._shape_of(x)), x)

    def softmax(self, x: Value, axis: int = -1) -> Value:
        """Softmax over ``axis`` (any axis, also the variable timestep axis 0)."""
        return self._primitive(primitive.softmax(self._shape_of(x), axis), x)

    def sum(self, x: Value, axis: int, keepdims: bool = False) -> Value:
        """Sum over ``axis``."""
        return self._primitive(primitive.reduce("sum", self._shape_of(x), axis, keepdims), x)

    def mean(self, x: Value, axis: int, keepdims: bool = False) -> Value:
        """Mean over ``axis``."""
        return self._primitive(primitive.reduce("mean", self._shape_of(x), axis, keepdims), x)

    def max(self, x: Value, axis: int, keepdims: bool = False) -> Value:
        """Maximum over ``axis`` (NaN wins)."""
        return self._primitive(primitive.reduce("max", self._shape_of(x), axis, keepdims), x)

    def multiply(self, a: Value, b: Value) -> Value:
        """``a * b`` with numpy broadcasting, e.g. ``(T, F) * (T, 1)``."""
        return self._primitive(primitive.broadcast("multiply", self._shape_of(a), self._shape_of(b)), a, b)

    def plus(self, a: Value, b: Value) -> Value:
        """``a + b`` with numpy broadcasting (named ``plus`` because :meth:`add` adds ops)."""
        return self._primitive(primitive.broadcast("add", self._shape_of(a), self._shape_of(b)), a, b)

    def matmul(self, a: Value, b: Union[Value, WeightTensor], transpose_a: bool = False,
               transpose_b: bool = False) -> Value:
        """The matrix product.  With a weight ``b`` of shape ``(k, n)`` (from
        :meth:`PluginContext.weights`): ``a``'s last axis times ``b``, for any
        rank of ``a``.  With a tensor ``b``: two rank-2 tensors, optionally
        transposed; contracting over the timestep axis takes ``transpose_a``
        with both ``(timesteps, ...)``."""
        if isinstance(b, WeightTensor):
            if transpose_a or transpose_b:
                raise ConversionProblem("matmul with a weight: transpose the weight array instead of passing flags")
            shape = self._shape_of(a)
            if len(b.shape) != 2:
                raise ConversionProblem(f"matmul with weight {b.role} of shape {format_shape(b.shape)}: "
                                        "expected a matrix (k, n)")
            if not shape or shape[-1] != b.shape[0]:
                raise ConversionProblem(f"matmul of {format_shape(shape)} with weight {b.role} "
                                        f"{format_shape(b.shape)}: the last axis must be {b.shape[0]}")
            op = DenseOp(units=b.shape[1], activation=LINEAR, kernel=b, bias=None)
            return self.add(op, [a], [shape[:-1] + (b.shape[1],)])
        return self._primitive(primitive.matmul(self._shape_of(a), self._shape_of(b), transpose_a, transpose_b), a, b)

    def _shape_of(self, v: Value) -> Shape:
        return self._shapes[self._ref(v)]


def _shape(s: Any) -> Shape:
    if not isinstance(s, (tuple, list)) or not all(
            d is None or (isinstance(d, int) and not isinstance(d, bool)) for d in s):
        raise TypeError(f"{s!r} is not a shape (a tuple of ints, None for variable timesteps)")
    return tuple(s)


def _op_name(op: Any) -> str:
    return type(op.op if isinstance(op, Converted) else op).__name__


# -- what a plugin converter receives --------------------------------------------------------


@dataclass(frozen=True)
class PluginContext(LayerContext):
    """The :class:`LayerContext` a plugin converter receives: the stored layer
    (``layer``: config and weights), its ``input_shapes``, the Keras major
    version, typed config getters (``get_int``, ``get_bool``, ``get_float``,
    ``get_str``, ``activation``), ``weights([(role, shape), ...])``, and the
    composition helpers below."""

    @classmethod
    def of(cls, ctx: LayerContext) -> "PluginContext":
        return cls(**{f.name: getattr(ctx, f.name) for f in fields(LayerContext)})

    @property
    def name(self) -> str:
        """The Keras layer name."""
        return self.layer.name

    @property
    def config(self) -> Mapping[str, Any]:
        """The layer's config (read-only; ``{**ctx.config, "key": value}`` makes a modified copy)."""
        return self.layer.config

    def refuse(self, *reasons: str) -> NoReturn:
        """Gives up on this layer: each reason is reported as
        ``layer 'name' (Class): reason``, with the model's other problems."""
        raise ConversionProblem(*reasons)

    def allow_options(self, *keys: str) -> None:
        """Refuses every config key other than ``keys`` and those of every Keras
        layer (name, trainable, dtype, ...), so that an option the plugin does
        not implement is never silently ignored."""
        unknown = sorted(k for k in self.config if k not in keys and k not in BASE_OPTIONS)
        if unknown:
            known = ", ".join(keys) or "none"
            raise ConversionProblem(*[f"unknown option {k!r} (this plugin handles: {known})" for k in unknown])

    def builtin(self, keras_class: str, config: Optional[Mapping[str, Any]] = None, *,
                weights: Optional[Sequence[RawWeight]] = None,
                input_shapes: Optional[Sequence[Shape]] = None) -> Converted:
        """Runs keras2java's converter of the built-in Keras class ``keras_class``
        (``"LSTM"``, ``"Dense"``, ...) as if this layer were one, with
        ``config`` (default: this layer's), ``weights`` (default: this
        layer's stored weights, in order) and ``input_shapes`` (default: this
        layer's).  Returns its op and output shapes, for :meth:`Graph.add`.
        Its refusals are this layer's, prefixed with ``keras_class``."""
        spec = layer_spec(keras_class) if isinstance(keras_class, str) else None
        if spec is None or not spec.builtin:
            raise ConversionProblem(f"{keras_class!r} is not a Keras class keras2java converts itself")
        cfg = dict(self.config if config is None else config)
        stored = tuple(self.layer.weights if weights is None else weights)
        layer = RawLayer(self.layer.name, keras_class, freeze(cfg), stored, self.layer.inbound_nodes,
                         self.layer.build_input_shape)
        shapes = self.input_shapes if input_shapes is None else tuple(_shape(s) for s in input_shapes)
        sub = LayerContext(layer, tuple(shapes), self.keras_major, self.call, self.input_mask)
        try:
            result = spec.convert(sub)
        except ConversionProblem as exc:
            raise ConversionProblem(*[f"{keras_class}: {r}" for r in exc.reasons]) from None
        if not isinstance(result, Converted):
            raise ConversionProblem(f"{keras_class} converts into several ops and cannot be used by a plugin")
        return result

    def graph(self) -> Graph:
        """A new :class:`Graph` over this layer's inputs."""
        return Graph(self.input_shapes)


# -- registration -------------------------------------------------------------------------------

PluginConverter = Callable[[PluginContext], Union[Composite, Converted]]

#: Every converter registered by :func:`layer`, in order (the loader re-activates them).
REGISTERED: list[LayerSpec] = []
#: Module name -> how messages name the plugin (file plugins get synthetic module names).
SOURCES: dict[str, str] = {}


def describe_origin(spec: LayerSpec) -> str:
    if spec.builtin:
        return f"keras2java itself ({spec.origin})"
    return "plugin " + SOURCES.get(spec.origin, spec.origin)


def layer(keras_class: str, *, mask: str = "refuse") -> Callable[[PluginConverter], PluginConverter]:
    """Decorator: registers ``fn(ctx) -> Composite | Converted`` as the
    converter of the custom Keras class ``keras_class`` (its ``class_name``
    in the model config, without a registration package).

    ``mask`` says what happens to a Keras mask (from Masking or
    ``Embedding(mask_zero=True)``) reaching the layer: ``"refuse"`` (default:
    the model is refused) or ``"pass"`` (the layer passes it on unchanged,
    for layers that keep the timestep axis and do not read the mask).

    A class registered twice (by two plugins, or by a plugin and keras2java)
    raises :class:`keras2java.PluginError`.
    """
    if not isinstance(keras_class, str) or not keras_class or any(c.isspace() for c in keras_class):
        raise PluginError(f"@keras2java.layer: {keras_class!r} is not a Keras class name")
    return _registration(keras_class, f"@keras2java.layer({keras_class!r})", f"Keras class {keras_class!r}", mask)


def lambda_layer(layer_name: str, *, mask: str = "refuse") -> Callable[[PluginConverter], PluginConverter]:
    """Decorator: registers ``fn(ctx) -> Composite | Converted`` as what the ``Lambda``
    layer named ``layer_name`` computes (keras2java never runs the Python code a Lambda
    holds, so a plugin states it with the same composition API).  ``mask`` as for
    :func:`layer`.  A name claimed twice raises :class:`keras2java.PluginError`."""
    if not isinstance(layer_name, str) or not layer_name:
        raise PluginError(f"@keras2java.lambda_layer: {layer_name!r} is not a layer name")
    return _registration(lambda_key(layer_name), f"@keras2java.lambda_layer({layer_name!r})",
                         f"Lambda layer {layer_name!r}", mask)


def _registration(key: str, decorator: str, what: str, mask: str) -> Callable[[PluginConverter], PluginConverter]:
    if mask not in MASK_RULES:
        raise PluginError(f"{decorator}: mask={mask!r}; expected 'refuse' or 'pass'")

    def deco(fn: PluginConverter) -> PluginConverter:
        if not callable(fn):
            raise PluginError(f"{decorator} decorates {fn!r}, which is not a function")
        existing = layer_spec(key)
        if existing is not None:
            raise PluginError(f"{what} is already registered by {describe_origin(existing)}")

        @functools.wraps(fn)
        def convert(ctx: LayerContext) -> Union[Composite, Converted]:
            where = f"plugin converter {fn.__qualname__} ({SOURCES.get(fn.__module__, fn.__module__)})"
            try:
                result = fn(PluginContext.of(ctx))
            except ConversionProblem:
                raise
            except Exception as exc:  # noqa: BLE001 - a plugin's bug is reported as this layer's problem
                raise ConversionProblem(f"{where} failed: {type(exc).__name__}: {exc}") from None
            return _checked(result, where)

        converter(key, mask=MASK_RULES[mask], builtin=False)(convert)
        REGISTERED.append(layer_specs()[key])   # just registered above
        fn.__keras2java_layer__ = key  # type: ignore[attr-defined]
        return fn
    return deco


def _checked(result: Any, where: str) -> Union[Composite, Converted]:
    if isinstance(result, Converted):
        ops = [result.op]
    elif isinstance(result, Composite):
        ops = [s.op for s in result.steps]
    else:
        raise ConversionProblem(f"{where} returned {type(result).__name__}; expected g.output(...) "
                                "or the result of ctx.builtin(...)")
    bad = sorted({type(op).__name__ for op in ops if not isinstance(op, Op) or not is_registered(op)})
    if bad:
        raise ConversionProblem(f"{where} used {', '.join(bad)}, which keras2java cannot compile")
    return result


__all__ = ["BASE_OPTIONS", "ConversionProblem", "Converted", "Graph", "MASK_RULES", "PluginContext", "PluginError",
           "Value", "layer"]
