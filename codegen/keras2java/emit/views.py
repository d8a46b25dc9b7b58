"""Render models: everything the templates need, decided and formatted here.

Templates only place these values; they compute nothing.
"""
from __future__ import annotations

from dataclasses import dataclass
from math import prod
from typing import Callable, Optional

from ..ir import Activation, ActivationOp, DenseOp, IdentityOp, Model, Node, Op, ReshapeOp, Shape
from .naming import float_literal, java_identifier, java_string, sanitize
from .weights import WeightLayout

ACT_CONSTANTS = {
    "linear": "LINEAR", "relu": "RELU", "sigmoid": "SIGMOID", "tanh": "TANH",
    "hard_sigmoid_k2": "HARD_SIGMOID_K2", "hard_sigmoid_k3": "HARD_SIGMOID_K3", "elu": "ELU",
    "selu": "SELU", "softplus": "SOFTPLUS", "softsign": "SOFTSIGN", "exponential": "EXPONENTIAL",
    "swish": "SWISH", "gelu": "GELU", "gelu_tanh": "GELU_TANH", "hard_silu_k3": "HARD_SILU_K3",
    "mish": "MISH", "softmax": "SOFTMAX", "log_softmax": "LOG_SOFTMAX",
}


@dataclass(frozen=True)
class ActivationView:
    method: str
    args: tuple[str, ...]


def activation_view(a: Activation) -> ActivationView:
    if a.kind == "relu" and (a.alpha or a.max_value is not None or a.threshold):
        mx = float("inf") if a.max_value is None else a.max_value
        return ActivationView("relu", (float_literal(a.alpha), float_literal(mx), float_literal(a.threshold)))
    if a.kind == "elu" and a.alpha != 1.0:
        return ActivationView("elu", (float_literal(a.alpha),))
    return ActivationView("of", (f"Activation.{ACT_CONSTANTS[a.kind]}",))


@dataclass(frozen=True)
class TensorInfo:
    """How a tensor lives in Java: its buffer variable and size expressions."""

    var: str
    steps: Optional[str]      # Java expression for the number of timesteps, if variable
    shape: Shape

    def length(self) -> str:
        return dim_expr(self.shape, self.steps)

    def rows(self) -> str:
        """Rows when the last axis is the row length."""
        return dim_expr(self.shape[:-1], self.steps)


def dim_expr(shape: Shape, steps: Optional[str]) -> str:
    if shape and shape[0] is None:
        rest = prod(d for d in shape[1:])  # type: ignore[misc]
        if steps is None:  # validation keeps variable time axes tied to an input's step count
            raise RuntimeError("internal error: a variable time axis without a step count")
        return steps if rest == 1 else f"{steps} * {rest}"
    return str(prod(shape))  # type: ignore[arg-type]


@dataclass(frozen=True)
class OpView:
    """One node: a template fragment and the values it places."""

    template: str
    field: str            # name of the runtime layer object in the Net holder
    comment: str          # sanitized, for a // comment
    inp: str
    out: str
    out_len: str
    rows: str = ""
    steps: str = ""
    args: tuple[str, ...] = ()    # constructor arguments after the weight array
    act: Optional[ActivationView] = None
    act2: Optional[ActivationView] = None
    cols: str = ""


ViewBuilder = Callable[[Node, str, tuple[TensorInfo, ...], tuple[TensorInfo, ...], WeightLayout], OpView]


def offset_expr(layout: WeightLayout, w) -> str:
    """A weight's offset in the model's float array as Java text, "-1" for an absent weight."""
    return str(layout.offset(w)) if w is not None else "-1"


def steps_expr(info: "TensorInfo") -> str:
    """The number of timesteps of a tensor as Java text (its variable or its fixed size)."""
    return info.steps if info.shape[0] is None else str(info.shape[0])  # type: ignore[return-value]


def _bool(b: bool) -> str:
    return "true" if b else "false"


def dense_view(node, field, ins, outs, layout) -> OpView:
    op: DenseOp = node.op
    return OpView("ops/dense.j2", field, comment(node), ins[0].var, outs[0].var, outs[0].length(),
                  rows=ins[0].rows(),
                  args=(offset_expr(layout, op.kernel), offset_expr(layout, op.bias), str(op.kernel.shape[0]), str(op.units)),
                  act=activation_view(op.activation))


