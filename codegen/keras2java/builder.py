"""Stage 2: turn a :class:`RawModel` into the typed IR (:class:`ir.Model`).

Each layer call becomes a :class:`ir.Node`; converters from the registry
produce the ops and infer output shapes.  Problems are collected for every
layer and raised together.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping, Optional

from .errors import ModelFileError, ProblemCollector
from .graph_order import call_refs, run_order
from .ir import Model, ModelPort, Node, Shape, TensorSpec
from .ops import STRUCTURAL, Composite, ConversionProblem, LayerContext, MaskRule, layer_spec, supported_classes
from .ops.base import lambda_key
from .ops.text import string_input, string_input_shape, string_mismatch, takes_strings
from .reader.config import parse_model_config
from .reader.raw import InboundRef, RawLayer, RawModel

FLOAT_DTYPES = ("float32",)
NOOP_WRAPPER_CLASSES = ()


def _dtype_name(value: Any) -> Optional[str]:
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, Mapping):
        cfg = value.get("config")
        if isinstance(cfg, Mapping) and isinstance(cfg.get("name"), str):
            return cfg["name"]
    return None


#: Layers that read integer ids or values: an integer ``dtype`` in their config
#: names their input (Keras 2.0-2.2 ``Embedding`` wrote ``"dtype": "int32"``) or
#: their vocabulary (``IntegerLookup``), not a computation in integers.
INT_DTYPE_CLASSES = frozenset({"Embedding", "IntegerLookup", "CategoryEncoding", "Discretization"})
INT_DTYPES = frozenset({"int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64", "bool"})


def check_dtype(layer: RawLayer) -> Optional[str]:
    """A problem description if the layer computes in anything but float32."""
    name = _dtype_name(layer.config.get("dtype"))
    if name is None or name in FLOAT_DTYPES:
        return None
    if name in INT_DTYPES and layer.class_name in INT_DTYPE_CLASSES:
        return None
    if "mixed" in name or name in ("float16", "bfloat16", "half"):
        return (f"dtype policy {name!r} (mixed/reduced precision) is not supported; "
                "keras2java generates float32 code: set the policy to 'float32' and save the model again")
    return f"dtype {name!r} is not supported; only float32 layers can be converted"


def input_layer_shape(layer: RawLayer) -> Shape:
    cfg = layer.config
    shape = cfg.get("batch_shape", cfg.get("batch_input_shape"))
    if shape is None:
        raise ConversionProblem("InputLayer has neither batch_shape nor batch_input_shape")
    return _strip_batch(shape)


def _strip_batch(shape: Any) -> Shape:
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


#: Keras 3 op-layers with which Functional configs record how masks are computed
#: (``NotEqual(x, mask_value)``, ``Any(..., axis=-1)``, and for merges of masked
#: inputs ``ExpandDims``, ``ZerosLike``, ``LogicalOr``, op-``Concatenate`` ...; attention:
#: ``ConvertToTensor(query_mask)``).
MASK_GRAPH_CLASSES = frozenset({"NotEqual", "Any", "All", "ExpandDims", "ZerosLike", "OnesLike", "LogicalOr",
                                "LogicalAnd", "Concatenate", "BroadcastTo", "Squeeze", "Cast", "ConvertToTensor"})
#: Those that are also layer classes: a Keras 3 ``.h5`` (no ``module``) cannot tell them apart.
LAYER_NAMED = frozenset({"Concatenate"})
#: Modules of Keras 3 operation nodes (``keras.ops`` calls recorded in Functional configs).
OPS_MODULES = ("keras.src.ops.", "keras.ops")


def is_operation(layer: RawLayer) -> bool:
    """True for a Keras 3 operation node (``module: keras.src.ops.*``) rather than a layer."""
    return layer.module.startswith(OPS_MODULES)


def spec_name(layer: RawLayer) -> str:
    """The registry name of a layer's class: operation nodes are ``ops.<Class>``, so
    the ``Concatenate`` operation and the ``Concatenate`` layer stay apart."""
    if layer.class_name == "Lambda":
        return lambda_key(layer.name)   # claimed by a plugin by its layer name, if at all
    return "ops." + layer.class_name if is_operation(layer) else layer.class_name


def mask_graph_layers(layers, outputs=()) -> frozenset:
    """Names of the op-layers that only compute masks: every use of their
    outputs is a ``mask=`` keyword argument or another such layer.  Keras 3
    records them in Functional configs; keras2java derives the same masks from
    Masking and Embedding(mask_zero=True) itself."""
    candidates = {layer.name for layer in layers if layer.class_name in MASK_GRAPH_CLASSES
                  and (is_operation(layer) or (not layer.module and layer.class_name not in LAYER_NAMED))}
    candidates -= {r.layer for r in outputs}   # model outputs are values, not masks
    changed = True
    while changed:
        changed = False
        for layer in layers:
            for call in layer.inbound_nodes:
                used = [r.layer for r in call.args]
                used += [r.layer for key, refs in call.kwargs.items() if key != "mask" for r in refs]
                if layer.name in candidates:
                    continue  # uses inside the mask graph are fine
                bad = candidates.intersection(used)
                if bad:
                    candidates -= bad
                    changed = True
    return frozenset(candidates)


def derived_mask(refs, mask_graph: frozenset) -> bool:
    """True if a ``mask=`` argument comes from the recorded mask computation."""
    return bool(refs) and all(r.layer in mask_graph for r in refs)


def composite_problem(comp: Composite, n_inputs: int) -> Optional[str]:
    """Why a converter's :class:`Composite` cannot become nodes, or None: every
    index must name an earlier value, and no step may create a Keras mask
    (composed layers do not carry masks they create)."""
    n_values = n_inputs
    for k, step in enumerate(comp.steps):
        bad = [i for i in step.inputs if isinstance(i, bool) or not isinstance(i, int) or not 0 <= i < n_values]
        if bad:
            return f"step {k + 1} ({type(step.op).__name__}) reads values {bad}, but only {n_values} exist before it"
        if step.op.mask_op() is not None or step.op.uses_own_mask:
            return f"step {k + 1} ({type(step.op).__name__}) creates a Keras mask, which composed layers do not support"
        n_values += len(step.output_shapes)
    if not comp.outputs or any(isinstance(i, bool) or not isinstance(i, int) or not 0 <= i < n_values
                               for i in comp.outputs):
        return f"the composition's outputs {list(comp.outputs)} are not among its {n_values} values"
    return None


@dataclass(frozen=True)
class MaskClearing:
    """Keras 3 only: where each call ``(layer, node)`` runs (:func:`run_order`), and for each
    tensor ``(layer, node, index)`` the first run of a layer that clears its mask
    (``MultiHeadAttention``)."""

    rank: Mapping[tuple[str, int], int]
    first: Mapping[tuple[str, int, int], int]

    def before(self, call: tuple[str, int], ref: InboundRef) -> bool:
        """True if the mask of ``ref`` is cleared before ``call`` runs."""
        here = self.rank.get(call, -1)
        return self.first.get((ref.layer, ref.node_index, ref.tensor_index), here) < here


class _Builder:
    def __init__(self, raw: RawModel) -> None:
        self.raw = raw
        self.problems = ProblemCollector()
        self.tensors: list[TensorSpec] = []
        self.nodes: list[Node] = []
        self.major = raw.source.keras_major
        self.masks: dict[str, str] = {}   # tensor -> its Keras mask tensor (T,)
        self.explicit_masks: set[str] = set()   # mask tensors the model computes (mask= arguments)
        self.unknown_classes = False   # some layer class has no converter
        #: Tensors masked only at run time, whose masks Keras 3 configs do not record as
        #: ``mask=`` arguments: the outputs of nested models (Keras sets no mask on their
        #: symbolic outputs), a nested model's masked inputs while its layers (built on an
        #: unmasked Input) are built, and what follows from them
        self.runtime_masks: set[str] = set()

    def new_tensor(self, shape: Shape, dtype: str = "float32") -> str:
        name = f"t{len(self.tensors)}"
        self.tensors.append(TensorSpec(name, tuple(shape), dtype))
        return name

    def dtype_of(self, tensor: str) -> str:
        return self.tensors[int(tensor[1:])].dtype

    def input_tensor(self, layer: RawLayer) -> str:
        """A model input: float32, or a string input (``Input(dtype="string")``) for text models."""
        if string_input(layer):
            return self.new_tensor(string_input_shape(layer), "string")
        return self.new_tensor(input_layer_shape(layer))

    def shape_of(self, tensor: str) -> Shape:
        return self.tensors[int(tensor[1:])].shape

    def report(self, layer: RawLayer, reason: str) -> None:
        self.problems.add(layer.name, layer.class_name, reason)

    def check_class(self, layer: RawLayer) -> bool:
        if layer.submodel is not None:
            dt = check_dtype(layer)
            if dt:
                self.report(layer, dt)
                return False
            return True
        if layer_spec(spec_name(layer)) is not None or layer.class_name in STRUCTURAL:
            # an operation's dtype is its result type (Cast, ZerosLike), not a compute policy
            dt = (check_dtype(layer) if layer.class_name not in STRUCTURAL and not takes_strings(layer.class_name)
                  and not is_operation(layer) else None)
            if dt:
                self.report(layer, dt)
                return False
            return True
        if is_operation(layer):
            self.report(layer, f"operation {layer.class_name!r} ({layer.module}) is not supported")
        elif layer.class_name == "Lambda":
            self.report(layer, "Lambda layers hold Python code, which keras2java never runs; "
                               "replace the Lambda with built-in layers and save the model again, or state "
                               f"what it computes in a plugin: @keras2java.lambda_layer({layer.name!r}) "
                               "(see --plugin)")
        elif layer.class_name in ("Sequential", "Functional", "Model"):
            self.report(layer, "nested model without a readable 'layers' list")
        elif self.major >= 3 and not layer.module and layer_spec("ops." + layer.class_name) is not None:
            self.report(layer, f"Keras operation {layer.class_name!r} in a Keras 3 .h5 file: that format does not "
                               "record which classes are operations (Keras itself cannot load the file again); "
                               "save the model as .keras")
        else:
            self.report(layer, f"layer class {layer.class_name!r} is not supported "
                               "(custom and unregistered classes need a plugin: see --plugin)")
            self.unknown_classes = True
        return False

    def apply(self, layer: RawLayer, inputs: tuple[str, ...], call=None,
              explicit_mask: Optional[str] = None, cleared: frozenset = frozenset()) -> Optional[tuple[str, ...]]:
        """Add the nodes of one layer call.  ``cleared``: inputs whose Keras mask an
        earlier Keras 3 MultiHeadAttention call removed (see :mod:`.graph_order`)."""
        if layer.submodel is not None:
            return self.inline(layer, layer.submodel, inputs)
        spec = layer_spec(spec_name(layer))
        rule = spec.mask_rule(self.major) if spec is not None else MaskRule.REFUSE

        def mask_of(t: str) -> Optional[str]:
            return None if t in cleared else self.masks.get(t)
        mask = mask_of(inputs[0]) if inputs else None
        if explicit_mask is not None:   # a mask= tensor the model computes itself
            mask = explicit_mask
        # Keras 3 Functional configs record every mask a layer received as a
        # ``mask=`` argument; elsewhere masks are implicit and follow Keras' rules.
        explicit = (call is not None and self.major >= 3
                    and not any(t in self.runtime_masks for t in inputs))
        if rule is MaskRule.REFUSE:
            # A mask on any input (an attention layer's value, a merge's second input...)
            # would change what Keras computes; Keras 3 drops masks at layers that do not
            # support masking (no ``mask=`` argument recorded).
            if explicit and "mask" not in call.kwargs and not (spec is not None and spec.reads_masks):
                mask = None
            elif any(mask_of(t) is not None for t in inputs):
                self.report(layer, "receives a Keras mask (from Masking or Embedding(mask_zero=True)), "
                                   f"which keras2java does not support for {layer.class_name} layers")
                return None
        elif rule is MaskRule.DROP:
            mask = None
        consumes = (mask is not None and rule in (MaskRule.CONSUME, MaskRule.POOL)
                    and (not explicit or "mask" in call.kwargs))
        in_masks: tuple = ()
        if rule in (MaskRule.MERGE, MaskRule.ATTEND):
            in_masks = tuple(mask_of(t) for t in inputs)
            if not any(in_masks):
                in_masks = ()
        ctx = LayerContext(layer, tuple(self.shape_of(t) for t in inputs), self.major, call, consumes,
                           tuple(self.dtype_of(t) for t in inputs), tuple(m is not None for m in in_masks),
                           mask is not None, self.build_submodel)
        text_problem = string_mismatch(layer, spec, [self.dtype_of(t) for t in inputs])
        if text_problem:
            self.report(layer, text_problem)
            return None
        try:
            converted = spec.convert(ctx)  # type: ignore[union-attr]
        except ConversionProblem as exc:
            for reason in exc.reasons:
                self.report(layer, reason)
            return None
        why = composite_problem(converted, len(inputs) + (1 if consumes else 0)) \
            if isinstance(converted, Composite) else None
        if why:
            self.report(layer, why)
            return None
        # a composite's values: the inputs, then a consumed mask, then each step's outputs
        shapes = (converted.output_shapes(ctx.input_shapes + ((self.shape_of(mask),) if consumes else ()))
                  if isinstance(converted, Composite) else converted.output_shapes)
        for shape in shapes:
            for d in shape:
                if d is not None and d <= 0:
                    self.report(layer, f"output shape {shape} has a non-positive dimension")
                    return None
        if isinstance(converted, Composite):
            return self.compose(layer, converted, inputs, mask if rule is MaskRule.PASS else None,
                                mask if consumes else None)
        op = converted.op
        node_inputs = inputs
        out_mask = mask if rule is MaskRule.PASS else None
        mask_op = op.mask_op()
        if mask_op is not None:   # Masking and Embedding(mask_zero=True) create a mask
            out_mask = self.new_tensor(self.shape_of(inputs[0])[:1])
            self.nodes.append(Node(layer.name, f"{layer.class_name} mask", mask_op, inputs[:1], (out_mask,)))
            if op.uses_own_mask:
                node_inputs = (inputs[0], out_mask)
        elif consumes:
            node_inputs = inputs + (mask,)
        present = tuple(m for m in in_masks if m is not None)
        if present:   # a merge of masked inputs: the masks follow the data
            node_inputs = inputs + present
            out_mask = None
        outs = tuple(self.new_tensor(s, getattr(op, "output_dtype", "float32")) for s in converted.output_shapes)
        self.nodes.append(Node(layer.name, layer.class_name, op, node_inputs, outs))
        if present and rule is MaskRule.ATTEND:   # the query's mask (Keras: compute_mask -> mask[0])
            out_mask = in_masks[0]
        elif present:
            merged = op.merged_mask(tuple(m is not None for m in in_masks), self.major)
            if merged is not None:
                out_mask = self.new_tensor(self.shape_of(present[0]))
                self.nodes.append(Node(layer.name, f"{layer.class_name} mask", merged, present, (out_mask,)))
        if rule is MaskRule.CONSUME and mask is not None and (consumes or explicit):
            # the mask passes on where the op says (Keras' compute_mask), also when Keras 3 did
            # not give it to the call (a call with initial_state records no mask= and
            # Layer.__call__ fills one in only for a single tensor argument)
            out_mask = None
            for i in op.mask_outputs():
                self.masks[outs[i]] = mask
        if out_mask is not None:
            self.masks[outs[0]] = out_mask
        return outs

    def compose(self, layer: RawLayer, comp: Composite, inputs: tuple[str, ...],
                mask: Optional[str], consumed: Optional[str] = None) -> tuple[str, ...]:
        """A layer converted into several ops (a plugin's composition): one node per step
        (checked first by :func:`composite_problem`).  A consumed mask follows the layer's
        inputs among the composite's values, and passes on where the op producing the
        first output says (:meth:`Op.mask_outputs`)."""
        values = list(inputs) + ([consumed] if consumed is not None else [])
        producer: dict[str, tuple] = {}
        for k, step in enumerate(comp.steps):
            outs = tuple(self.new_tensor(s) for s in step.output_shapes)
            name = layer.class_name if len(comp.steps) == 1 else f"{layer.class_name} step {k + 1}"
            self.nodes.append(Node(layer.name, name, step.op, tuple(values[i] for i in step.inputs), outs))
            producer.update({t: (step.op, i) for i, t in enumerate(outs)})
            values.extend(outs)
        result = tuple(values[i] for i in comp.outputs)
        if consumed is not None and comp.mask_outputs:
            for i in comp.mask_outputs:
                self.masks[result[i]] = consumed
        elif consumed is not None and result and result[0] in producer:
            op, i = producer[result[0]]
            if i in op.mask_outputs():
                mask = consumed
        if mask is not None and result:
            self.masks[result[0]] = mask
        return result

    def build_submodel(self, config: Any, weights_for: Any, shape: Shape) -> tuple[Model, bool]:
        """A nested model config (``TimeDistributed``'s layer) as a graph of its own, fed by one
        input of ``shape``; returns it and whether its output carries a Keras mask."""
        try:
            raw = parse_model_config(config, weights_for, self.raw.source, what="the wrapped model")
        except ModelFileError as exc:
            raise ConversionProblem(str(exc)) from None
        sub = _Builder(raw)
        given = (sub.new_tensor(shape),)
        if raw.class_name == "Sequential":
            inputs, outputs = sub.sequential(raw, given)
        else:
            if len(raw.input_refs) != 1:
                raise ConversionProblem(f"the wrapped model takes {len(raw.input_refs)} inputs; expected one")
            inputs, outputs = sub.functional(raw, given)
        if sub.problems.problems:
            raise ConversionProblem(*[f"wrapped model {p.describe()}" for p in sub.problems.problems])
        if len(outputs) != 1:
            raise ConversionProblem(f"the wrapped model has {len(outputs)} outputs; expected one")
        model = Model(name=raw.name, source=self.raw.source, inputs=(ModelPort(given[0], "input"),),
                      outputs=outputs, tensors=tuple(sub.tensors), nodes=tuple(sub.nodes))
        return model, outputs[0].tensor in sub.masks

    def mask_clearing(self, raw: RawModel, calls) -> Optional[MaskClearing]:
        """Where Keras 3 clears masks in this graph, if any layer does."""
        if self.major < 3:
            return None
        clearing = [(layer, k, call) for layer, k, call in calls
                    if (spec := layer_spec(spec_name(layer))) is not None and spec.keras3_clears_masks]
        if not clearing:
            return None
        by_name = {layer.name: layer for layer in raw.layers}

        def output_node(ref: InboundRef) -> tuple[str, int]:
            shift = (self.node_shift(by_name[ref.layer]) - self.node_shift(by_name[ref.layer], port=True)
                     if ref.layer in by_name else 0)
            return ref.layer, ref.node_index + shift
        rank = run_order(raw, output_node)
        first: dict[tuple[str, int, int], int] = {}
        for layer, k, call in clearing:
            at = rank.get((layer.name, k))
            if at is None:
                continue   # not on the way to an output: Keras never runs it
            for r in call_refs(call):
                key = (r.layer, r.node_index, r.tensor_index)
                first[key] = min(first.get(key, at), at)
        return MaskClearing(rank, first)

    def nested_mask_problem(self, layer: RawLayer, k: int, refs: list, ins: list, mask_refs,
                            mask_graph: frozenset, clears_at: Optional[MaskClearing]) -> Optional[str]:
        """Why a nested model called with ``mask=`` cannot be converted, or None.

        Keras 3 passes a nested model its input's mask as ``mask=``, and ``Functional.call``
        sets that mask on the caller's tensor again before the inner layers read it.  When the
        recorded mask is the one Masking / Embedding(mask_zero=True) gave the tensor, that
        changes nothing and the inner layers see the tensor's own mask, as keras2java builds
        them.  Otherwise later uses of the tensor would see a mask it did not have."""
        if self.major < 3 or len(ins) != 1:
            return "a nested model called with mask= is not supported here (Keras sets the mask on the caller's " \
                   "tensors, which later uses may then see)"
        own = (derived_mask(mask_refs, mask_graph) and ins[0] in self.masks
               and self.masks[ins[0]] not in self.explicit_masks)
        if not own:
            return "a nested model called with a mask= tensor other than its input's own mask is not supported " \
                   "(Keras sets it on the caller's tensor, which later uses then see)"
        if clears_at and clears_at.before((layer.name, k), refs[0]):
            return "its input's mask was cleared by a MultiHeadAttention that runs first, and the nested " \
                   "call sets it again (Keras 3 Functional.call), which later uses would then see"
        inputs = {r.layer for r in layer.submodel.input_refs}
        for inner in layer.submodel.layers:
            spec = layer_spec(spec_name(inner))
            if spec is not None and spec.keras3_clears_masks and any(
                    r.layer in inputs for call in inner.inbound_nodes for r in call_refs(call)):
                return f"layer {inner.name!r} inside clears the mask of the caller's masked tensor " \
                       "(Keras 3 MultiHeadAttention), which later uses of it would then miss"
        return None

    def node_shift(self, layer: RawLayer, port: bool = False) -> int:
        """Index of a nested model's first saved call in references to it.

        A nested Functional model starts with a built-in node that configs do
        not save.  tf-keras counts it in every reference
        (``_should_skip_first_node``, which also covers a Sequential built with
        an InputLayer); Keras 3 counts it only in ``input_layers`` /
        ``output_layers`` and not in layer arguments (``functional.py``:
        ``node_reindexing_map`` versus ``serialize_node``).
        """
        sub = layer.submodel
        if sub is None:
            return 0
        if self.major >= 3:
            return int(port and sub.class_name != "Sequential")
        if sub.class_name != "Sequential":
            return 1
        return int(bool(sub.layers) and sub.layers[0].class_name == "InputLayer")

    def inline(self, layer: RawLayer, sub: RawModel, inputs: tuple[str, ...]) -> Optional[tuple[str, ...]]:
        """A nested model used as a layer: its layers become nodes of this graph,
        fed by this call's inputs (called twice, it is inlined twice)."""
        n_problems = len(self.problems.problems)
        if sub.class_name == "Sequential":
            if len(inputs) != 1:
                self.report(layer, f"a nested Sequential model takes one input, got {len(inputs)}")
                return None
            _, outs = self.sequential(sub, inputs)
        else:
            if len(inputs) != len(sub.input_refs):
                self.report(layer, f"the nested model takes {len(sub.input_refs)} inputs, got {len(inputs)}")
                return None
            fed = {t for t in inputs if t in self.masks} - self.runtime_masks
            self.runtime_masks |= fed
            try:
                _, outs = self.functional(sub, inputs)
            finally:
                self.runtime_masks -= fed
        if len(self.problems.problems) != n_problems or not outs:
            return None
        return tuple(p.tensor for p in outs)

    def recover_input(self, layer: RawLayer) -> Optional[tuple[str, ...]]:
        shape = layer.build_input_shape
        if not shape or not isinstance(shape[0], (type(None), int)):
            return None  # unknown, or several inputs
        try:
            return (self.new_tensor(_strip_batch(shape)),)
        except ConversionProblem:
            return None

    # -- Sequential ------------------------------------------------------------
    def sequential(self, raw: Optional[RawModel] = None, given: Optional[tuple[str, ...]] = None
                   ) -> tuple[tuple[ModelPort, ...], tuple[ModelPort, ...]]:
        """Build a Sequential model; with ``given`` (a nested model) its input is that tensor."""
        raw = raw or self.raw
        layers = list(raw.layers)
        in_name = "input"
        shape: Optional[Shape] = None
        if given is not None:
            if layers and layers[0].class_name == "InputLayer":
                layers.pop(0)
            shape = self.shape_of(given[0])
        elif layers and layers[0].class_name == "InputLayer":
            first = layers.pop(0)
            in_name = first.name
            try:
                if string_input(first):
                    given = (self.input_tensor(first),)
                    shape = self.shape_of(given[0])
                else:
                    shape = input_layer_shape(first)
            except ConversionProblem as exc:
                self.report(first, str(exc))
                return (), ()
        else:
            for key in ("batch_shape", "batch_input_shape"):
                if layers and key in layers[0].config:
                    try:
                        shape = _strip_batch(layers[0].config[key])
                    except ConversionProblem as exc:
                        self.report(layers[0], str(exc))
                        return (), ()
                    break
            if shape is None and raw.input_shape is not None:
                try:
                    shape = _strip_batch(raw.input_shape)
                except ConversionProblem as exc:
                    self.problems.add(None, None, f"model input: {exc}")
                    return (), ()
        if shape is None:
            self.problems.add(None, None, "the Sequential model has no input shape (no InputLayer, "
                                          "batch_input_shape or build_input_shape); build the model with "
                                          "keras.Input(shape=...) before saving")
            return (), ()
        current: Optional[tuple[str, ...]] = given if given is not None else (self.new_tensor(shape),)
        model_in = (ModelPort(current[0], in_name),)
        for layer in layers:
            if not self.check_class(layer):
                current = None
                continue
            if layer.class_name == "InputLayer":
                self.report(layer, "InputLayer in the middle of a Sequential model")
                current = None
                continue
            if current is None:
                # An earlier layer failed (already reported); keep checking this
                # one against the input shape Keras recorded for it, if any.
                current = self.recover_input(layer)
                if current is None:
                    continue
            current = self.apply(layer, current)
        if current is None:
            return model_in, ()
        last = layers[-1].name if layers else in_name
        return model_in, tuple(ModelPort(t, last) for t in current)

    # -- Functional ------------------------------------------------------------
    def functional(self, raw: Optional[RawModel] = None, given: Optional[tuple[str, ...]] = None
                   ) -> tuple[tuple[ModelPort, ...], tuple[ModelPort, ...]]:
        """Build a Functional model; with ``given`` (a nested model) its inputs are those tensors."""
        raw = raw or self.raw
        produced: dict[tuple[str, int], Optional[tuple[str, ...]]] = {}
        pending: list[tuple[RawLayer, int, Any]] = []
        by_name = {layer.name: layer for layer in raw.layers}
        mask_graph = mask_graph_layers(raw.layers, raw.output_refs)
        fed = {}
        if given is not None:
            fed = {ref.layer: t for ref, t in zip(raw.input_refs, given)}
        lazy: set[str] = set()      # Keras 3's recorded mask computation: built only when needed
        demanded: set[str] = set()
        for layer in raw.layers:
            if layer.name in mask_graph:
                # Masks from Masking / Embedding(mask_zero=True) are derived here; the recorded
                # computation is built only for a mask= argument no derived mask answers.
                lazy.add(layer.name)
                for k, call in enumerate(layer.inbound_nodes):
                    pending.append((layer, k, call))
                continue
            ok = self.check_class(layer)
            if layer.class_name == "InputLayer":
                if layer.name in fed:
                    produced[(layer.name, 0)] = (fed[layer.name],)
                    continue
                try:
                    produced[(layer.name, 0)] = (self.input_tensor(layer),)
                except ConversionProblem as exc:
                    self.report(layer, str(exc))
                    produced[(layer.name, 0)] = None
                continue
            shift = self.node_shift(layer)
            for k, call in enumerate(layer.inbound_nodes, start=shift):
                pending.append((layer, k, call if ok else None))
                if not ok:
                    produced[(layer.name, k)] = None

        def resolve(ref: InboundRef) -> Optional[str]:
            outs = produced[(ref.layer, ref.node_index)]
            if outs is None:
                return None
            if ref.tensor_index >= len(outs):
                raise ConversionProblem(f"refers to output {ref.tensor_index} of layer {ref.layer!r}, which has {len(outs)}")
            return outs[ref.tensor_index]

        def demand(refs) -> bool:
            """Asks for the lazy layers among ``refs``; True if any was newly asked for."""
            new = {r.layer for r in refs if r.layer in lazy and r.layer not in demanded}
            demanded.update(new)
            return bool(new)

        todo = [p for p in pending if p[2] is not None]
        clears_at = self.mask_clearing(raw, todo)
        while todo:
            progressed = False
            rest = []
            for layer, k, call in todo:
                if layer.name in lazy and layer.name not in demanded:
                    rest.append((layer, k, call))
                    continue
                if layer.name in lazy and (layer.name, k) not in produced and not self.check_class(layer):
                    produced[(layer.name, k)] = None
                    progressed = True
                    continue
                refs = list(call.args)
                spec = layer_spec(spec_name(layer))
                tensor_kwargs = spec.tensor_kwargs if spec is not None else ()
                for key in tensor_kwargs:   # e.g. initial states follow the sequence
                    refs += list(call.kwargs.get(key, ()))
                if any((r.layer, r.node_index) not in produced for r in refs):
                    progressed |= demand(refs)
                    rest.append((layer, k, call))
                    continue
                try:
                    ins = [resolve(r) for r in refs]
                except ConversionProblem as exc:
                    self.report(layer, str(exc))
                    produced[(layer.name, k)] = None
                    progressed = True
                    continue
                if ins and any(t is None for t in ins):
                    produced[(layer.name, k)] = None   # an input failed (reported there): nothing more to say
                    progressed = True
                    continue
                mask_refs = call.kwargs.get("mask", ())
                masking = spec is not None and spec.mask_rule(self.major) not in (MaskRule.REFUSE, MaskRule.DROP)
                # a derived mask answers a recorded one, unless it came from a mask= tensor itself
                derived = (masking and derived_mask(mask_refs, mask_graph) and bool(ins)
                           and ins[0] in self.masks and self.masks[ins[0]] not in self.explicit_masks)
                explicit_ref = mask_refs[0] if masking and len(mask_refs) == 1 and not derived else None
                if explicit_ref is not None and (explicit_ref.layer, explicit_ref.node_index) not in produced:
                    progressed |= demand(mask_refs)
                    rest.append((layer, k, call))
                    continue
                progressed = True
                extra = [key for key in call.kwargs
                         if key not in tensor_kwargs and not (key == "mask" and (derived or explicit_ref is not None))]
                cleared = frozenset()
                if clears_at and "mask" not in call.kwargs:   # the layer reads its inputs' masks at run time
                    cleared = frozenset(t for r, t in zip(refs, ins) if clears_at.before((layer.name, k), r))
                if extra == ["mask"] and layer.submodel is not None:
                    why = self.nested_mask_problem(layer, k, refs, ins, mask_refs, mask_graph, clears_at)
                    if why:
                        self.report(layer, why)
                        produced[(layer.name, k)] = None
                        continue
                    extra = []
                if extra == ["mask"] and spec is not None and spec.mask_rule(self.major) is MaskRule.REFUSE:
                    self.report(layer, f"receives a Keras mask (mask=), which keras2java does not support for "
                                       f"{layer.class_name} layers")
                    produced[(layer.name, k)] = None
                    continue
                if extra:
                    self.report(layer, f"tensor keyword arguments {extra} are not supported yet")
                    produced[(layer.name, k)] = None
                    continue
                if not ins:
                    produced[(layer.name, k)] = None
                    self.report(layer, "layer call has no input tensors")
                    continue
                explicit = None
                if explicit_ref is not None:
                    try:
                        explicit = resolve(explicit_ref)
                    except ConversionProblem as exc:
                        self.report(layer, f"mask: {exc}")
                    if explicit is None:
                        produced[(layer.name, k)] = None
                        continue
                    want = self.shape_of(ins[0])[:1]
                    if self.shape_of(explicit) != want:
                        self.report(layer, f"mask= tensor of shape {self.shape_of(explicit)} is not supported; "
                                           f"expected one value per timestep {want}")
                        produced[(layer.name, k)] = None
                        continue
                    self.explicit_masks.add(explicit)
                outs = produced[(layer.name, k)] = self.apply(layer, tuple(ins), call, explicit, cleared)
                if outs and self.major >= 3 and (layer.submodel is not None or self.runtime_masks & set(ins)):
                    self.runtime_masks.update(t for t in outs if t in self.masks)
            if not progressed:
                for layer, k, call in rest:
                    if layer.name in lazy and layer.name not in demanded:
                        continue
                    missing = sorted({r.layer for r in call.args if (r.layer, r.node_index) not in produced})
                    bad = [m for m in missing if m not in by_name]
                    self.report(layer, f"inputs come from unknown layer(s) {bad or missing}")
                break
            todo = rest

        def ports(refs, keys, what) -> tuple[ModelPort, ...]:
            out = []
            keys = tuple(keys) + (None,) * (len(refs) - len(keys))
            for ref, key in zip(refs, keys):
                if ref.layer in by_name:   # ports may count a nested model's calls differently
                    lay = by_name[ref.layer]
                    ref = InboundRef(ref.layer, ref.node_index - self.node_shift(lay, port=True)
                                     + self.node_shift(lay), ref.tensor_index)
                if (ref.layer, ref.node_index) not in produced:
                    self.problems.add(None, None, f"model {what} refers to unknown layer {ref.layer!r}")
                    continue
                try:
                    t = resolve(ref)
                except ConversionProblem as exc:
                    self.problems.add(None, None, f"model {what}: {exc}")
                    continue
                if t is not None:   # a dict port is named by its key
                    out.append(ModelPort(t, key if key is not None else ref.layer))
            return tuple(out)

        inputs = ports(raw.input_refs, raw.input_keys, "input")
        outputs = ports(raw.output_refs, raw.output_keys, "output")
        return inputs, outputs


def build_model(raw: RawModel) -> Model:
    """Build the IR, raising :class:`UnsupportedModelError` listing every problem."""
    b = _Builder(raw)
    if raw.class_name == "Sequential":
        inputs, outputs = b.sequential()
    else:
        inputs, outputs = b.functional()
    if not b.problems.problems and (not inputs or not outputs):
        b.problems.add(None, None, "the model has no inputs or no outputs")
    # the list of supported classes helps only when a layer class is unknown
    b.problems.raise_if_any(hint="Supported layer classes: " + ", ".join(supported_classes())
                            if b.unknown_classes else "")
    return Model(name=raw.name, source=raw.source, inputs=inputs, outputs=outputs,
                 tensors=tuple(b.tensors), nodes=tuple(b.nodes))
