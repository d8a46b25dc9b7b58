"""The op framework: the base class every operation derives from, the traits
it declares, and the one registry of ops and Keras layer converters.

An op family lives in one module of :mod:`keras2java.ops` and holds, for each
of its ops, everything keras2java knows about it:

- the frozen IR dataclass (a subclass of :class:`Op`, registered with
  :func:`register_op`), whose class attributes are its traits;
- its converter(s) from Keras classes (registered with :func:`converter`);
- its numpy evaluator (:meth:`Op.evaluate`), the reference for golden vectors;
- its emit view (:meth:`Op.view`): the values the Java templates place.

Every table the other stages need (which layers pass masks on, which ops keep
recurrent state, change the number of timesteps, can stream one step at a
time, ...) is computed from the registry, never kept as a separate list.
"""
from __future__ import annotations

import enum
from dataclasses import dataclass, fields
from typing import TYPE_CHECKING, Any, Callable, ClassVar, Mapping, Optional

from ..ir import Activation, WeightTensor, format_shape

if TYPE_CHECKING:   # pragma: no cover
    import numpy as np

    from ..ir import Node
    from .context import LayerContext
    from .view import TensorInfo, ViewContext


class MaskRule(enum.Enum):
    """How a Keras layer treats the Keras mask of its (first) input."""

    #: drops it: a mask reaching the layer is refused (Keras would apply it in ways keras2java does not)
    REFUSE = "refuse"
    #: drops it: the layer's call never reads a mask and its output carries none, in both Keras
    #: versions (no ``supports_masking``: Keras 3 warns, tf-keras drops it silently)
    DROP = "drop"
    #: passes it on unchanged (Keras' ``supports_masking`` with the default ``compute_mask``)
    PASS = "pass"
    #: consumes it (recurrent layers); passes it on where :meth:`Op.mask_outputs` says
    CONSUME = "consume"
    #: consumes it and passes nothing on (GlobalAveragePooling1D)
    POOL = "pool"
    #: combines the masks of all its inputs (merge layers): the masks present follow the
    #: data inputs, and :meth:`Op.merged_mask` computes the output's mask
    MERGE = "merge"
    #: reads the masks of all its inputs (attention: query, value, key): the masks present
    #: follow the data inputs, and the query's mask passes on to the first output
    ATTEND = "attend"


class ConfigDtype(enum.Enum):
    """What the ``dtype`` in a Keras layer's config names."""

    #: the layer's compute policy: only float32 can be converted
    COMPUTE = "compute"
    #: the compute policy, or an integer type naming the ids or vocabulary the layer reads
    #: (Keras 2.0-2.2 ``Embedding`` wrote ``"dtype": "int32"``; ``IntegerLookup``)
    INTEGER = "integer"
    #: the type of the input the layer reads (text layers: ``string``): not a policy
    INPUT = "input"


