"""The model view: everything ``model.java.j2`` places, decided here.

Each node's own view comes from its op (:meth:`keras2java.ops.Op.view`); this
module lays out the buffers, the recurrent states, the inputs and outputs and
the streaming API around them.  Templates compute nothing.
"""
from __future__ import annotations

from dataclasses import dataclass, fields, is_dataclass
from math import prod
from typing import Any, Optional

from .. import analysis
from ..ir import Model, Shape, shape_text
from ..ops.base import Op
from ..ops.view import CallView, Size, TensorInfo, ViewContext, hoisted, runtime_classes_used
from .naming import java_identifier, sanitize
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
class StreamView:
    """The generated ``Session`` API: one timestep of the single input per step."""

    per_step: int          # floats per timestep
    frame_shape: Shape     # shape of one frame, for docs


@dataclass(frozen=True)
class ModelView:
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
    single_io: bool
    states: tuple[StateView, ...] = ()
    stream: Optional[StreamView] = None
    stateful: bool = False         # some layer keeps its states across predict calls
    named: bool = False            # predictNamed and Outputs (several inputs or outputs)
    labels: tuple[str, ...] = ()   # class labels (--labels), raw
    tokenizers: tuple[Any, ...] = ()   # CallViews of the string ops run before the float graph
    #: the ops' batch views (``Op.batch_view``) when every op has one: the batched
    #: ``predictBatch`` / ``predictAllBatch`` path; empty: batches run one sample at a time
    batch_ops: tuple[Any, ...] = ()
    text: bool = False             # some input is a string: predict(String), predictAll(Object[])
    text_only: bool = False        # every input is a string
    buffer_arrays: tuple[ArrayField, ...] = ()   # float[][] argument fields of the calls
    steps_arrays: tuple[ArrayField, ...] = ()    # int[] fields of the timestep-agreement checks
    #: every runtime class the model class and its weights class name (before the closure over
    #: ``runtime_deps.REFERENCES``): the ops' ``runtime`` traits, the views' references, the features'
    runtime_used: frozenset = frozenset()


#: Runtime classes of the model-level features (the model class itself, whatever its layers).
FEATURE_RUNTIME = {
    "predict": ("Check",),            # the input checks of run()
    "batch": ("Parallel",),           # predictAllBatch / predictBatch
    "weights": ("Weights",),          # loading the weights: embedded Base64 or a resource
    "session": ("Check",),            # Session.stepAll's frame check
    "text": ("TextVectorizer",),      # predictAll(Object[]): a String per text input
    "token_ids": ("Embedding",),      # predict(int[])
    "labels": (),                     # LABELS, predictClass, predictLabel
}

#: Runtime classes the model class itself uses, whatever its layers.
MODEL_RUNTIME = FEATURE_RUNTIME["predict"] + FEATURE_RUNTIME["batch"]


