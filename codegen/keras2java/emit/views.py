"""The model view: everything ``model.java.j2`` places, decided here.

Each node's own view comes from its op (:meth:`keras2java.ops.Op.view`); this
module lays out the inputs, the buffers, the recurrent states and the outputs
(each by a function of its own), and composes the optional parts around them
(:mod:`keras2java.emit.parts`: predict, labels, text, named, session, batch, self-test),
present only when used.  Templates compute nothing.
"""
from __future__ import annotations

from dataclasses import dataclass
from math import prod
from typing import Any, Optional

from .. import analysis
from ..ir import Model, Shape, shape_text
from ..ops.base import Op
from ..ops.view import CallView, Offset, Size, Sum, TensorInfo, Var, ViewContext
from .naming import java_identifier, sanitize
from .parts import (BatchPart, LabelsPart, NamedPart, PredictPart, SelfTestPart, SessionPart, TextPart, batch_part,
                    labels_part, named_part, part_runtime, predict_part, session_part, text_part)
from .scan import hoist, nested_values, offsets_used, runtime_classes_used
from .rewrite import rewrite
from .weights import WeightLayout


@dataclass(frozen=True)
class PortView:
    index: int
    var: str                # Java variable holding the tensor
    name: str               # the Keras name (raw: templates escape it)
    shape: Shape            # as declared (for docs, checks and INPUT_SHAPES)
    length: Any             # Size: floats of a fixed input, or of an output
    per_step: int           # floats per timestep (variable inputs), else 0
    steps_var: str          # variable holding the timestep count, or ""
    features: int           # last-axis size, for the float[][] overload
    rank2: bool             # (timesteps, features): gets the float[][] overload
    token_ids: bool = False  # token ids for Embedding: gets an int[] overload
    exact_length: int = 0    # fixed-length input rendered with a variable time axis (streaming)
    #: an input with several variable axes: ``(extent variable, axis)`` of each, read from the shape passed
    #: with it; an output with a variable axis other than the first: those of its variable axes
    shaped: tuple[tuple[str, int], ...] = ()
    ident: str = ""          # Java identifier from the Keras name (predictNamed parameter / Outputs field)
    what: str = ""           # how error messages name it, e.g. "input 0 (frames)"
    text: str = ""           # a string input: the Net field of its tokenizer (the float tensor is its output)
    strings: str = ""        # a string output (StringLookup(invert=True)): the Net field decoding its ids


@dataclass(frozen=True)
class LayerLine:
    name: str
    class_name: str
    kind: str
    shapes: str
    params: str


@dataclass(frozen=True)
class StateView:
    var: str       # field of State, e.g. "s3"
    layer: str     # field of Net, e.g. "L3"
    begin: str     # method called on the layer at the start of predict: "reset" or "beginCall"


@dataclass(frozen=True)
class ArrayField:
    """An instance field holding a call's argument array, refilled per call (``CallView.arrays``
    and ``steps_array``): ``length`` elements."""

    name: str
    length: int


@dataclass(frozen=True)
class ModelView:
    """The whole model class: the core every model has (inputs, outputs, buffers, the ops'
    views, states, the weights) and the optional parts (:mod:`keras2java.emit.parts`),
    None when absent."""

    package: str
    class_name: str
    weights_class: str
    runtime_package: str
    runtime_imports: tuple[str, ...]
    version: str
    source_sha256: str
    source_format: str
    keras_version: str
    param_count: str
    weights_mode: str          # "embedded" or "resource"
    weights_count: int
    weights_sha256: str
    weights_storage: str       # "float32" (raw) or "float16", "bfloat16", "int8" (packed, expanded at load)
    weights_bytes: int         # bytes of the stored weights
    resource_name: str
    inputs: tuple[PortView, ...]
    outputs: tuple[PortView, ...]
    buffers: tuple[str, ...]
    ops: tuple[Any, ...]       # CallView / RecurrentView per node that emits code
    layers: tuple[LayerLine, ...]
    batch: BatchPart
    predict: Optional[PredictPart] = None
    labels: Optional[LabelsPart] = None
    text: Optional[TextPart] = None
    named: Optional[NamedPart] = None
    session: Optional[SessionPart] = None
    self_test: Optional[SelfTestPart] = None
    states: tuple[StateView, ...] = ()
    state_size: Sum = Sum(())      # the floats of all states (Session.saveState)
    stateful: bool = False         # some layer keeps its states across predict calls
    tokenizers: tuple[Any, ...] = ()   # CallViews of the string ops run before the float graph
    offsets: tuple[Offset, ...] = ()   # the named weight offsets the Net's constructor uses
    buffer_arrays: tuple[ArrayField, ...] = ()   # float[][] argument fields of the calls
    steps_arrays: tuple[ArrayField, ...] = ()    # int[] fields of the timestep-agreement checks
    #: every runtime class the model class and its weights class name (before the closure over
    #: ``runtime_deps.REFERENCES``): the ops' ``runtime`` traits, the views' references, the parts'
    runtime_used: frozenset = frozenset()
    #: some input has several variable axes: its shape is passed with it (``predictAll(inputs, shapes)``)
    shaped: bool = False
    #: some output has a variable axis other than the first: ``outputShape(i)`` tells its shape
    shaped_outputs: bool = False