class Op:
    """Base class of every operation.  Subclasses are frozen dataclasses whose
    class attributes declare the op's traits."""

    #: short human-readable kind used by ``inspect`` and generated comments
    kind: ClassVar[str] = "op"
    #: runtime classes (``java-runtime``) the op's generated code uses
    runtime: ClassVar[tuple[str, ...]] = ()
    #: the output is the input's data (maybe another shape): no code is generated
    alias: ClassVar[bool] = False
    #: owns a recurrent state array (per model instance and per streaming session)
    has_state: ClassVar[bool] = False
    #: its output has another number of timesteps than its input (declares its own length)
    time_changing: ClassVar[bool] = False
    #: acts on the last axis only, so ``TimeDistributed(op)`` is the op on the whole tensor
    time_distributable: ClassVar[bool] = False
    #: takes the mask it creates (:meth:`mask_op`) as its last input (Masking)
    uses_own_mask: ClassVar[bool] = False
    #: a merged-mask op (:meth:`merged_mask`) reading one input per data input: its mask, or
    #: the data input itself where it has none (for its extents); else only the masks present
    mask_of_each_input: ClassVar[bool] = False
    #: an image op: on a row of frames it runs frame by frame (``TimeDistributed`` over
    #: frames is the op itself, and it streams one frame per step)
    per_frame: ClassVar[bool] = False
    #: which axes of its inputs and outputs may have a variable size (known at run time only):
    #: ``"first"`` (the timestep axis only), ``"rows"`` (any axis but the last: the op works on
    #: rows of the last axis) or ``"any"``; the view reads every axis's run-time extent
    #: (:meth:`keras2java.ops.view.TensorInfo.size`).  Ops whose rule depends on their options
    #: override :meth:`variable_axes_problem`
    variable_axes: ClassVar[str] = "first"
    #: with :meth:`channel_planes`: the op is a Conv2D merged with its max pooling, whose planes
    #: the runtime allows where ``Conv2D.pooled`` holds (not ``Conv2D.planes``)
    planes_pooled: ClassVar[bool] = False

    # -- weights and description -----------------------------------------------------
    def weights(self) -> tuple[WeightTensor, ...]:
        out = []
        for f in fields(self):  # type: ignore[arg-type]
            v = getattr(self, f.name)
            if isinstance(v, WeightTensor):
                out.append(v)
            elif isinstance(v, Op):
                out.extend(v.weights())
        return tuple(out)

    def param_count(self) -> int:
        return sum(w.size for w in self.weights())

    def activations(self) -> tuple[Activation, ...]:
        return tuple(getattr(self, f.name) for f in fields(self)  # type: ignore[arg-type]
                     if isinstance(getattr(self, f.name), Activation))

    def describe_weights(self) -> list[str]:
        """``inspect``: one line per stored tensor, how it maps to the op's parameters."""
        return [f"{w.source} {format_shape(w.shape)} -> {w.role}" for w in self.weights()]

    # -- traits that depend on the op's options ------------------------------------------
    def stream_outputs(self, rank: int) -> Optional[tuple[int, ...]]:
        """Streaming (one timestep per call): the outputs that carry the input's time axis
        when the first input of rank ``rank`` carries it, or None if the op cannot be fed
        one timestep at a time (it needs the whole sequence)."""
        return None

    def mask_op(self) -> "Optional[Op]":
        """The op computing the Keras mask this op creates (Masking, Embedding(mask_zero=True)), or None."""
        return None

    def merged_mask(self, present: tuple[bool, ...], keras_major: int) -> "Optional[Op]":
        """With :attr:`MaskRule.MERGE`: the op computing the output's mask from the masks
        present (``present[i]``: input ``i`` has one), or None for no mask."""
        return None

    def mask_outputs(self) -> tuple[int, ...]:
        """With :attr:`MaskRule.CONSUME`: the outputs that carry the consumed mask on."""
        return ()

    def token_range(self) -> Optional[int]:
        """For ops reading token ids from an input: the vocabulary size (ids in [0, n))."""
        return None

    def takes_token_ids(self) -> bool:
        """True if the op reads its input as token ids (so a model input feeding only
        such ops gets an ``int[]`` overload)."""
        return self.token_range() is not None

    def frame_rows(self, rank: int) -> bool:
        """The op acts on each position's row of the last axis alone (an activation, a Dense,
        BatchNormalization over the channels), so a frame-by-frame chain of image ops
        (``emit.rewrite.frame_loops``) may run it on its input of this rank (without the batch
        axis) a pass of frames at a time."""
        return False

    def channel_planes(self) -> bool:
        """The op can write and read its frames as channel planes instead of channels last, the
        runtime deciding per layer (``Conv2D.planes``): a link between two such ops of a
        frame-by-frame chain may pass planes (``ops.wrappers.FrameLoopOp``)."""
        return False

    def reads_planes(self) -> bool:
        """The op can read its frames as channel planes but not write them: a frame chain's
        link may end at it (``ops.wrappers.FrameLoopOp``), decided by the writer alone
        (``Conv2D.planesOut``), and its view's call then takes the link's flag as its last
        argument."""
        return False

    def planes_view(self, view, flag, x: "TensorInfo"):
        """The op's view inside a channel-plane link of a frame chain (between two ops of
        :meth:`channel_planes`), its input ``x`` and its output then channel planes where the
        Java boolean ``flag`` says so; None (the default) for an op that cannot pass planes on.
        An op acting on each value alone passes them as they are."""
        return None

    def map_floats(self) -> int:
        """Floats per frame of the largest map the op makes inside its call beyond its input
        and output (a fused op's intermediate map), which a frame chain counts when it sizes its
        passes (``Frames.perPass``); 0 for none."""
        return 0

    def steps_multiple(self) -> int:
        """The number of timesteps reaching the op must be a multiple of this (1: any);
        a length that is not is rejected at run time, in Keras as in the generated code."""
        return 1

    def variable_axes_problem(self, shapes: tuple) -> Optional[str]:
        """Why the op cannot take these input and output shapes' variable axes, or None."""
        if self.variable_axes == "any":
            return None
        if self.variable_axes == "rows":
            return fixed_from(shapes, -1, "the last axis")
        return fixed_from(shapes, 1, "the first axis (timesteps)", only=True)

    def reference_problem(self) -> Optional[str]:
        """Why the numpy reference cannot evaluate this op, or None."""
        return None

    # -- evaluation and emission ------------------------------------------------------------
    def evaluate(self, inputs: list) -> list:
        """The numpy reference: one sample's inputs (float32 arrays) -> its outputs."""
        raise NotImplementedError(f"{type(self).__name__}.evaluate")

    def view(self, node: "Node", ctx: "ViewContext"):
        """The values the Java templates place for this node (a :class:`CallView` or
        :class:`RecurrentView`)."""
        raise NotImplementedError(f"{type(self).__name__}.view")

    def batch_view(self, node: "Node", ctx: "ViewContext"):
        """The op on a batch of samples of equal input lengths (the generated batch path,
        ``predictBatch`` / ``predictAllBatch``): a view whose call runs all ``nb`` samples
        at once, each sample's tensors one after the other in the buffers of ``ctx``.
        None (the default): the op has no batched form, and a model holding it runs its
        batches one sample at a time."""
        return None