def activation_op_view(node, field, ins, outs, layout) -> OpView:
    op: ActivationOp = node.op
    return OpView("ops/activation.j2", field, comment(node), ins[0].var, outs[0].var, outs[0].length(),
                  rows=ins[0].rows(), cols=str(ins[0].shape[-1]), act=activation_view(op.activation))


#: Op type → view builder.  Identity ops alias their input and emit nothing.
VIEW_BUILDERS: dict[type, ViewBuilder] = {
    DenseOp: dense_view,
    ActivationOp: activation_op_view,
}
ALIAS_OPS: tuple[type, ...] = (IdentityOp, ReshapeOp)


def comment(node: Node) -> str:
    return f"{sanitize(node.layer_name)} ({node.class_name})"


@dataclass(frozen=True)
class PortView:
    index: int
    var: str                # Java variable holding the tensor
    name_literal: str       # Java string literal with the Keras name
    doc_name: str           # sanitized name for Javadoc
    shape_array: str        # e.g. "{-1, 11}"
    shape_text: str         # e.g. "[timesteps, 11]" for messages and docs
    length: str             # Java expression (fixed inputs: a number)
    per_step: str           # floats per timestep (variable inputs)
    steps_var: str          # variable holding the timestep count, or ""
    features: str           # last-axis size, for the float[][] overload
    rank2: bool             # (timesteps, features): gets the float[][] overload
    token_ids: bool = False  # token ids for Embedding: gets an int[] overload
    exact_length: str = ""   # fixed-length input rendered with a variable time axis (streaming)
    ident: str = ""          # Java identifier from the Keras name (predictNamed parameter / Outputs field)


@dataclass(frozen=True)
class LayerLine:
    name: str
    class_name: str
    kind: str
    shapes: str
    params: str


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
    weights_count: str
    weights_sha256: str
    resource_name: str
    resource_literal: str
    inputs: tuple[PortView, ...]
    outputs: tuple[PortView, ...]
    buffers: tuple[str, ...]
    ops: tuple[OpView, ...]
    layers: tuple[LayerLine, ...]
    single_io: bool
    states: tuple = ()             # recurrent_views.StateView per recurrent layer
    stream: object = None          # recurrent_views.StreamView if the model can stream
    stateful: bool = False         # some layer keeps its states across predict calls
    named_params: str = ""         # "float[] frames, float[] side": predictNamed's parameters ("" = no named API)
    named_args: str = ""           # "frames, side"
    labels: tuple[str, ...] = ()   # Java string literals of the class labels (--labels)


def shape_text(shape: Shape) -> str:
    return "[" + ", ".join("timesteps" if d is None else str(d) for d in shape) + "]"


def shape_array(shape: Shape) -> str:
    return "{" + ", ".join("-1" if d is None else str(d) for d in shape) + "}"