#: Runtime classes every model class uses, whatever its layers and parts: the input checks
#: of ``run`` and ``predictAllBatch``.
MODEL_RUNTIME = ("Check", "Parallel")


@dataclass(frozen=True)
class _Graph:
    """The float graph's Java form (:func:`_graph`)."""

    ops: tuple
    batch_ops: tuple
    buffers: tuple[str, ...]
    states: tuple[StateView, ...]
    infos: dict


def build_view(model: Model, package: str, class_name: str, runtime_package: str, version: str,
               weights_mode: str, layout: WeightLayout, public_runtime: tuple[str, ...],
               labels: tuple[str, ...] = (), qualified: frozenset = frozenset(),
               self_test: Optional[SelfTestPart] = None) -> ModelView:
    # A streamable model with a fixed number of timesteps is rendered with a
    # variable time axis (sessions feed one step); predict still checks it.
    declared = model
    stream = bool(analysis.streamable(model))
    if stream:
        model = analysis.relax_time(model)
    model = rewrite(model)
    inputs, infos, tokenizers, text_nodes = _inputs(model, declared, layout)
    graph = _graph(model, infos, text_nodes, layout)
    outputs = _outputs(model, declared, graph.infos, tokenizers)
    calls = [v for v in _nested(graph.ops) if isinstance(v, CallView)]
    shaped = any(p.shaped for p in inputs)
    # inputs with several variable axes come with their shapes: one sample at a time
    batch = batch_part(graph.ops, () if shaped else graph.batch_ops, tokenizers, inputs, outputs)
    parts = dict(predict=predict_part(inputs, outputs), labels=labels_part(labels, inputs, outputs),
                 text=text_part(inputs), named=named_part(inputs, outputs),
                 session=session_part(stream, inputs, outputs, model.tensor(model.inputs[0].tensor).shape[1:]),
                 self_test=self_test)
    used = set(MODEL_RUNTIME) | runtime_classes_used(graph.ops + tuple(tokenizers) + batch.ops)
    used |= part_runtime(batch, *parts.values())
    if weights_mode == "resource":
        used.add("Weights")
    return ModelView(
        package=package, class_name=class_name, weights_class=f"{class_name}Weights",
        runtime_package=runtime_package, runtime_imports=tuple(sorted((used & set(public_runtime)) - qualified)),
        version=version, source_sha256=model.source.sha256, source_format=model.source.format,
        keras_version=sanitize(model.source.keras_version.replace(".", "_"), 24).replace("_", ".") or "unknown",
        param_count=f"{model.param_count():,}", weights_mode=weights_mode, weights_count=layout.count,
        weights_sha256=layout.sha256, weights_storage=layout.storage, weights_bytes=layout.stored_bytes,
        resource_name=f"{class_name}.weights", inputs=tuple(inputs), outputs=tuple(outputs),
        buffers=graph.buffers, ops=graph.ops, layers=_layer_lines(declared), batch=batch, **parts,
        states=graph.states, state_size=Sum(tuple(Var(f"{s.var}.length") for s in graph.states)),
        stateful=any(s.begin == "beginCall" for s in graph.states), tokenizers=tuple(tokenizers),
        offsets=offsets_used((graph.ops, tuple(tokenizers))),
        buffer_arrays=tuple(ArrayField(name, len(bufs)) for v in calls for name, bufs in v.arrays),
        steps_arrays=tuple(ArrayField(v.steps_array, len(v.same_steps)) for v in calls if v.steps_array),
        # the weights class (embedded) or the loader (resource) names Weights in any case
        runtime_used=frozenset(used | ops_runtime(declared) | {"Weights"}), shaped=shaped,
        shaped_outputs=any(p.shaped for p in outputs))