def fixed_from(shapes: tuple, axis: int, where: str, only: bool = False) -> Optional[str]:
    """Why shapes with a variable size on ``axis`` or after it (a negative ``axis`` counts from
    the end) do not fit an op, or None.  ``where`` names the axes that may (``only``) or may
    not vary."""
    for s in shapes:
        start = axis if axis >= 0 else max(len(s) + axis, 0)
        if any(d is None for d in s[start:]):
            return (f"shape {format_shape(s)}: this layer takes a variable size only on {where}" if only
                    else f"shape {format_shape(s)}: this layer needs a fixed size on {where}")
    return None


# -- the registry ------------------------------------------------------------------------


class ConversionProblem(Exception):
    """Raised by a converter for a layer it cannot convert.  ``reasons`` may
    hold several independent problems of the same layer."""

    def __init__(self, *reasons: str) -> None:
        self.reasons = tuple(reasons)
        super().__init__("; ".join(reasons))


#: A layer converter: ``fn(ctx: LayerContext) -> Converted | Composite`` (:mod:`.context`).
Converter = Callable[["LayerContext"], Any]
#: A Keras 1/2 upgrade hook: ``fn(layer: RawLayer, ctx: UpgradeContext) -> RawLayer`` (:mod:`.legacy`).
UpgradeHook = Callable[..., Any]


@dataclass(frozen=True)
class LayerSpec:
    """A Keras layer class and how keras2java converts it."""

    keras_class: str
    convert: Converter
    mask: MaskRule
    #: the module that registered it (an op family, or a plugin)
    origin: str
    builtin: bool = True
    #: Keras passes tensors other than the inputs as these call keyword arguments
    tensor_kwargs: tuple[str, ...] = ()
    #: Keras 3 reads the masks of every input at call time even where the saved
    #: config records no ``mask=`` argument (attention, merges)
    reads_masks: bool = False
    #: the rule Keras 1/2 and tf-keras follow where it differs from ``mask`` (which then
    #: applies to Keras 3): e.g. DROP where tf-keras has no ``supports_masking`` and Keras 3 does
    keras2_mask: Optional[MaskRule] = None
    #: Keras 3 clears the Keras mask of the input tensors themselves when the layer
    #: runs (``MultiHeadAttention.call``: ``set_keras_mask(query, None)``), so later
    #: layers reading those tensors' masks at run time see none
    keras3_clears_masks: bool = False
    #: what the ``dtype`` of the layer's config names (the graph builder checks it)
    config_dtype: ConfigDtype = ConfigDtype.COMPUTE
    #: Keras 3's call returns its input tensor itself at inference (``Dropout``: ``return
    #: inputs``), so the output is the same tensor object, with one mask for both: a layer
    #: that clears the mask of either (``keras3_clears_masks``) clears the other's too.  A
    #: function of the layer's config where that depends on it (``Activation("linear")``)
    keras3_same_tensor: bool | Callable[[Mapping[str, Any]], bool] = False

    def keras3_returns_input(self, config: Mapping[str, Any]) -> bool:
        """True if Keras 3's call of a layer with this config returns its input tensor itself."""
        same = self.keras3_same_tensor
        return bool(same(config)) if callable(same) else same

    def mask_rule(self, keras_major: int) -> MaskRule:
        """How the layer treats a mask in files of this Keras major version."""
        return self.keras2_mask if keras_major < 3 and self.keras2_mask is not None else self.mask


_OPS: dict[str, type] = {}
_LAYERS: dict[str, LayerSpec] = {}