def build_view(model: Model, package: str, class_name: str, runtime_package: str, version: str,
               weights_mode: str, layout: WeightLayout, public_runtime: tuple[str, ...],
               labels: tuple[str, ...] = (), qualified: frozenset = frozenset()) -> ModelView:
    infos: dict[str, TensorInfo] = {}
    inputs = []
    in_idents: set[str] = set()
    out_idents: set[str] = set()
    # A streamable model with a fixed number of timesteps is rendered with a
    # variable time axis (sessions feed one step); predict still checks it.
    declared = model
    stream = analysis.streamable(model)
    if stream:
        model = analysis.relax_time(model)
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
        steps = f"steps{i}" if vshape and vshape[0] is None else None
        infos[tensor] = TensorInfo(f"in{i}", steps, vshape)
        inputs.append(PortView(text=text, **_port_args(model, declared, port, i, tensor, shape, steps, in_idents)))
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
                shape = model.tensor(t_out).shape
                steps = f"s{k}" if node.op.time_changing and shape and shape[0] is None else infos[t_in].steps
                infos[t_out] = TensorInfo(infos[t_in].var, steps, shape)
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
            steps = None
            if spec.shape and spec.shape[0] is None:
                if node.op.time_changing:
                    steps = f"s{k}"   # declared by the op's own call
                else:
                    steps = next((i.steps for i in ins if i.steps is not None), None)
            infos[t] = TensorInfo(var, steps, spec.shape)
            outs.append(infos[t])
        ctx = ViewContext(f"L{k}", ins, tuple(outs), layout.offset)
        op_view = node.op.view(node, ctx)
        ops.append(hoisted(op_view) if isinstance(op_view, CallView) else op_view)
        batch_ops.append(node.op.batch_view(node, ctx))
        if node.op.has_state:
            states.append(StateView(ctx.state, ctx.field, "beginCall" if node.op.stateful else "reset"))
        # a view running a sub-graph (TimeDistributed around a model) declares its inner buffers and states
        buffers.extend(getattr(op_view, "buffers", ()))
        states.extend(StateView(var, field, "reset") for var, field in getattr(op_view, "states", ()))
    outputs = []
    for i, port in enumerate(model.outputs):
        info = infos[port.tensor]
        strings = ""
        if model.tensor(port.tensor).dtype == "string":
            producer = next(n for n in model.nodes if port.tensor in n.outputs)
            strings = f"V{i}"
            tokenizers.append(producer.op.decoder(strings))
        shape = declared.tensor(port.tensor).shape
        outputs.append(PortView(
            index=i, var=info.var, name=port.keras_name, shape=shape, length=info.length(), per_step=0,
            steps_var=info.steps or "", features=shape[-1] or 0, rank2=len(shape) == 2,
            ident=java_identifier(port.keras_name, out_idents, "output"), strings=strings))
    layers = []
    for node in declared.nodes:
        in_s = ", ".join(shape_text(declared.tensor(t).shape) for t in node.inputs)
        out_s = ", ".join(shape_text(declared.tensor(t).shape) for t in node.outputs)
        acts = ", ".join(a.describe() for a in node.op.activations())
        layers.append(LayerLine(node.layer_name, node.class_name, node.op.kind + (f" [{acts}]" if acts else ""),
                                f"{in_s} -> {out_s}", f"{node.op.param_count():,}"))
    calls = [v for v in _nested(ops) if isinstance(v, CallView)]
    buffer_arrays = tuple(ArrayField(name, len(bufs)) for v in calls for name, bufs in v.arrays)
    steps_arrays = tuple(ArrayField(v.steps_array, len(v.same_steps)) for v in calls if v.steps_array)
    # The batch path takes float inputs only (text models tokenize one sample at a time).
    batched = tuple(batch_ops) if ops and tokenizers == [] and all(v is not None for v in batch_ops) else ()
    used = set(MODEL_RUNTIME) | runtime_classes_used(tuple(ops) + tuple(tokenizers) + batched)
    if weights_mode == "resource":
        used.add("Weights")
    features = {"predict", "batch", "weights"} | {f for f, on in (
        ("session", stream), ("text", any(p.text for p in inputs)),
        ("token_ids", any(p.token_ids for p in inputs)), ("labels", bool(labels))) if on}
    for f in features - {"weights"}:   # the model class imports these (the weights class names Weights)
        used.update(FEATURE_RUNTIME[f])
    runtime_used = frozenset(used | ops_runtime(declared) | {c for f in features for c in FEATURE_RUNTIME[f]})
    single = len(inputs) == 1 and len(outputs) == 1
    return ModelView(
        package=package, class_name=class_name, weights_class=f"{class_name}Weights",
        runtime_package=runtime_package, runtime_imports=tuple(sorted((used & set(public_runtime)) - qualified)),
        version=version, source_sha256=model.source.sha256, source_format=model.source.format,
        keras_version=sanitize(model.source.keras_version.replace(".", "_"), 24).replace("_", ".") or "unknown",
        param_count=f"{model.param_count():,}", weights_mode=weights_mode, weights_count=layout.count,
        weights_sha256=layout.sha256, weights_storage=layout.storage, weights_bytes=layout.stored_bytes,
        resource_name=f"{class_name}.weights",
        inputs=tuple(inputs), outputs=tuple(outputs), buffers=tuple(buffers), ops=tuple(ops),
        layers=tuple(layers), single_io=single, named=not single, labels=labels,
        states=tuple(states), stateful=any(s.begin == "beginCall" for s in states),
        buffer_arrays=buffer_arrays, steps_arrays=steps_arrays, tokenizers=tuple(tokenizers), batch_ops=batched,
        text=any(p.text for p in inputs), text_only=all(p.text for p in inputs), runtime_used=runtime_used,
        stream=(StreamView(inputs[0].per_step, model.tensor(model.inputs[0].tensor).shape[1:]) if stream else None))


def ops_runtime(model: Model) -> set[str]:
    """The ``runtime`` traits of every op of the model, those of sub-models included."""
    found: set[str] = set()

    def walk(v: Any) -> None:
        if isinstance(v, Op):
            found.update(v.runtime)
        if isinstance(v, Model):
            for node in v.nodes:
                walk(node.op)
        elif is_dataclass(v) and not isinstance(v, type):
            for f in fields(v):
                walk(getattr(v, f.name))
        elif isinstance(v, (tuple, list)):
            for x in v:
                if isinstance(x, (tuple, list)) or is_dataclass(x):
                    walk(x)

    walk(model)
    return found


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


def _port_args(model: Model, declared: Model, port, i: int, tensor: str, shape, steps, in_idents: set) -> dict:
    return dict(
        index=i, var=f"in{i}", name=port.keras_name, shape=shape,
        length=Size(None, prod(shape)) if steps is None else Size(None, 0),
        per_step=prod(shape[1:]) if steps is not None else 0,  # type: ignore[arg-type]
        steps_var=steps or "", features=shape[-1] or 0, rank2=len(shape) == 2,
        token_ids=len(shape) == 1 and analysis.token_input(model, tensor) and model.tensor(port.tensor).dtype != "string",
        exact_length=prod(shape) if steps is not None and shape[0] is not None else 0,  # type: ignore[arg-type]
        ident=java_identifier(port.keras_name, in_idents, "input"), what=f"input {i} ({sanitize(port.keras_name)})")