def _inputs(model: Model, declared: Model, layout: WeightLayout):
    """The input ports, their tensors' Java form, the tokenizers of string inputs and their nodes."""
    infos: dict[str, TensorInfo] = {}
    inputs = []
    idents: set[str] = set()
    tokenizers = []
    text_nodes: set[int] = set()
    for i, port in enumerate(model.inputs):
        text = ""
        tensor = port.tensor
        if model.tensor(port.tensor).dtype == "string":
            k, node = text_consumer(model, port.tensor)
            text = f"T{i}"
            tensor = node.outputs[0]
            text_nodes.add(k)
            tokenizers.append(node.op.view(node, ViewContext(text, (), (), layout.offset)))
        shape = declared.tensor(tensor).shape
        vshape = model.tensor(tensor).shape
        extents = tuple((f"steps{i}" if a == 0 else f"steps{i}_{a}") if d is None else None
                        for a, d in enumerate(vshape))
        infos[tensor] = TensorInfo(f"in{i}", extents[0] if vshape else None, vshape, extents)
        inputs.append(PortView(text=text, **_port_args(model, declared, port, i, tensor, shape, infos[tensor], idents)))
    return inputs, infos, tokenizers, text_nodes


def _graph(model: Model, infos: dict, text_nodes: set, layout: WeightLayout) -> _Graph:
    """Each node's view and batch view, the buffers and the recurrent states."""
    buffers: list[str] = []
    states = []
    ops = []
    batch_ops: list = []
    for k, node in enumerate(model.nodes):
        if k in text_nodes:
            continue
        ins = tuple(infos[t] for t in node.inputs)
        if node.op.alias:
            aliased = []
            for t_in, t_out in zip(node.inputs, node.outputs):   # same data, maybe another shape
                extents = _extents(k, node.op, model.tensor(t_out).shape, (infos[t_in],))
                infos[t_out] = TensorInfo(infos[t_in].var, extents[0] if extents else None,
                                          model.tensor(t_out).shape, extents)
                aliased.append(infos[t_out])
            if node.op.time_changing:   # its own timestep count: the view declares it
                ctx = ViewContext(f"L{k}", ins, tuple(aliased), layout.offset)
                ops.append(node.op.view(node, ctx))
                batch_ops.append(node.op.batch_view(node, ctx))
            continue
        outs = []
        for t in node.outputs:
            spec = model.tensor(t)
            var = f"b{t[1:]}"
            buffers.append(var)
            extents = _extents(k, node.op, spec.shape, ins)
            infos[t] = TensorInfo(var, extents[0] if extents else None, spec.shape, extents)
            outs.append(infos[t])
        ctx = ViewContext(f"L{k}", ins, tuple(outs), layout.offset)
        op_view = node.op.view(node, ctx)
        ops.append(hoist(op_view))
        batch_ops.append(node.op.batch_view(node, ctx))
        if node.op.has_state:
            states.append(StateView(ctx.state, ctx.field, "beginCall" if node.op.stateful else "reset"))
        # a view running a sub-graph (TimeDistributed around a model) declares its inner buffers and states
        buffers.extend(getattr(op_view, "buffers", ()))
        states.extend(StateView(var, field, "reset") for var, field in getattr(op_view, "states", ()))
    return _Graph(tuple(ops), tuple(batch_ops), tuple(buffers), tuple(states), infos)