def build_view(model: Model, package: str, class_name: str, runtime_package: str, version: str,
               weights_mode: str, layout: WeightLayout, runtime_classes: tuple[str, ...]) -> ModelView:
    infos: dict[str, TensorInfo] = {}
    inputs = []
    in_idents: set[str] = set()
    out_idents: set[str] = set()
    # A streamable model with a fixed number of timesteps is rendered with a
    # variable time axis (sessions feed one step); predict still checks it.
    declared = model
    stream = recurrent_views.streamable(model)
    if stream:
        model = recurrent_views.relax_time(model)
    for i, port in enumerate(model.inputs):
        shape = declared.tensor(port.tensor).shape
        vshape = model.tensor(port.tensor).shape
        steps = f"steps{i}" if vshape and vshape[0] is None else None
        infos[port.tensor] = TensorInfo(f"in{i}", steps, vshape)
        inputs.append(PortView(
            index=i, var=f"in{i}", name_literal=java_string(port.keras_name), doc_name=sanitize(port.keras_name),
            shape_array=shape_array(shape), shape_text=shape_text(shape),
            length=str(prod(shape)) if steps is None else "",
            per_step=str(prod(shape[1:])) if steps is not None else "",
            steps_var=steps or "", features=str(shape[-1]), rank2=len(shape) == 2,
            token_ids=len(shape) == 1 and recurrent_views.token_input(model, port.tensor),
            exact_length=str(prod(shape)) if steps is not None and shape[0] is not None else "",
            ident=java_identifier(port.keras_name, in_idents, "input")))
    buffers: list[str] = []
    states = []
    ops: list[OpView] = []
    for k, node in enumerate(model.nodes):
        ins = tuple(infos[t] for t in node.inputs)
        if isinstance(node.op, ALIAS_OPS):
            for t_in, t_out in zip(node.inputs, node.outputs):   # same data, maybe another shape
                infos[t_out] = TensorInfo(infos[t_in].var, infos[t_in].steps, model.tensor(t_out).shape)
            continue
        outs = []
        for t in node.outputs:
            spec = model.tensor(t)
            var = f"b{t[1:]}"
            buffers.append(var)
            steps = None
            if spec.shape and spec.shape[0] is None:
                if isinstance(node.op, sequence_views.TIME_CHANGING):
                    steps = f"s{k}"   # declared by the op's own fragment
                else:
                    steps = next((i.steps for i in ins if i.steps is not None), None)
            infos[t] = TensorInfo(var, steps, spec.shape)
            outs.append(infos[t])
        builder = VIEW_BUILDERS[type(node.op)]
        ops.append(builder(node, f"L{k}", ins, tuple(outs), layout))
        sv = recurrent_views.state_view(f"L{k}", node.op)
        if sv is not None:
            states.append(sv)
    outputs = []
    for i, port in enumerate(model.outputs):
        info = infos[port.tensor]
        shape = declared.tensor(port.tensor).shape
        outputs.append(PortView(
            index=i, var=info.var, name_literal=java_string(port.keras_name), doc_name=sanitize(port.keras_name),
            shape_array=shape_array(shape), shape_text=shape_text(shape), length=info.length(),
            per_step="", steps_var=info.steps or "", features=str(shape[-1]), rank2=len(shape) == 2,
            ident=java_identifier(port.keras_name, out_idents, "output")))
    layers = []
    for node in declared.nodes:
        in_s = ", ".join(shape_text(declared.tensor(t).shape) for t in node.inputs)
        out_s = ", ".join(shape_text(declared.tensor(t).shape) for t in node.outputs)
        acts = ", ".join(a.describe() for a in node.op.activations())
        layers.append(LayerLine(sanitize(node.layer_name), node.class_name, node.op.kind + (f" [{acts}]" if acts else ""),
                                f"{in_s} -> {out_s}", f"{node.op.param_count():,}"))
    return ModelView(
        package=package, class_name=class_name, weights_class=f"{class_name}Weights",
        runtime_package=runtime_package, runtime_imports=runtime_classes, version=version,
        source_sha256=model.source.sha256, source_format=model.source.format,
        keras_version=sanitize(model.source.keras_version.replace(".", "_"), 24).replace("_", ".") or "unknown",
        param_count=f"{model.param_count():,}", weights_mode=weights_mode, weights_count=str(layout.count),
        weights_sha256=layout.sha256, resource_name=f"{class_name}.weights",
        resource_literal=java_string(f"{class_name}.weights"),
        inputs=tuple(inputs), outputs=tuple(outputs), buffers=tuple(buffers), ops=tuple(ops),
        layers=tuple(layers), single_io=len(inputs) == 1 and len(outputs) == 1,
        named_params="" if len(inputs) == 1 and len(outputs) == 1 else ", ".join(f"float[] {p.ident}" for p in inputs),
        named_args=", ".join(p.ident for p in inputs),
        states=tuple(states), stateful=any(s.begin == "beginCall" for s in states),
        stream=(recurrent_views.StreamView(inputs[0].per_step, shape_text(model.tensor(model.inputs[0].tensor).shape[1:]))
                if stream else None))


def op_supported(op: Op) -> bool:
    return type(op) in VIEW_BUILDERS or isinstance(op, ALIAS_OPS)


from . import merge_views, recurrent_views, sequence_views  # noqa: E402  (op families; they import this module)

VIEW_BUILDERS.update(recurrent_views.VIEWS)
VIEW_BUILDERS.update(merge_views.VIEWS)
VIEW_BUILDERS.update(sequence_views.VIEWS)