def register_op(cls: type) -> type:
    """Class decorator: registers an op class (a frozen dataclass subclass of :class:`Op`)."""
    if not (isinstance(cls, type) and issubclass(cls, Op)):
        raise TypeError(f"{cls!r} is not an Op subclass")
    name = f"{cls.__module__}.{cls.__qualname__}"
    if name in _OPS and _OPS[name] is not cls:
        raise ValueError(f"op {name} is registered twice")
    _OPS[name] = cls
    return cls


def converter(*keras_classes: str, mask: MaskRule = MaskRule.REFUSE, builtin: bool = True,
              tensor_kwargs: tuple[str, ...] = (), reads_masks: bool = False,
              replace: bool = False, keras2_mask: Optional[MaskRule] = None,
              keras3_clears_masks: bool = False,
              keras3_same_tensor: bool | Callable[[Mapping[str, Any]], bool] = False,
              config_dtype: ConfigDtype = ConfigDtype.COMPUTE) -> Callable[[Converter], Converter]:
    """Function decorator: registers ``fn(ctx) -> Converted`` for these Keras classes."""
    def deco(fn: Converter) -> Converter:
        for name in keras_classes:
            if not isinstance(name, str) or not name:
                raise ValueError(f"invalid Keras class name {name!r}")
            if name in _LAYERS and not replace:
                raise ValueError(f"Keras class {name!r} is already registered by {_LAYERS[name].origin}")
            _LAYERS[name] = LayerSpec(name, fn, mask, getattr(fn, "__module__", "?"), builtin, tensor_kwargs,
                                      reads_masks, keras2_mask, keras3_clears_masks, config_dtype,
                                      keras3_same_tensor)
        return fn
    return deco


def lambda_key(layer_name: str) -> str:
    """The registry name of the ``Lambda`` layer named ``layer_name``, which a plugin claims
    by name (``@keras2java.lambda_layer``): a Lambda's Python code is never run."""
    return "Lambda:" + layer_name


#: Keras 1/2 upgrade hooks, by the class name a legacy file stores (tf2onnx's ``version_N``
#: handlers): ``fn(layer: RawLayer, ctx: UpgradeContext) -> RawLayer`` in the Keras 2 form
#: the converters read.  Registered beside the converters of the classes they produce.
_UPGRADES: dict[str, UpgradeHook] = {}


def legacy_upgrade(*stored_classes: str) -> Callable[[UpgradeHook], UpgradeHook]:
    """Function decorator: registers the Keras 1/2 upgrade hook of these stored class names
    (see :mod:`keras2java.ops.legacy`).  The readers only dispatch to it."""
    def deco(fn: UpgradeHook) -> UpgradeHook:
        for name in stored_classes:
            if name in _UPGRADES:
                raise ValueError(f"Keras class {name!r} already has an upgrade hook")
            _UPGRADES[name] = fn
        return fn
    return deco


def upgrade_hook(stored_class: str) -> Optional[UpgradeHook]:
    """The Keras 1/2 upgrade hook of a stored class name, if any."""
    return _UPGRADES.get(stored_class)


def layer_spec(keras_class: str) -> Optional[LayerSpec]:
    """The converter of a Keras class.  A registered name ``"package>Name"`` (tf-keras
    configs name custom classes so) falls back to a plugin registered for ``"Name"``."""
    spec = _LAYERS.get(keras_class)
    if spec is None and isinstance(keras_class, str) and ">" in keras_class:
        short = _LAYERS.get(keras_class.rpartition(">")[2])
        if short is not None and not short.builtin:
            return short
    return spec


def layer_specs() -> Mapping[str, LayerSpec]:
    return dict(_LAYERS)


def op_classes() -> tuple[type, ...]:
    return tuple(_OPS.values())


def is_registered(op: Op) -> bool:
    return _OPS.get(f"{type(op).__module__}.{type(op).__qualname__}") is type(op)


def unregister(keras_class: str) -> None:
    """Forget one converter that is not built in (a plugin whose loading failed)."""
    spec = _LAYERS.get(keras_class)
    if spec is not None and not spec.builtin:
        del _LAYERS[keras_class]


def unregister_plugins() -> None:
    """Forget every converter not built in (tests and repeated API calls)."""
    for name in [n for n, s in _LAYERS.items() if not s.builtin]:
        del _LAYERS[name]


def f64(w: WeightTensor) -> "np.ndarray":
    """A weight as float64, for numpy evaluators."""
    import numpy as np

    return np.asarray(w.array, np.float64)