def _extents(k: int, op: Op, shape: Shape, ins: tuple[TensorInfo, ...]) -> tuple[Optional[str], ...]:
    """The run-time extent of each variable axis of node ``k``'s output: declared by the op's
    own call (``s<k>``, ``s<k>_<axis>``) when it changes its axes' sizes, else the extent of
    the same axis of an input (the first input's timesteps for the first axis)."""
    out: list[Optional[str]] = []
    for a, d in enumerate(shape):
        name = None
        if d is None:
            own = f"s{k}" if a == 0 else f"s{k}_{a}"
            if op.time_changing:
                name = own
            elif a == 0:
                name = next((i.steps for i in ins if i.steps is not None), None)
            else:
                name = next((i.extents[a] for i in ins if len(i.shape) == len(shape) and i.shape[a] is None), own)
        out.append(name)
    return tuple(out)


def _outputs(model: Model, declared: Model, infos: dict, tokenizers: list) -> list[PortView]:
    """The output ports; a string output adds its decoder to ``tokenizers``."""
    outputs = []
    idents: set[str] = set()
    for i, port in enumerate(model.outputs):
        info = infos[port.tensor]
        strings = ""
        if model.tensor(port.tensor).dtype == "string":
            producer = next(n for n in model.nodes if port.tensor in n.outputs)
            strings = f"V{i}"
            tokenizers.append(producer.op.decoder(strings))
        shape = declared.tensor(port.tensor).shape
        variable = info.variable_axes()
        outputs.append(PortView(
            index=i, var=info.var, name=port.keras_name, shape=shape, length=info.length(), per_step=0,
            steps_var=info.steps or "", features=shape[-1] or 0, rank2=len(shape) == 2,
            # a shape its length does not tell: its variable axes' sizes are kept for outputShape(i)
            shaped=tuple((info.extents[a], a) for a in variable) if variable and variable != (0,) else (),
            ident=java_identifier(port.keras_name, idents, "output"), strings=strings))
    return outputs


def _layer_lines(declared: Model) -> tuple[LayerLine, ...]:
    """The layer table of the class Javadoc."""
    layers = []
    for node in declared.nodes:
        in_s = ", ".join(shape_text(declared.tensor(t).shape) for t in node.inputs)
        out_s = ", ".join(shape_text(declared.tensor(t).shape) for t in node.outputs)
        acts = ", ".join(a.describe() for a in node.op.activations())
        layers.append(LayerLine(node.layer_name, node.class_name, node.op.kind + (f" [{acts}]" if acts else ""),
                                f"{in_s} -> {out_s}", f"{node.op.param_count():,}"))
    return tuple(layers)


def ops_runtime(model: Model) -> set[str]:
    """The ``runtime`` traits of every op of the model, those of sub-models included."""
    return {cls for v in nested_values(model) if isinstance(v, Op) for cls in v.runtime}


def _nested(views) -> list:
    """The views and, depth first, those of the sub-graphs they run (``LoopView.ops``)."""
    out = []
    for v in views:
        out.append(v)
        out.extend(_nested(getattr(v, "ops", ())))
    return out


def text_consumer(model: Model, tensor: str):
    """The one string op reading a string input (its output is the float tensor the graph sees)."""
    users = [(k, n) for k, n in enumerate(model.nodes) if tensor in n.inputs]
    if len(users) != 1 or not getattr(users[0][1].op, "takes_strings", False):
        raise RuntimeError("internal error: a string input must feed exactly one TextVectorization, StringLookup or Hashing layer")
    return users[0]


def _port_args(model: Model, declared: Model, port, i: int, tensor: str, shape, info: TensorInfo,
               in_idents: set) -> dict:
    variable = info.variable_axes()
    # one variable axis: its size follows from the input's length; several: from the shape passed
    steps = info.extents[variable[0]] if len(variable) == 1 else None
    return dict(
        index=i, var=f"in{i}", name=port.keras_name, shape=shape,
        length=info.length() if steps is None else Size(None, 0),
        per_step=prod(d for d in info.shape if d is not None) if steps is not None else 0,  # type: ignore[misc]
        steps_var=steps or "", features=shape[-1] or 0, rank2=len(shape) == 2,
        shaped=tuple((info.extents[a], a) for a in variable) if len(variable) > 1 else (),
        token_ids=len(shape) == 1 and analysis.token_input(model, tensor) and model.tensor(port.tensor).dtype != "string",
        exact_length=prod(shape) if steps is not None and None not in shape else 0,  # type: ignore[arg-type]
        ident=java_identifier(port.keras_name, in_idents, "input"), what=f"input {i} ({sanitize(port.keras_name)})")
